"""The one typed event schema: the raw beacon the viewer posts and the enriched `Event` row.

Wire format (`POST /e`, body ≤ `limits.max_beacon_bytes`, `application/json` from
`fetch(keepalive)` or `text/plain` from `navigator.sendBeacon`; both carry the same JSON)::

    {
      "s": "<viewer-session token>",               # signed, see tracker.tokens
      "events": [                                   # 1..limits.max_beacon_events
        {
          "id": "3b1f0c3e-…",     # client event id: 8..64 chars of [A-Za-z0-9_-]
          "t": "page_dwell",      # view_start | page_dwell | visit_end | headless_signal
          "p": 3,                 # page, 1..claims.pages (0 = no page; not for page_dwell)
          "d": 10000,             # active ms since the previous heartbeat (page_dwell only)
          "q": 7,                 # client sequence number, 0..2^32-1
          "ts": 1730000000000,    # client clock, epoch ms (optional)
          "sig": {"wd": false, "sw": 1920, "sh": 1080, "pl": 5}   # optional headless signals
        }
      ]
    }

Unknown keys anywhere are rejected. `link_click`, `pixel_open` and `download` are server-side
events (the API builds them); a beacon may not carry them.

The enriched `Event` mirrors the `events` table column for column (timestamps as epoch
milliseconds); `ingest.entry` is how a request's rows travel in the Redis stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter
from typing import Annotated, Any, Final, Generic, Literal, NamedTuple, TypeVar, get_args

import msgspec
import pyarrow as pa
from msgspec import UNSET, UnsetType

from tracker.types import BotReason, EventType

__all__ = [
    "ABSURD_DWELL_MS",
    "BEACON_EVENT_TYPES",
    "EVENT_COLUMNS",
    "EVENT_ID_PATTERN",
    "ROW",
    "SEQ_LIMIT",
    "BeaconEventName",
    "Event",
    "EventColumns",
    "HeadlessSignals",
    "PoisonEntry",
    "RawBeacon",
    "RawEvent",
    "WireBeacon",
    "WireEvent",
    "events_table",
    "row_is_valid",
]

#: Event types a viewer beacon may carry.
BEACON_EVENT_TYPES: Final = frozenset(
    {
        EventType.VIEW_START,
        EventType.PAGE_DWELL,
        EventType.VISIT_END,
        EventType.HEADLESS_SIGNAL,
    }
)


# The wire's integers are bounded to int64 (msgspec's bounds must fit one): orjson reads
# integers outside -2**63..2**64-1 as floats, which the checked reading in `ingest.validate`
# refuses — so the typed reading accepts nothing it refuses, and leaves the rare 2**63..2**64-1
# to it.
_JSON_INT_MIN: Final = -(2**63)
_JSON_INT_MAX: Final = 2**63 - 1
#: Dwell above this is refused, not clamped (`ingest.validate`): only a bug or a forged client
#: reports an hour of active reading in one heartbeat.
ABSURD_DWELL_MS: Final = 3_600_000
#: A client event id: 8..64 characters of [A-Za-z0-9_-].
EVENT_ID_PATTERN: Final = r"\A[A-Za-z0-9_-]{8,64}\Z"
_ID_MIN: Final = 8
_ID_MAX: Final = 64
SEQ_LIMIT: Final = 2**32  # exclusive
_SignalNumber = Annotated[int, msgspec.Meta(ge=-1, lt=1_000_000)]


class HeadlessSignals(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """In-page automation hints sent with `view_start` (`sig`); also the wire type of `sig`
    (the field names are the wire's: wd, sw, sh, pl)."""

    webdriver: bool = msgspec.field(default=False, name="wd")
    screen_width: _SignalNumber = msgspec.field(default=-1, name="sw")  # -1 = not reported
    screen_height: _SignalNumber = msgspec.field(default=-1, name="sh")
    plugins: _SignalNumber = msgspec.field(default=-1, name="pl")

    @property
    def zero_screen(self) -> bool:
        return self.screen_width == 0 or self.screen_height == 0

    def to_props(self) -> dict[str, Any]:
        return {
            "wd": self.webdriver,
            "sw": self.screen_width,
            "sh": self.screen_height,
            "pl": self.plugins,
        }

    def props_json(self) -> str:
        """`to_props()` as the JSON the events table's `props` column holds, without the dict."""
        return _ENCODE(self).decode()


_ENCODE: Final = msgspec.json.Encoder().encode


class RawEvent(msgspec.Struct, frozen=True, gc=False):
    """One validated event of a beacon, before enrichment."""

    client_id: str
    type: EventType
    page: int
    dwell_ms: int
    seq: int
    client_ts_ms: int
    signals: HeadlessSignals | None = None


class RawBeacon(msgspec.Struct, frozen=True, gc=False):
    token: str
    events: tuple[RawEvent, ...]


#: A beacon event's `t` on the wire (the values of `BEACON_EVENT_TYPES`).
BeaconEventName = Literal["view_start", "page_dwell", "visit_end", "headless_signal"]


class WireEvent(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """One event as the viewer posts it, decoded and range-checked in one pass (see the wire
    format above); `ingest.validate` turns it into a `RawEvent` (clamps, defaults)."""

    # Only the length here: msgspec's `pattern` runs a regex per id, most of the decode's
    # time; `ingest.validate` checks the characters of all a beacon's ids in one pass.
    id: Annotated[str, msgspec.Meta(min_length=_ID_MIN, max_length=_ID_MAX)]
    t: BeaconEventName
    p: Annotated[int, msgspec.Meta(ge=0, le=_JSON_INT_MAX)] = 0
    d: Annotated[int, msgspec.Meta(ge=0, le=ABSURD_DWELL_MS)] = 0
    q: Annotated[int, msgspec.Meta(ge=0, lt=SEQ_LIMIT)] = 0
    ts: Annotated[int, msgspec.Meta(ge=_JSON_INT_MIN, le=_JSON_INT_MAX)] | UnsetType = UNSET
    sig: HeadlessSignals | UnsetType = UNSET


class WireBeacon(msgspec.Struct, forbid_unknown_fields=True, gc=False):
    """The body of `POST /e`."""

    s: str
    events: list[WireEvent]


if set(get_args(BeaconEventName)) != {kind.value for kind in BEACON_EVENT_TYPES}:
    raise ImportError("BeaconEventName and BEACON_EVENT_TYPES list different event types")


@dataclass(slots=True)
class Event:
    """One row of the `events` table (field order = column order)."""

    event_id: str
    tenant_id: str
    event_type: str
    document_id: str
    version_id: str
    link_id: str
    opportunity_id: str
    contact_id: str
    viewer_id: str
    visit_id: str = ""
    page: int = 0
    dwell_ms: int = 0
    seq: int = 0
    client_ts: int = 0  # epoch ms
    received_at: int = 0  # epoch ms
    ua_browser: str = ""
    ua_os: str = ""
    ua_device: str = ""
    ip_hash: str = ""
    is_bot: int = 0
    bot_reason: str = BotReason.NONE.value
    forwarded: int = 0
    link_revoked: int = 0
    props: str = field(default="")

    def to_row(self) -> list[Any]:
        # Not dataclasses.astuple: it deep-copies every field, a measurable cost per beacon.
        return list(_ROW(self))

    @classmethod
    def from_row(cls, row: list[Any]) -> Event:
        return cls(*row)

    def flag(self, reason: BotReason) -> None:
        """Mark as automated; the first reason found wins."""
        if reason is not BotReason.NONE and not self.is_bot:
            self.is_bot = 1
            self.bot_reason = reason.value


EVENT_COLUMNS: Final[tuple[str, ...]] = tuple(Event.__dataclass_fields__)


T = TypeVar("T")


class EventColumns(NamedTuple, Generic[T]):
    """The events table's columns, in order: `EventColumns[int]` is where each sits in a
    row (`ROW`); `Event` is the same row as a dataclass (an import-time check keeps the two
    in step)."""

    event_id: T
    tenant_id: T
    event_type: T
    document_id: T
    version_id: T
    link_id: T
    opportunity_id: T
    contact_id: T
    viewer_id: T
    visit_id: T
    page: T
    dwell_ms: T
    seq: T
    client_ts: T
    received_at: T
    ua_browser: T
    ua_os: T
    ua_device: T
    ip_hash: T
    is_bot: T
    bot_reason: T
    forwarded: T
    link_revoked: T
    props: T


if EventColumns._fields != EVENT_COLUMNS:
    raise ImportError("EventColumns and Event list different columns")
#: Where each column sits in a row: `row[ROW.tenant_id]`.
ROW: Final = EventColumns[int](*range(len(EVENT_COLUMNS)))
_ROW: Final = attrgetter(*EVENT_COLUMNS)

# Upper bound (exclusive) of each integer column; string columns are bounded by _MAX_LEN.
_INT_BOUNDS: Final = {
    "page": 2**16,
    "dwell_ms": 2**32,
    "seq": 2**32,
    "client_ts": 2**47,
    "received_at": 2**47,
    "is_bot": 2,
    "forwarded": 2,
    "link_revoked": 2,
}
_COLUMN_BOUNDS: Final[tuple[int | None, ...]] = tuple(
    _INT_BOUNDS.get(name) for name in EVENT_COLUMNS
)
_MAX_LEN: Final = 4096

_ARROW_TYPES: Final = {
    "page": pa.uint16(),
    "dwell_ms": pa.uint32(),
    "seq": pa.uint32(),
    "client_ts": pa.timestamp("ms", tz="UTC"),
    "received_at": pa.timestamp("ms", tz="UTC"),
    "is_bot": pa.uint8(),
    "forwarded": pa.uint8(),
    "link_revoked": pa.uint8(),
}


def events_table(rows: list[list[Any]]) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in EVENT_COLUMNS]
    return pa.table(
        {
            name: pa.array(values, _ARROW_TYPES.get(name, pa.string()))
            for name, values in zip(EVENT_COLUMNS, columns, strict=True)
        }
    )


def row_is_valid(row: object) -> bool:
    """Shape check for a row read back from the stream (the writer's poison test)."""
    if not isinstance(row, list) or len(row) != len(_COLUMN_BOUNDS):
        return False
    for value, bound in zip(row, _COLUMN_BOUNDS, strict=True):
        if bound is not None:
            if type(value) is not int or not 0 <= value < bound:
                return False
        elif type(value) is not str or len(value) > _MAX_LEN:
            return False
    return True


class PoisonEntry(ValueError):
    """A stream entry the writer cannot turn into rows; `reason` goes to the dead letter."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
