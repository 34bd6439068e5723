"""Raw beacon bytes → a validated batch, before any enrichment.

The whole batch is rejected (`InvalidBeacon` with a machine-readable `code`, nothing written)
if any part is invalid. Codes:

    body_too_large       body over `limits.max_beacon_bytes` (checked before parsing)
    unsupported_media    a content type other than application/json or text/plain
    malformed_json       not UTF-8 JSON, or not the documented shape (unknown/missing keys)
    bad_token            the viewer-session token is missing, forged or expired
    too_many_events      0 events or more than `limits.max_beacon_events`
    bad_event_id         client event id not 8..64 chars of [A-Za-z0-9_-]
    unknown_event_type   not a beacon event type (server-side types included)
    page_out_of_range    page outside 1..claims.pages (0 allowed except for page_dwell)
    absurd_dwell         dwell negative, not an integer, or over `_ABSURD_DWELL_MS` (1 h)
    bad_seq              sequence number not an integer in 0..2^32-1
    bad_timestamp        client time not an integer epoch-ms
    bad_signals          headless signals not of the documented shape

Two readings of one contract. The typed one decodes and range-checks the body into
`ingest.model.WireBeacon` structs in one pass (msgspec) — every well-formed beacon takes it. A
body it refuses is read again by the checked one (orjson, then key by key in the order
above), which names the first thing wrong with the code a client sees; msgspec's errors carry
a path, not our codes. The typed reading accepts nothing the checked one refuses (integers
beyond 64 bits included) and yields the same events: tests/ingest/test_ingest_validate_paths.py
holds the two to that.

Dwell policy: a delta above `heartbeat_seconds + dwell_slack_seconds` but at most one hour is
clamped to that bound (timer throttling in background tabs makes modest overshoots normal);
anything over an hour, negative or non-integer is rejected — it can only come from a bug or a
forged client, and silently clamping it would hide that. Client time is clamped into
server time ± `clock_skew_seconds`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final, NamedTuple

import msgspec
import orjson

from ingest.metrics import EVENTS_REJECTED
from ingest.model import (
    ABSURD_DWELL_MS,
    BEACON_EVENT_TYPES,
    EVENT_ID_PATTERN,
    SEQ_LIMIT,
    HeadlessSignals,
    RawBeacon,
    RawEvent,
    WireBeacon,
    WireEvent,
)
from tracker.config import Settings
from tracker.errors import DealsignalError, InvalidBeacon
from tracker.tokens import TokenSigner, ViewerSessionClaims
from tracker.types import EventType

__all__ = [
    "ValidBeacon",
    "ValidWire",
    "checked_beacon",
    "parse_beacon",
    "typed_beacon",
    "typed_wire",
    "validate_beacon",
    "validate_wire",
]

_ABSURD_DWELL_MS: Final = ABSURD_DWELL_MS
_EVENT_ID: Final = re.compile(EVENT_ID_PATTERN)
_BEACON_KEYS: Final = frozenset({"s", "events"})
_EVENT_KEYS: Final = frozenset({"id", "t", "p", "d", "q", "ts", "sig"})
_SIGNAL_KEYS: Final = frozenset({"wd", "sw", "sh", "pl"})
_MEDIA_TYPES: Final = frozenset({"", "application/json", "text/plain"})
_MAX_TOKEN: Final = 2048
_U32: Final = SEQ_LIMIT
_TYPES: Final = {kind.value: kind for kind in BEACON_EVENT_TYPES}


_DECODE: Final = msgspec.json.Decoder(WireBeacon).decode
_PAGE_DWELL: Final = EventType.PAGE_DWELL
_DWELL_NAME: Final = _PAGE_DWELL.value


@dataclass(frozen=True, slots=True)
class ValidBeacon:
    claims: ViewerSessionClaims
    events: tuple[RawEvent, ...]


class ValidWire(NamedTuple):
    """A beacon the typed reading took, verified: the claims and the events as decoded
    (`validate_wire`; defaults and clamps not yet applied)."""

    claims: ViewerSessionClaims
    events: list[WireEvent]


def _reject(code: str, message: str, **details: Any) -> InvalidBeacon:
    EVENTS_REJECTED.labels(reason=code).inc()
    return InvalidBeacon(message, code=code, **details)


def _is_int(value: object) -> bool:
    return type(value) is int


def parse_beacon(body: bytes, *, content_type: str | None, settings: Settings) -> RawBeacon:
    """Size, media type and structure; no token or claims needed yet."""
    _check_envelope(body, content_type, settings)
    try:
        return typed_beacon(body, settings)
    except msgspec.DecodeError:  # not JSON, or not the shape (msgspec.ValidationError)
        return checked_beacon(body, settings)


def _check_envelope(body: bytes, content_type: str | None, settings: Settings) -> None:
    limits = settings.limits
    if len(body) > limits.max_beacon_bytes:
        raise _reject("body_too_large", f"beacon over {limits.max_beacon_bytes} bytes")
    media = _media(content_type)
    if media not in _MEDIA_TYPES:
        raise _reject("unsupported_media", f"unsupported content type {media!r}")


@lru_cache(maxsize=64)
def _media(content_type: str | None) -> str:
    # A client sends the same one or two content types on every beacon.
    return (content_type or "").split(";", 1)[0].strip().lower()


def typed_wire(body: bytes, settings: Settings) -> WireBeacon:
    """The typed reading, undigested: raises `msgspec.DecodeError` for a body that is not JSON
    of the documented shape and ranges (event-id characters included), `InvalidBeacon` for a
    bad token length or event count."""
    wire = _DECODE(body)
    token, items = wire.s, wire.events
    if not 0 < len(token) <= _MAX_TOKEN:
        raise _reject("bad_token", "missing viewer-session token")
    limits = settings.limits
    if not 0 < len(items) <= limits.max_beacon_events:
        raise _reject("too_many_events", f"a beacon carries 1..{limits.max_beacon_events} events")
    # `EVENT_ID_PATTERN` without a regex: the ids' lengths are msgspec's (8..64); their
    # characters are ASCII letters, digits, "_" and "-" exactly when all of them joined,
    # with "_" and "-" read as letters, are ASCII and alphanumeric (never empty here).
    ids = "".join([item.id for item in items])
    if not (ids.isascii() and ids.replace("_", "a").replace("-", "a").isalnum()):
        raise msgspec.ValidationError("event id must be 8..64 chars of [A-Za-z0-9_-]")
    return wire


def typed_beacon(body: bytes, settings: Settings) -> RawBeacon:
    """The typed reading: raises `msgspec.DecodeError` for a body that is not JSON of the
    documented shape and ranges, `InvalidBeacon` for a bad token length or event count."""
    wire = typed_wire(body, settings)
    token, items = wire.s, wire.events
    ingest = settings.ingest
    now_ms = time.time_ns() // 1_000_000
    earliest = now_ms - ingest.clock_skew_seconds * 1000
    latest = now_ms + ingest.clock_skew_seconds * 1000
    max_dwell = (ingest.heartbeat_seconds + ingest.dwell_slack_seconds) * 1000
    unset = msgspec.UNSET
    # One comprehension, no call per event: the same clamps and defaults as `_parse_event`.
    return RawBeacon(
        token,
        tuple(
            [
                RawEvent(
                    item.id,
                    _TYPES[item.t],
                    item.p,
                    (item.d if item.d < max_dwell else max_dwell) if item.t == _DWELL_NAME else 0,
                    item.q,
                    now_ms if item.ts is unset else min(max(item.ts, earliest), latest),
                    None if item.sig is unset else item.sig,
                )
                for item in items
            ]
        ),
    )


def checked_beacon(body: bytes, settings: Settings) -> RawBeacon:
    """The checked reading: key by key, raising `InvalidBeacon` with the code of the first
    thing wrong."""
    limits = settings.limits
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise _reject("malformed_json", "beacon is not valid JSON") from exc
    if not isinstance(doc, dict) or set(doc) != _BEACON_KEYS:
        raise _reject("malformed_json", "beacon must be {s, events}")
    token, items = doc["s"], doc["events"]
    if not isinstance(token, str) or not 0 < len(token) <= _MAX_TOKEN:
        raise _reject("bad_token", "missing viewer-session token")
    if not isinstance(items, list):
        raise _reject("malformed_json", "events must be a list")
    if not 0 < len(items) <= limits.max_beacon_events:
        raise _reject("too_many_events", f"a beacon carries 1..{limits.max_beacon_events} events")
    now_ms = time.time_ns() // 1_000_000
    skew_ms = settings.ingest.clock_skew_seconds * 1000
    max_dwell = (settings.ingest.heartbeat_seconds + settings.ingest.dwell_slack_seconds) * 1000
    events = tuple(_parse_event(item, now_ms, skew_ms, max_dwell) for item in items)
    return RawBeacon(token=token, events=events)


def _parse_event(item: object, now_ms: int, skew_ms: int, max_dwell: int) -> RawEvent:
    if not isinstance(item, dict) or not item.keys() <= _EVENT_KEYS or "id" not in item:
        raise _reject("malformed_json", "each event needs id and t, and only documented keys")
    client_id = item["id"]
    if not isinstance(client_id, str) or not _EVENT_ID.fullmatch(client_id):
        raise _reject("bad_event_id", "event id must be 8..64 chars of [A-Za-z0-9_-]")
    kind = _TYPES.get(item["t"]) if isinstance(item.get("t"), str) else None
    if kind is None:
        if "t" not in item:
            raise _reject("malformed_json", "each event needs id and t")
        raise _reject("unknown_event_type", f"unknown event type {item['t']!r}")
    page = item.get("p", 0)
    if type(page) is not int or page < 0:
        raise _reject("page_out_of_range", "page must be a non-negative integer")
    dwell = item.get("d", 0)
    if type(dwell) is not int or not 0 <= dwell <= _ABSURD_DWELL_MS:
        raise _reject("absurd_dwell", f"dwell must be an integer in 0..{_ABSURD_DWELL_MS} ms")
    if kind is not EventType.PAGE_DWELL:
        dwell = 0
    seq = item.get("q", 0)
    if type(seq) is not int or not 0 <= seq < _U32:
        raise _reject("bad_seq", "seq must be an integer in 0..2^32-1")
    client_ts = item.get("ts", now_ms)
    if type(client_ts) is not int:
        raise _reject("bad_timestamp", "ts must be epoch milliseconds")
    signals = _parse_signals(item["sig"]) if "sig" in item else None
    return RawEvent(
        client_id=client_id,
        type=kind,
        page=page,
        dwell_ms=min(dwell, max_dwell),
        seq=seq,
        client_ts_ms=min(max(client_ts, now_ms - skew_ms), now_ms + skew_ms),
        signals=signals,
    )


def _parse_signals(sig: object) -> HeadlessSignals:
    if not isinstance(sig, dict) or not set(sig) <= _SIGNAL_KEYS:
        raise _reject("bad_signals", "sig may carry only wd, sw, sh, pl")
    webdriver = sig.get("wd", False)
    numbers = [sig.get(key, -1) for key in ("sw", "sh", "pl")]
    if type(webdriver) is not bool or not all(_is_int(n) and -1 <= n < 1_000_000 for n in numbers):
        raise _reject("bad_signals", "sig.wd is a boolean, sw/sh/pl small integers")
    return HeadlessSignals(webdriver, numbers[0], numbers[1], numbers[2])


def validate_beacon(
    body: bytes, *, content_type: str | None, settings: Settings, signer: TokenSigner
) -> ValidBeacon:
    """Parse, verify the viewer-session token, and check pages against its claims."""
    raw = parse_beacon(body, content_type=content_type, settings=settings)
    claims = _claims(raw.token, signer)
    pages = claims.pages
    for event in raw.events:
        if event.page > pages or (event.page < 1 and event.type is _PAGE_DWELL):
            raise _reject("page_out_of_range", f"page must be within 1..{claims.pages}")
    return ValidBeacon(claims=claims, events=raw.events)


def validate_wire(
    body: bytes, *, content_type: str | None, settings: Settings, signer: TokenSigner
) -> ValidWire | None:
    """`validate_beacon` for a body the typed reading takes, without a `RawEvent` per event
    (the caller builds its columns straight from the wire events, with the same clamps):
    the same checks in the same order, the same `InvalidBeacon`s. None when the typed
    reading refuses the body: then `validate_beacon` names what is wrong."""
    _check_envelope(body, content_type, settings)
    try:
        wire = typed_wire(body, settings)
    except msgspec.DecodeError:
        return None
    claims = _claims(wire.s, signer)
    pages = claims.pages
    for item in wire.events:
        if item.p > pages or (item.p < 1 and item.t == _DWELL_NAME):
            raise _reject("page_out_of_range", f"page must be within 1..{claims.pages}")
    return ValidWire(claims, wire.events)


def _claims(token: str, signer: TokenSigner) -> ViewerSessionClaims:
    try:
        return signer.read_viewer_session(token)
    except DealsignalError as exc:  # NotFound (forged) or Gone (expired)
        raise _reject("bad_token", "invalid or expired viewer session", reason=exc.code) from exc
