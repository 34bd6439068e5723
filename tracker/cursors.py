"""Keyset cursors for list endpoints: one convention everywhere (`limit` + `cursor` →
`next_cursor`). A cursor is the (time, id) of the last row a page returned, base64url JSON —
opaque to clients, stable while rows are added (no offsets that shift)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime

import orjson

from tracker.errors import BadRequest

__all__ = ["CURSOR_SQL", "Cursor"]


@dataclass(frozen=True)
class Cursor:
    at: datetime
    key: str

    def encode(self) -> str:
        raw = orjson.dumps([int(self.at.timestamp() * 1000), self.key])
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            ms, key = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            if not isinstance(ms, int) or not isinstance(key, str):
                raise TypeError
            return cls(datetime.fromtimestamp(ms / 1000, UTC), key)
        except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError) as exc:
            raise BadRequest("not a cursor this API returned", code="invalid_cursor") from exc

    def params(self) -> dict[str, object]:
        return {"cursor_ms": int(self.at.timestamp() * 1000), "cursor_key": self.key}


# The (time, id) of a cursor in SQL; `{cursor_ms}`/`{cursor_key}` bound by `params()`.
CURSOR_SQL = "(fromUnixTimestamp64Milli({cursor_ms:Int64}, 'UTC'), {cursor_key:String})"
