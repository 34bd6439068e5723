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

from typing import Final

from ingest.metrics import EVENTS_NOT_CONSENTED
from ingest.validate import ValidBeacon
from tracker.errors import Forbidden
from tracker.types import EventType, Tracking

__all__ = ["OPEN_EVENTS", "gate_beacon"]

#: What "the open itself" is on the beacon (the link click and the pixel are server-side).
OPEN_EVENTS: Final = frozenset({EventType.VIEW_START})

_CODES: Final = {
    Tracking.CONSENT_PENDING: ("consent_required", "the reader has not agreed to tracking"),
    Tracking.DECLINED: ("tracking_declined", "the reader declined tracking"),
    Tracking.OPTED_OUT: ("tracking_opted_out", "the reader's browser asks not to be tracked"),
}


def gate_beacon(beacon: ValidBeacon) -> ValidBeacon:
    tracking = beacon.claims.tracking
    if tracking is Tracking.ALL:
        return beacon
    kept = tuple(event for event in beacon.events if event.type in OPEN_EVENTS)
    if len(kept) < len(beacon.events):
        EVENTS_NOT_CONSENTED.labels(tracking=tracking.value).inc(len(beacon.events) - len(kept))
    if not kept:
        code, message = _CODES[tracking]
        raise Forbidden(message, code=code)
    return ValidBeacon(claims=beacon.claims, events=kept)
