"""Everything a person reads comes from the catalogs — the web app's (api/locale) and the
message codes scoring and outbound hand over (outbound/locale: reasons, actions, stages,
bands, evidence, reports). Every message of both is walked: a zh_CN message containing an
untranslated English sentence fails, and so does a code missing in one language or one
whose parameters differ between the two."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).parents[1]
CATALOGS = {
    "api": ROOT / "api" / "locale",
    "outbound": ROOT / "outbound" / "locale",
}
#: Latin tokens a Chinese sentence may carry: product and technical names, units.
ALLOWED = {"AI", "API", "CRM", "CSV", "ID", "IT", "PDF", "ROI", "UTC", "URL", "WeCom", "Slack",
           "Feishu", "Lark", "CTO", "CFO", "CEO", "VP", "JSON", "HTML", "h", "min", "s", "ms",
           "dealsignal", "Email", "email", "P", "KPI"}  # fmt: skip
#: Three or more Latin words in a row is an English sentence (or a piece of one).
_ENGLISH = re.compile(r"[A-Za-z]+(?:[ ,.;:'’\-]+[A-Za-z]+){2,}")


def english_in(message: str) -> str | None:
    """The English run in a zh_CN message, or None; placeholders and allowed names removed."""
    bare = re.sub(r"\{[^}]*\}|%\([^)]*\)[sd]|%[sd]|<[^>]*>|https?://\S+", " ", message)
    bare = re.sub(r"\b(" + "|".join(sorted(ALLOWED, key=len, reverse=True)) + r")\b", " ", bare)
    found = _ENGLISH.search(bare)
    return found.group(0) if found else None


def _messages(folder: Path, locale: str) -> dict[str, str]:
    path = folder / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    return {str(m.id): str(m.string) for m in catalog if m.id}


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_the_detector_catches_the_leaks_the_issue_found() -> None:
    assert english_in("原因：No activity for 2.1 days") == "No activity for"
    assert english_in("健康度 yellow") is None  # one word: the band test below covers names
    assert english_in("连续 {hours} 小时无更新（最近一次：{last}，{at}）") is None
    assert english_in("请在 PDF 中查看 ROI 测算") is None


@pytest.mark.parametrize("name", sorted(CATALOGS))
def test_no_zh_cn_message_carries_an_english_sentence(name: str) -> None:
    messages = _messages(CATALOGS[name], "zh_CN")
    assert messages, f"no zh_CN catalog for {name}"
    untranslated = sorted(code for code, text in messages.items() if not text.strip())
    assert not untranslated, f"{name}: untranslated {untranslated[:10]}"
    leaks = {code: english_in(text) for code, text in messages.items() if english_in(text)}
    assert not leaks, f"{name}: English in zh_CN messages: {leaks}"


def test_message_codes_exist_in_both_languages_with_the_same_parameters() -> None:
    zh, en = (_messages(CATALOGS["outbound"], loc) for loc in ("zh_CN", "en"))
    assert set(zh) == set(en)
    for code in en:
        assert _fields(zh[code]) == _fields(en[code]), code


def test_names_people_read_are_translated() -> None:
    """Stage, band and update names are single words, so the sentence rule cannot see them:
    each zh_CN name must differ from the English one."""
    zh, en = (_messages(CATALOGS["outbound"], loc) for loc in ("zh_CN", "en"))
    names = [c for c in en if c.startswith(("stage.", "band.", "update.", "content.", "factor."))]
    assert len(names) > 20
    same = [c for c in names if zh[c].strip().lower() == en[c].strip().lower()]
    assert not same, same


@pytest.mark.parametrize(
    "path",
    sorted(p for folder in CATALOGS.values() for p in folder.glob("*/LC_MESSAGES/messages.po")),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_message_is_defined_twice(path: Path) -> None:
    """Two branches adding the same code merge into two entries without a conflict; Babel
    quietly keeps the last one. Every msgid once."""
    ids = re.findall(r'^msgid "(.+)"$', path.read_text(), re.MULTILINE)
    twice = sorted({i for i in ids if ids.count(i) > 1})
    assert twice == [], twice
