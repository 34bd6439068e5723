"""The API's entry points: validate → enrich → one stream entry → return once Redis has it.

    accept_beacon(body, content_type=…, request=…)    POST /e (viewer JS)
    accept_server_event(type, context, request=…)      /l/{token}, /o/{token}.gif, downloads

Event ids: a beacon event's id is derived from the viewer session (tenant, link, viewer) and
the client's event id, so a retried beacon yields the same `event_id` and the writer drops the
copy. Server-side events get a fresh id per HTTP request (each request is one occurrence).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Mapping
from functools import lru_cache
from typing import Any, Final

import orjson
import redis.asyncio as aioredis
from msgspec import UNSET

from ingest.buffer import EventStream
from ingest.enrich import (
    SESSION_CACHE_SIZE,
    EnrichBatch,
    Enricher,
    EventContext,
    enrich_beacon,
    event_id_material,
)
from ingest.entry import Entry
from ingest.tracking_gate import gate_beacon, gate_wire
from ingest.validate import ValidBeacon, validate_beacon, validate_wire
from ingest.verdict import RequestMeta
from ingest.visits import visit_touch
from tracker.config import Settings
from tracker.ids import new_id
from tracker.tokens import TokenSigner, ViewerSessionClaims
from tracker.types import BotReason, EventType

__all__ = ["Ingestor", "beacon_event_id"]


def beacon_event_id(context: EventContext, client_id: str) -> str:
    """Deterministic `evt_…` id of a viewer event (same beacon retried → same id)."""
    material = event_id_material(context) + client_id
    return "evt_" + hashlib.blake2b(material.encode(), digest_size=16).hexdigest()


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class Ingestor:
    """What the API holds: settings, token signer, enricher and the stream buffer."""

    def __init__(
        self,
        settings: Settings,
        redis: aioredis.Redis,
        signer: TokenSigner,
        stream: EventStream,
        *,
        ip_key: bytes,
    ) -> None:
        self.settings = settings
        self.signer = signer
        self.stream = stream
        self.enricher = Enricher(settings, redis, ip_key=ip_key)

    async def accept_beacon(
        self, body: bytes, *, content_type: str | None, request: RequestMeta
    ) -> Entry:
        """Validate and enqueue a viewer beacon; raises `InvalidBeacon` (400) or
        `RedisUnavailable` (503). Returns the enqueued entry (`Entry.rows()`: its rows)."""
        settings = self.settings
        wire = validate_wire(body, content_type=content_type, settings=settings, signer=self.signer)
        if wire is None:  # the typed reading refused it: the checked one names why, or takes it
            return await self._accept_valid(
                validate_beacon(
                    body, content_type=content_type, settings=settings, signer=self.signer
                ),
                request,
            )
        wire = gate_wire(wire)  # the viewer's privacy choice: the open only, or all
        session = self.enricher.session(_context_of(wire.claims), request)
        event_id = session.event_id
        ingest = settings.ingest
        now = _now_ms()
        earliest = now - ingest.clock_skew_seconds * 1000
        latest = now + ingest.clock_skew_seconds * 1000
        max_dwell = (ingest.heartbeat_seconds + ingest.dwell_slack_seconds) * 1000
        items = wire.events
        # `OWN_COLUMNS` straight from the decoded events, not yet flagged, with
        # `typed_beacon`'s clamps and defaults (no `RawEvent` in between).
        own = [
            [
                event_id(item.id),
                item.t,
                item.p,
                (item.d if item.d < max_dwell else max_dwell) if item.t == _DWELL else 0,
                item.q,
                now if item.ts is UNSET else min(max(item.ts, earliest), latest),
                0,
                _NOT_BOT,
                "" if item.sig is UNSET else item.sig.props_json(),
            ]
            for item in items
        ]
        sent = [item.sig for item in items]
        # A heartbeat carries no signals: then the verdict step has none to look at.
        signals = (
            [] if sent.count(UNSET) == len(sent) else [None if s is UNSET else s for s in sent]
        )
        entry = Entry(list(session.shared), own)
        enrich_beacon(entry, session, now, signals)
        await self._append(entry, now)
        return entry

    async def _accept_valid(self, beacon: ValidBeacon, request: RequestMeta) -> Entry:
        """`accept_beacon` for a beacon only the checked reading took (`RawEvent`s)."""
        beacon = gate_beacon(beacon)  # the viewer's privacy choice: the open only, or all
        # The session's context, shared columns, verdicts and event-id hash: once per
        # viewer session and client, not per beacon.
        session = self.enricher.session(_context_of(beacon.claims), request)
        event_id = session.event_id
        own = [  # `OWN_COLUMNS`, not yet flagged (the ids are `beacon_event_id`'s)
            [
                event_id(raw.client_id),
                raw.type.value,
                raw.page,
                raw.dwell_ms,
                raw.seq,
                raw.client_ts_ms,
                0,
                _NOT_BOT,
                "" if raw.signals is None else raw.signals.props_json(),
            ]
            for raw in beacon.events
        ]
        entry = Entry(list(session.shared), own)
        now = _now_ms()
        enrich_beacon(entry, session, now, [raw.signals for raw in beacon.events])
        await self._append(entry, now)
        return entry

    async def accept_server_event(
        self,
        event_type: EventType,
        context: EventContext,
        *,
        request: RequestMeta,
        page: int = 0,
        props: Mapping[str, Any] | None = None,
    ) -> Entry:
        """Enqueue a link click, pixel open or download; raises `RedisUnavailable`. Returns
        the enqueued entry (one event)."""
        now = _now_ms()
        own = [
            _server_event_id(now),
            event_type.value,
            page,
            0,  # dwell_ms
            0,  # seq
            now,  # client_ts
            0,
            _NOT_BOT,
            orjson.dumps(dict(props)).decode() if props else "",
        ]
        entry = Entry(_shared(context), [own])
        batch = EnrichBatch(context=context, request=request, entry=entry, now_ms=now)
        return await self._enqueue(batch)

    async def _enqueue(self, batch: EnrichBatch) -> Entry:
        entry = await self.enricher.enrich(batch)
        await self._append(entry, batch.now_ms)
        return entry

    def _append(self, entry: Entry, now_ms: int) -> Awaitable[str]:
        """The entry with its visit touch, to the stream (awaited by the caller: no
        coroutine of its own)."""
        ingest = self.settings.ingest
        touch = visit_touch(
            entry,
            now_ms,
            ingest.visit_gap_seconds,
            dwell_slack_ms=ingest.dwell_clock_slack_seconds * 1000,
        )
        return self.stream.add(entry, touch)


_NOT_BOT: Final = BotReason.NONE.value
_DWELL: Final = EventType.PAGE_DWELL.value


def _server_event_id(now_ms: int) -> str:
    return new_id("event", now_ms=now_ms)


def _shared(context: EventContext) -> list[Any]:
    """`SHARED_COLUMNS` in order; received_at, the UA families and the IP hash are the
    enricher's."""
    return [
        context.tenant_id,
        context.link_id,
        context.document_id,
        context.version_id,
        context.opportunity_id,
        context.contact_id,
        context.viewer_id,
        0,
        "",
        "",
        "",
        "",
    ]


@lru_cache(maxsize=SESSION_CACHE_SIZE)
def _context_of(claims: ViewerSessionClaims) -> EventContext:
    """One `EventContext` per viewer session (the signer hands back the same claims for the
    same token)."""
    return EventContext.from_claims(claims)
