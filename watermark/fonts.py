"""Fonts for the visible stamp, chosen per script run.

Latin text uses Helvetica (a standard font, WinAnsi-encoded, nothing embedded). For every other
script the stamp *embeds a subset* of a CJK TrueType font when one is installed (first found in
`CJK_FONT_PATHS`; Debian package ``fonts-wqy-zenhei``, which covers Han, Kana and Hangul): the
subset is a few KB per document, renders identically in every viewer (pdfium, poppler,
Ghostscript, Acrobat without its Asian font pack) and carries a ToUnicode map, so names stay
extractable.

Without such a font the stamp falls back to reportlab's Adobe CID fonts, which are referenced,
not embedded: Hangul → ``HYSMyeongJo-Medium``; Han/Kana in text that contains Kana →
``HeiseiMin-W3``; anything else → ``STSong-Light``. Those are extractable too, but whether they
*render* depends on the viewer's fonts — measured on Debian 12: pdfium (our server-side
renderer) drew no Hangul and poppler drew Chinese as boxes, which is why embedding is preferred.
"""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

__all__ = [
    "CHINESE_FONT",
    "CJK_FONT_PATHS",
    "EMBEDDED_CJK_FONT",
    "JAPANESE_FONT",
    "KOREAN_FONT",
    "LATIN_FONT",
    "embedded_cjk_font",
    "font_runs",
]

LATIN_FONT = "Helvetica"
CHINESE_FONT = "STSong-Light"
JAPANESE_FONT = "HeiseiMin-W3"
KOREAN_FONT = "HYSMyeongJo-Medium"
EMBEDDED_CJK_FONT = "DSCJK"
CJK_FONT_PATHS: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
)


@functools.cache
def _register_cid(name: str) -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(name))
    return name


@functools.cache
def embedded_cjk_font() -> str | None:
    """Register the first installed CJK TrueType font; its name, or None when none is found."""
    for path in CJK_FONT_PATHS:
        if path.is_file():
            index = 0 if path.suffix.lower() == ".ttc" else None
            font = (
                TTFont(EMBEDDED_CJK_FONT, str(path), subfontIndex=index)
                if index is not None
                else TTFont(EMBEDDED_CJK_FONT, str(path))
            )
            pdfmetrics.registerFont(font)
            return EMBEDDED_CJK_FONT
    return None


def _is_kana(ch: str) -> bool:
    return "\u3040" <= ch <= "\u30ff" or "\u31f0" <= ch <= "\u31ff" or "\uff66" <= ch <= "\uff9f"


def _is_hangul(ch: str) -> bool:
    return "\uac00" <= ch <= "\ud7af" or "\u1100" <= ch <= "\u11ff" or "\u3130" <= ch <= "\u318f"


def _is_latin(ch: str) -> bool:
    # cp1252 covers Latin-1 plus the typographic punctuation Helvetica has (· – — “ ” €).
    try:
        ch.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return unicodedata.category(ch) != "Cc"


def _font_for(ch: str, japanese: bool) -> str:
    if _is_latin(ch):
        return LATIN_FONT
    embedded = embedded_cjk_font()
    if embedded is not None:
        return embedded
    if _is_hangul(ch):
        return _register_cid(KOREAN_FONT)
    if japanese:
        return _register_cid(JAPANESE_FONT)
    return _register_cid(CHINESE_FONT)


def font_runs(text: str) -> list[tuple[str, str]]:
    """Split `text` into ``(font name, substring)`` runs; spaces join the preceding run."""
    japanese = any(_is_kana(ch) for ch in text)
    runs: list[tuple[str, str]] = []
    for ch in text:
        font = runs[-1][0] if (ch == " " and runs) else _font_for(ch, japanese)
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + ch)
        else:
            runs.append((font, ch))
    return runs
