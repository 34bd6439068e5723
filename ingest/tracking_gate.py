"""The privacy gate of the beacon: a viewer session whose token says it may record the
open only (`Tracking` other than `all`: consent not given yet, refused, or GPC/DNT
honoured) keeps its `view_start` events and loses every other one — dwell, visit end,
headless probes — before anything is enriched or enqueued.

A beacon left with nothing is refused with 403 and a code the viewer's script treats as
final (it does not retry 4xx):

    consent_required     the tenant asks for consent and the buyer has not answered
    tracking_declined    the buyer refused
    tracking_opted_out   the browser sent Sec-GPC: 1 or DNT: 1 and the tenant honours them

A beacon that still holds an open is accepted (204) with the rest dropped and counted in
`dealsignal_ingest_events_not_consented_total`: the page's own script never mixes them, so
a mixed batch is a stale or hand-made client, and refusing it would lose the open too.
The check is one comparison for a session that records everything."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, TypeVar

from ingest.metrics import EVENTS_NOT_CONSENTED
from ingest.validate import ValidBeacon, ValidWire
from tracker.errors import Forbidden
from tracker.tokens import ViewerSessionClaims
from tracker.types import EventType, Tracking

__all__ = ["OPEN_EVENTS", "gate_beacon", "gate_wire"]

#: What "the open itself" is on the beacon (the link click and the pixel are server-side).
OPEN_EVENTS: Final = frozenset({EventType.VIEW_START})
_OPEN_KINDS: Final = frozenset(kind.value for kind in OPEN_EVENTS)
E = TypeVar("E")

_CODES: Final = {
    Tracking.CONSENT_PENDING: ("consent_required", "the reader has not agreed to tracking"),
    Tracking.DECLINED: ("tracking_declined", "the reader declined tracking"),
    Tracking.OPTED_OUT: ("tracking_opted_out", "the reader's browser asks not to be tracked"),
}


def gate_beacon(beacon: ValidBeacon) -> ValidBeacon:
    if beacon.claims.tracking is Tracking.ALL:
        return beacon
    kept = _kept(beacon.claims, beacon.events, [event.type.value for event in beacon.events])
    return ValidBeacon(claims=beacon.claims, events=kept)


def gate_wire(beacon: ValidWire) -> ValidWire:
    """`gate_beacon` for the events as decoded (`ingest.validate.validate_wire`)."""
    if beacon.claims.tracking is Tracking.ALL:
        return beacon
    kept = _kept(beacon.claims, beacon.events, [event.t for event in beacon.events])
    return ValidWire(beacon.claims, list(kept))


def _kept(claims: ViewerSessionClaims, events: Sequence[E], kinds: list[str]) -> tuple[E, ...]:
    """The open events of a session that may record the open only (`kinds`: each event's
    type value); raises `Forbidden` when none is left."""
    tracking = claims.tracking
    kept = tuple(event for event, kind in zip(events, kinds, strict=True) if kind in _OPEN_KINDS)
    if len(kept) < len(events):
        EVENTS_NOT_CONSENTED.labels(tracking=tracking.value).inc(len(events) - len(kept))
    if not kept:
        code, message = _CODES[tracking]
        raise Forbidden(message, code=code)
    return kept
