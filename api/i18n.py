"""Interface language: gettext catalogs under api/locale (read with Babel, no compile
step). Chosen from the link's setting, else Accept-Language, else the tenant default."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po

__all__ = ["SUPPORTED", "Translator", "negotiate", "translator_for"]

SUPPORTED = ("en", "zh_CN")


@dataclass(frozen=True)
class Translator:
    locale: str
    messages: dict[str, str] = field(default_factory=dict)

    def gettext(self, message: str) -> str:
        return self.messages.get(message) or message

    @property
    def html_lang(self) -> str:
        return self.locale.replace("_", "-")


@lru_cache(maxsize=8)
def translator_for(locale: str) -> Translator:
    if locale not in SUPPORTED:
        locale = "en"
    catalog_file = resources.files("api") / "locale" / locale / "LC_MESSAGES" / "messages.po"
    if not catalog_file.is_file():
        return Translator(locale)
    with catalog_file.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    messages = {str(m.id): str(m.string) for m in catalog if m.id and m.string}
    return Translator(locale, messages)


def _match(tag: str) -> str | None:
    try:
        parsed = Locale.parse(tag.strip().replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return None
    if parsed.language == "zh":
        return "zh_CN"
    return "en" if parsed.language == "en" else None


def negotiate(link_locale: str, accept_language: str | None, tenant_default: str) -> str:
    """Link setting, then the browser's ordered preferences, then the tenant default."""
    if link_locale and (chosen := _match(link_locale)):
        return chosen
    weighted = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and tag != "*" and quality > 0:
            weighted.append((-quality, index, tag))
    for _, _, tag in sorted(weighted):
        if chosen := _match(tag):
            return chosen
    return _match(tenant_default) or "en"
