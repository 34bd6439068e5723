"""Message text per locale (zh_CN, en) for every notification event, independent of the
channel: a title and lines; `formats` turns a `Message` into each channel's body. The
phrases are gettext catalogs keyed by message code (outbound/locale/<locale>/LC_MESSAGES/
messages.po, read with Babel): reasons, actions, stages, bands and report lines are codes
plus parameters everywhere, rendered here in the reader's language. Names and
titles (王总, 《年度采购方案》) pass through untouched. Unknown locales fall back to zh_CN's
sibling `en`; the tenant decides the default (the product's users are Chinese teams)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from typing import Any, Final
from zoneinfo import ZoneInfo

from babel.messages.pofile import read_po

__all__ = [
    "CATALOG",
    "LOCALES",
    "Line",
    "Message",
    "duration",
    "has",
    "local_date",
    "text",
    "when",
]

LOCALES: Final = ("zh_CN", "en")


def _load(locale: str) -> dict[str, str]:
    """One locale's catalog (a gettext .po read with Babel, no compile step): message code →
    text with `{named}` parameters."""
    source = resources.files("outbound") / "locale" / locale / "LC_MESSAGES" / "messages.po"
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}


_T: Final[dict[str, dict[str, str]]] = {locale: _load(locale) for locale in LOCALES}


#: Every phrase by locale (read-only; the catalog test walks it).
CATALOG: Final = _T


def has(key: str) -> bool:
    """A known message code (every code exists in the English catalog)."""
    return key in _T["en"]


def text(locale: str, key: str, **params: Any) -> str:
    table = _T.get(locale) or _T["en"]
    return table.get(key, _T["en"][key]).format(**params)


@dataclass(frozen=True)
class Line:
    """`label: text` (label shown bold) or a plain line; `indent` 1 = a bullet under it."""

    text: str
    label: str = ""
    indent: int = 0


@dataclass(frozen=True)
class Message:
    title: str
    lines: list[Line] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)  # display names it is addressed to
    mute_url: str = ""
    mute_label: str = ""
    locale: str = "zh_CN"

    def plain(self) -> str:
        out = [self.title, ""]
        sep = "：" if self.locale.startswith("zh") else ": "
        for line in self.lines:
            pad = "  " * line.indent + ("· " if line.indent else "")
            out.append(pad + _join(line.label, line.text, sep))
        if self.mentions:
            out += ["", text(self.locale, "to") + sep + " ".join(f"@{m}" for m in self.mentions)]
        if self.mute_url:
            out += ["", f"{self.mute_label}: {self.mute_url}"]
        return "\n".join(out)


def _join(label: str, value: str, sep: str) -> str:
    if label and value:
        return f"{label}{sep}{value}"
    return label or value


def duration(locale: str, seconds: float) -> str:
    total = round(seconds)
    if total < 60:
        return text(locale, "seconds", s=total)
    return text(locale, "minutes_seconds", m=total // 60, s=total % 60)


def when(locale: str, at: datetime, now: datetime) -> str:
    delta = max(0.0, (now - at).total_seconds())
    if delta < 3600:
        return text(locale, "ago.minutes", n=max(1, int(delta // 60)))
    if delta < 86_400:
        return text(locale, "ago.hours", n=int(delta // 3600))
    return text(locale, "ago.days", n=int(delta // 86_400))


def local_date(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%Y-%m-%d")
