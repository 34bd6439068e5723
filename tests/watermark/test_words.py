from __future__ import annotations

import pytest

from watermark import count_words


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("Hello, world!", 2),
        ("It's a twelve-month plan: 3.5 FTE", 6),
        ("报价方案", 4),
        ("王总, please review 第四页", 2 + 2 + 3),
        ("山田太郎さん", 6),
        ("김민준 님께 드립니다", 3),
        ("Привет мир", 2),
    ],
)
def test_count_words(text: str, expected: int) -> None:
    assert count_words(text) == expected
