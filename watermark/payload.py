"""How a link id is written into a PDF and read back.

Three textual carriers share these helpers:

* metadata / XMP carry the plain link id (easy to strip, easy to read);
* the invisible text layer carries ``DS-MARK:<link_id>:<crc>``;
* the micro-text carries ``dsw1<base32(link_id + crc32)>`` — lowercase base32 survives every
  font re-encoding we tested and does not contain the link id as a searchable string.

The CRC-32 check means random text never decodes to a link id: a candidate is accepted only
when its checksum matches.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib

__all__ = [
    "INVISIBLE_PREFIX",
    "MAX_LINK_ID_LENGTH",
    "MICRO_PREFIX",
    "check_link_id",
    "decode_invisible",
    "decode_micro",
    "encode_invisible",
    "encode_micro",
]

MAX_LINK_ID_LENGTH = 40
INVISIBLE_PREFIX = "DS-MARK:"
MICRO_PREFIX = "dsw1"

_LINK_ID = re.compile(r"[A-Za-z0-9_\-]{1,40}")
_INVISIBLE = re.compile(r"DS-MARK:([A-Za-z0-9_\-]{1,40}):([0-9a-f]{8})")
_MICRO = re.compile(r"dsw1([a-z2-7]{8,80})")


def check_link_id(link_id: str) -> str:
    """Return `link_id` if it can be carried by every mark, else raise ValueError."""
    if not _LINK_ID.fullmatch(link_id):
        raise ValueError(
            f"link id must be 1-{MAX_LINK_ID_LENGTH} chars of [A-Za-z0-9_-], got {link_id!r}"
        )
    return link_id


def _crc(link_id: str) -> int:
    return zlib.crc32(link_id.encode("ascii")) & 0xFFFFFFFF


def encode_invisible(link_id: str) -> str:
    return f"{INVISIBLE_PREFIX}{check_link_id(link_id)}:{_crc(link_id):08x}"


def decode_invisible(text: str) -> list[str]:
    """Every link id carried by invisible-layer markers in `text`, checksum-verified."""
    found: list[str] = []
    for match in _INVISIBLE.finditer(text):
        link_id, crc = match.group(1), match.group(2)
        if f"{_crc(link_id):08x}" == crc and link_id not in found:
            found.append(link_id)
    return found


def encode_micro(link_id: str) -> str:
    raw = check_link_id(link_id).encode("ascii") + _crc(link_id).to_bytes(4, "big")
    return MICRO_PREFIX + base64.b32encode(raw).decode("ascii").rstrip("=").lower()


def _decode_micro_body(body: str) -> str | None:
    # The regex is greedy; text extraction may glue a following letter onto the body, so try
    # the longest candidates first and shorten until a checksum matches.
    for end in range(len(body), 7, -1):
        chunk = body[:end].upper()
        try:
            raw = base64.b32decode(chunk + "=" * (-len(chunk) % 8))
        except (binascii.Error, ValueError):
            continue
        if len(raw) < 5:
            continue
        payload, crc = raw[:-4], int.from_bytes(raw[-4:], "big")
        try:
            link_id = payload.decode("ascii")
        except UnicodeDecodeError:
            continue
        if zlib.crc32(payload) & 0xFFFFFFFF == crc and _LINK_ID.fullmatch(link_id):
            return link_id
    return None


def decode_micro(text: str) -> list[str]:
    """Every link id carried by micro-text in `text`, checksum-verified.

    Whitespace is removed first: extractors sometimes split a tiny string into several runs.
    """
    found: list[str] = []
    for source in (text, re.sub(r"\s+", "", text)):
        for match in _MICRO.finditer(source):
            link_id = _decode_micro_body(match.group(1))
            if link_id is not None and link_id not in found:
                found.append(link_id)
    return found
