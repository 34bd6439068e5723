"""Words per page, for reading-time norms (238 words per minute in English).

Space-separated scripts (Latin, Cyrillic, Greek, Korean Hangul, …) count one word per run of
letters or digits. Chinese and Japanese are written without spaces, so each Han, Hiragana or
Katakana character counts as one word: measured reading speeds are ~255 characters/minute for
Chinese and ~357 for Japanese (Trauzettel-Klosinski et al., 2012, the same study as the 238 wpm
English norm, which puts English at 228 wpm), so one character ≈ one English word keeps the
"expected reading time" within ~10% for Chinese and errs long for Japanese (a page never looks
*less* read than it was).
"""

from __future__ import annotations

import re

__all__ = ["count_words"]

_CJK_CHAR = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
_CJK = re.compile(f"[{_CJK_CHAR}]")
_WORD = re.compile(rf"[^\W_{_CJK_CHAR}]+(?:['’.\-][^\W_{_CJK_CHAR}]+)*")


def count_words(text: str) -> int:
    """Words in `text`: one per CJK ideograph/kana plus one per other alphanumeric run."""
    return len(_CJK.findall(text)) + len(_WORD.findall(text))
