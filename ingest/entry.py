"""The Redis stream entry: how one request's rows travel from the API to the writer.

Version 2 (`Entry.encode()`): the columns every row of a request shares once, then per event
only the columns that differ — less to build and encode per beacon on the API; the writer's
`decode_entry` expands it to full rows, shape-checked row by row (`row_is_valid`); a
malformed entry raises `PoisonEntry` with the reason the writer's dead letter carries.
(Version 1, full rows, was never written by a released API and is no longer read: it is an
`unknown_entry_version` dead letter.)

The columns are addressed by name: `entry.shared[SHARED.viewer_id]`, `own[OWN.is_bot]`,
`row[ROW.link_id]` — index tuples built once from the column lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any, Final, Generic, NamedTuple, TypeVar

import orjson

from ingest.model import EVENT_COLUMNS, Event, PoisonEntry, row_is_valid

__all__ = [
    "ENTRY_VERSION_COMPACT",
    "OWN",
    "OWN_COLUMNS",
    "SHARED",
    "SHARED_COLUMNS",
    "Entry",
    "decode_entry",
]

#: Entry v2: {b"v": b"2", b"c": orjson([shared, …]), b"e": orjson([[own,
#: …], …])} — `SHARED_COLUMNS` once, `OWN_COLUMNS` per event. The columns in neither (visit,
#: forwarded, link_revoked) are the writer's and start at their `Event` defaults.
ENTRY_VERSION_COMPACT: Final = b"2"
T = TypeVar("T")


class SharedColumns(NamedTuple, Generic[T]):
    """The columns every row of one request shares, in entry order."""

    tenant_id: T
    link_id: T
    document_id: T
    version_id: T
    opportunity_id: T
    contact_id: T
    viewer_id: T
    received_at: T
    ua_browser: T
    ua_os: T
    ua_device: T
    ip_hash: T


class OwnColumns(NamedTuple, Generic[T]):
    """The columns each event of a request has of its own, in entry order."""

    event_id: T
    event_type: T
    page: T
    dwell_ms: T
    seq: T
    client_ts: T
    is_bot: T
    bot_reason: T
    props: T


SHARED_COLUMNS: Final[tuple[str, ...]] = SharedColumns._fields
OWN_COLUMNS: Final[tuple[str, ...]] = OwnColumns._fields
#: Where each column sits: `entry.shared[SHARED.viewer_id]`, `own[OWN.is_bot]`.
SHARED: Final = SharedColumns[int](*range(len(SHARED_COLUMNS)))
OWN: Final = OwnColumns[int](*range(len(OWN_COLUMNS)))
_UNSENT: Final = tuple(c for c in EVENT_COLUMNS if c not in SHARED_COLUMNS + OWN_COLUMNS)
_UNSENT_VALUES: Final = [Event.__dataclass_fields__[c].default for c in _UNSENT]
# A full row = this getter over own + shared + unsent values.
_SPREAD: Final = itemgetter(
    *((OWN_COLUMNS + SHARED_COLUMNS + _UNSENT).index(c) for c in EVENT_COLUMNS)
)
_VERSION_TEXT: Final = ENTRY_VERSION_COMPACT.decode()
_SHARED_OF: Final = attrgetter(*SHARED_COLUMNS)
_OWN_OF: Final = attrgetter(*OWN_COLUMNS)
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
        """The stream fields as bytes, as `XADD` takes them (the API appends `text_fields`)."""
        fields = iter(self.text_fields())
        return {name.encode(): value.encode() for name, value in zip(fields, fields, strict=True)}

    def text_fields(self) -> list[str]:
        """The stream fields as one flat name/value list of text, as the append script takes
        them (no dict, no decoding each part again: this runs for every beacon)."""
        return [
            "v",
            _VERSION_TEXT,
            "c",
            orjson.dumps(self.shared).decode(),
            "e",
            orjson.dumps(self.events).decode(),
        ]

    def rows(self) -> list[list[Any]]:
        """Full rows (`EVENT_COLUMNS` order), not shape-checked."""
        tail = self.shared + _UNSENT_VALUES
        return [list(_SPREAD(own + tail)) for own in self.events]


def _load(data: bytes | None) -> Any:
    try:
        return orjson.loads(data or b"")
    except orjson.JSONDecodeError as exc:
        raise PoisonEntry("unparseable") from exc


def decode_entry(fields: dict[bytes, bytes]) -> list[list[Any]]:
    """Rows of one entry, shape-checked; raises `PoisonEntry`."""
    if fields.get(b"v") != ENTRY_VERSION_COMPACT:
        raise PoisonEntry("unknown_entry_version")
    events = _load(fields.get(b"e"))
    if not isinstance(events, list) or not events:
        raise PoisonEntry("no_rows")
    shared = _load(fields.get(b"c"))
    if not isinstance(shared, list) or len(shared) != len(SHARED_COLUMNS):
        raise PoisonEntry("bad_shared_columns")
    if not all(isinstance(own, list) and len(own) == len(OWN_COLUMNS) for own in events):
        raise PoisonEntry("bad_row")
    rows = Entry(shared, events).rows()
    if not all(row_is_valid(row) for row in rows):
        raise PoisonEntry("bad_row")
    checked: list[list[Any]] = rows
    return checked
