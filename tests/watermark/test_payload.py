from __future__ import annotations

import pytest

from watermark.payload import decode_invisible, decode_micro, encode_invisible, encode_micro

LINK = "lnk_01JD5Q8ZK3X4M7N2P9R6T0VWYA"


def test_round_trip_with_surrounding_text() -> None:
    assert decode_micro(f"Page 3\n{encode_micro(LINK)}\nfooter") == [LINK]
    assert decode_invisible(f"x {encode_invisible(LINK)} y") == [LINK]


def test_micro_text_split_by_extractor() -> None:
    text = encode_micro(LINK)
    assert decode_micro(text[:15] + "\n" + text[15:]) == [LINK]


def test_checksum_rejects_garbage_and_tampering() -> None:
    assert decode_micro("dsw1abcdefghijklmnopqrstuvwxyz234567") == []
    tampered = encode_micro(LINK)[:-3] + "aaa"
    assert decode_micro(tampered) == []
    assert decode_invisible(encode_invisible(LINK).replace("lnk_01", "lnk_02")) == []


@pytest.mark.parametrize("link_id", ["a", "lnk_" + "x" * 36])
def test_lengths(link_id: str) -> None:
    assert decode_micro(encode_micro(link_id)) == [link_id]
