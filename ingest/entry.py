"""The Redis stream entry: how one request's rows travel from the API to the writer.

Version 2 (what the API writes, `Entry.encode()`): the columns every row of a request shares
once, then per event only the columns that differ — less to build and encode per beacon on
the API; the writer's `decode_entry` expands it to full rows. Version 1 (full rows,
`encode_entry`) is still decoded, so entries already in a stream during an upgrade are
written. Both are shape-checked row by row (`row_is_valid`); a malformed entry raises
`PoisonEntry` with the reason the writer's dead letter carries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any, Final

import orjson

from ingest.model import EVENT_COLUMNS, Event, PoisonEntry, row_is_valid

__all__ = [
    "ENTRY_VERSION",
    "ENTRY_VERSION_COMPACT",
    "OWN_COLUMNS",
    "SHARED_COLUMNS",
    "Entry",
    "decode_entry",
    "encode_entry",
]

#: Entry v1 (still decoded): {b"v": b"1", b"e": orjson([row, …])}, one entry per request.
ENTRY_VERSION: Final = b"1"
#: Entry v2 (what the API writes): {b"v": b"2", b"c": orjson([shared, …]), b"e": orjson([[own,
#: …], …])} — `SHARED_COLUMNS` once, `OWN_COLUMNS` per event. The columns in neither (visit,
#: forwarded, link_revoked) are the writer's and start at their `Event` defaults.
ENTRY_VERSION_COMPACT: Final = b"2"
SHARED_COLUMNS: Final[tuple[str, ...]] = (
    "tenant_id",
    "link_id",
    "document_id",
    "version_id",
    "opportunity_id",
    "contact_id",
    "viewer_id",
    "received_at",
    "ua_browser",
    "ua_os",
    "ua_device",
    "ip_hash",
)
OWN_COLUMNS: Final[tuple[str, ...]] = (
    "event_id",
    "event_type",
    "page",
    "dwell_ms",
    "seq",
    "client_ts",
    "is_bot",
    "bot_reason",
    "props",
)
_UNSENT: Final = tuple(c for c in EVENT_COLUMNS if c not in SHARED_COLUMNS + OWN_COLUMNS)
_UNSENT_VALUES: Final = [Event.__dataclass_fields__[c].default for c in _UNSENT]
# A full row = this getter over own + shared + unsent values.
_SPREAD: Final = itemgetter(
    *((OWN_COLUMNS + SHARED_COLUMNS + _UNSENT).index(c) for c in EVENT_COLUMNS)
)
_SHARED_OF: Final = attrgetter(*SHARED_COLUMNS)
_OWN_OF: Final = attrgetter(*OWN_COLUMNS)
_ROW: Final = attrgetter(*EVENT_COLUMNS)
_UNSENT_OF: Final = attrgetter(*_UNSENT)


@dataclass(slots=True)
class Entry:
    """One request's rows in the entry-v2 form: `shared` holds the `SHARED_COLUMNS` values,
    `events` one `OWN_COLUMNS` list per event (the enricher fills both in place)."""

    shared: list[Any]
    events: list[list[Any]]

    @classmethod
    def of(cls, events: Sequence[Event]) -> Entry:
        """From full events that share the shared columns and leave the writer's unset."""
        shared = _SHARED_OF(events[0])
        if any(_SHARED_OF(e) != shared or _UNSENT_OF(e) != tuple(_UNSENT_VALUES) for e in events):
            raise ValueError("events differ in a shared column or set a writer column")
        return cls(list(shared), [list(_OWN_OF(event)) for event in events])

    def encode(self) -> dict[bytes, bytes]:
        return {
            b"v": ENTRY_VERSION_COMPACT,
            b"c": orjson.dumps(self.shared),
            b"e": orjson.dumps(self.events),
        }

    def rows(self) -> list[list[Any]]:
        """Full rows (`EVENT_COLUMNS` order), not shape-checked."""
        tail = self.shared + _UNSENT_VALUES
        return [list(_SPREAD(own + tail)) for own in self.events]


def encode_entry(events: list[Event]) -> dict[bytes, bytes]:
    """Entry v1 (full rows); the API writes `Entry.encode()` (v2)."""
    # orjson writes the attrgetter tuples as JSON arrays: no per-event list copy.
    return {b"v": ENTRY_VERSION, b"e": orjson.dumps([_ROW(event) for event in events])}


def _load(data: bytes | None) -> Any:
    try:
        return orjson.loads(data or b"")
    except orjson.JSONDecodeError as exc:
        raise PoisonEntry("unparseable") from exc


def decode_entry(fields: dict[bytes, bytes]) -> list[list[Any]]:
    """Rows of one entry (v1 or v2), shape-checked; raises `PoisonEntry`."""
    version = fields.get(b"v")
    if version not in (ENTRY_VERSION, ENTRY_VERSION_COMPACT):
        raise PoisonEntry("unknown_entry_version")
    rows = _load(fields.get(b"e"))
    if not isinstance(rows, list) or not rows:
        raise PoisonEntry("no_rows")
    if version == ENTRY_VERSION_COMPACT:
        shared = _load(fields.get(b"c"))
        if not isinstance(shared, list) or len(shared) != len(SHARED_COLUMNS):
            raise PoisonEntry("bad_shared_columns")
        if not all(isinstance(own, list) and len(own) == len(OWN_COLUMNS) for own in rows):
            raise PoisonEntry("bad_row")
        rows = Entry(shared, rows).rows()
    if not all(row_is_valid(row) for row in rows):
        raise PoisonEntry("bad_row")
    checked: list[list[Any]] = rows
    return checked
