"""Enrichment: an ordered list of named steps completing a request's `Entry` (the columns its
rows share once, then per event what differs; see `ingest.model`).

    received_at   server time (epoch ms), one value per request
    session       what the request shares with the rest of its viewer session from the same
                  client, worked out once per (session, client) and then reused
                  (`ViewerSession`, a bounded cache):
                    viewer id from the signed viewer session / cookie (never from the body);
                    ua-parser families (browser, os, device);
                    HMAC-SHA256 of the IP with a per-deployment key, truncated
                    (`ip_mode=hash`, default); `truncate` keeps the /24 (IPv4) or /48
                    (IPv6); `raw` keeps it;
                    the request layers of the bot verdict per event type
    bot_verdict   request layers (from the session), scanner timing, in-page signals
                  (see `ingest.verdict`)
    count         per-type accepted and per-reason flagged counters

A viewer sends a heartbeat beacon every few seconds with the same session token, user agent
and address, so everything in `ViewerSession` is the same for all of them: a beacon pays for
it once per session, not once per request.

Visits and forwards are decided by the script that appends the request's entry to the
stream (`ingest.visits`), in arrival order and in the same command; `link_revoked` is set by
the writer (from the `ds:revoked` set).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

import redis.asyncio as aioredis
from ua_parser import parse

from ingest.entry import OWN, SHARED, Entry
from ingest.metrics import EVENTS_ACCEPTED, EVENTS_FLAGGED
from ingest.model import HeadlessSignals
from ingest.verdict import RequestMeta, request_verdict, scanner_verdict, signals_verdict
from tracker.config import Settings
from tracker.tokens import ViewerSessionClaims
from tracker.types import BotReason, EventType

__all__ = [
    "SESSION_CACHE_SIZE",
    "STEPS",
    "EnrichBatch",
    "Enricher",
    "EventContext",
    "Step",
    "ViewerSession",
    "enrich_beacon",
    "ip_key_from_secret",
    "parse_user_agent",
]


@dataclass(frozen=True, slots=True)
class EventContext:
    """Who and what an event is about: from a viewer-session token, or for server-side
    events (click, pixel, download) from the API's link lookup."""

    tenant_id: str
    link_id: str
    document_id: str
    version_id: str = ""
    opportunity_id: str = ""
    contact_id: str = ""
    viewer_id: str = ""
    link_sent_at_ms: int | None = None  # when the link was sent/created (scanner timing)

    @classmethod
    def from_claims(cls, claims: ViewerSessionClaims) -> EventContext:
        return cls(
            tenant_id=claims.tenant_id,
            link_id=claims.link_id,
            document_id=claims.document_id,
            version_id=claims.version_id,
            opportunity_id=claims.opportunity_id,
            contact_id=claims.contact_id,
            viewer_id=claims.viewer_id,
        )


#: Viewer sessions (× client) whose enrichment one process keeps, about 1.2 KB each (≤ 60 MB).
#: With a heartbeat every 10 s, 50k sessions reading at once is 5k beacons/s on one process;
#: past that the oldest goes first, and a session that comes back after being dropped is
#: worked out again: a cost, never a different answer. (`TokenSigner` keeps as many tokens.)
SESSION_CACHE_SIZE: Final = 50_000
# The client's shared columns sit side by side: one slice assignment fills them.
_CLIENT: Final = slice(SHARED.ua_browser, SHARED.ip_hash + 1)
if (SHARED.ua_browser, SHARED.ua_os, SHARED.ua_device, SHARED.ip_hash) != tuple(
    range(SHARED.ua_browser, SHARED.ua_browser + 4)
):
    raise ImportError("the client's shared columns are no longer side by side")


@dataclass(frozen=True, slots=True)
class ViewerSession:
    """What every request of one viewer session from one client has in common: the shared
    columns (received_at left 0, the request's own), the request layers of the bot verdict
    per event type (filled as types are met: a new user agent costs a list lookup per type),
    and the event-id hash primed with the session's ids (`ingest.service.beacon_event_id`)."""

    context: EventContext
    request: RequestMeta
    shared: tuple[Any, ...]
    verdicts: dict[str, BotReason]
    event_ids: hashlib.blake2b

    def verdict(self, kind: str) -> BotReason:
        """Layers 1–2 (`request_verdict`) for an event type value."""
        found = self.verdicts.get(kind)
        if found is None:
            found = self.verdicts[kind] = request_verdict(self.request, _KINDS[kind])
        return found

    def event_id(self, client_id: str) -> str:
        hasher = self.event_ids.copy()
        hasher.update(client_id.encode())
        return "evt_" + hasher.hexdigest()


def event_id_material(context: EventContext) -> str:
    """What an event id hashes before the client's id (see `ingest.service.beacon_event_id`)."""
    return f"{context.tenant_id}\x1f{context.link_id}\x1f{context.viewer_id}\x1f"


@dataclass(slots=True)
class EnrichBatch:
    """The events of one server-side request (a click, pixel open or download: no in-page
    signals; a viewer beacon takes `enrich_beacon`) and what the steps need to know about it
    (`session`: the cached `ViewerSession`, looked up by the first step that needs it)."""

    context: EventContext
    request: RequestMeta
    entry: Entry
    now_ms: int
    session: ViewerSession | None = None


Step = Callable[["Enricher", EnrichBatch], Awaitable[None]]


def ip_key_from_secret(secret: str) -> bytes:
    """Per-deployment IP-hashing key derived from the signing secret."""
    return hashlib.sha256(b"dealsignal-ip-hash:" + secret.encode()).digest()


@lru_cache(maxsize=4096)
def parse_user_agent(user_agent: str) -> tuple[str, str, str]:
    result = parse(user_agent) if user_agent else None
    if result is None:
        return ("Other", "Other", "Other")
    browser = result.user_agent.family if result.user_agent else "Other"
    os_family = result.os.family if result.os else "Other"
    device = result.device.family if result.device else "Other"
    return (browser, os_family, device)


_KINDS: Final = {kind.value: kind for kind in EventType}
_NONE: Final = BotReason.NONE


async def _received_at(enricher: Enricher, batch: EnrichBatch) -> None:
    batch.entry.shared[SHARED.received_at] = batch.now_ms


async def _session(enricher: Enricher, batch: EnrichBatch) -> None:
    if batch.session is None:
        batch.session = enricher.session(batch.context, batch.request)
    shared, known = batch.entry.shared, batch.session.shared
    shared[SHARED.viewer_id] = known[SHARED.viewer_id]
    shared[_CLIENT] = known[_CLIENT]


# Only server-side clicks and pixel opens can be link-scanner hits (see `scanner_verdict`).
_SCANNED: Final = frozenset({EventType.LINK_CLICK.value, EventType.PIXEL_OPEN.value})


def _flag(own: list[Any], reason: BotReason) -> None:
    """Mark as automated; the first reason found wins."""
    if reason is not BotReason.NONE and not own[OWN.is_bot]:
        own[OWN.is_bot], own[OWN.bot_reason] = 1, reason.value


async def _bot_verdict(enricher: Enricher, batch: EnrichBatch) -> None:
    ctx, session = batch.context, batch.session
    if session is None:
        session = batch.session = enricher.session(ctx, batch.request)
    events = batch.entry.events
    _flag_requested(session, events, ())
    # Scanner timing after the other layers: only server-side events are scanned, and they
    # carry no in-page signals, so no reason of one layer can hide the other's.
    for own in events:
        if own[OWN.event_type] in _SCANNED and not own[OWN.is_bot]:
            reason = await scanner_verdict(
                enricher.redis,
                event_type=_KINDS[own[OWN.event_type]],
                tenant_id=ctx.tenant_id,
                contact_id=ctx.contact_id,
                link_sent_at_ms=ctx.link_sent_at_ms,
                now_ms=batch.now_ms,
            )
            _flag(own, reason)


def _flag_requested(
    session: ViewerSession, events: list[list[Any]], signals: Sequence[HeadlessSignals | None]
) -> None:
    """The request layers (from the session) and each event's in-page signals."""
    known = session.verdicts
    for index, own in enumerate(events):
        kind = own[OWN.event_type]
        reason = known.get(kind) or session.verdict(kind)
        if reason is not _NONE:
            _flag(own, reason)
        if index < len(signals) and signals[index] is not None:
            _flag(own, signals_verdict(signals[index]))


# Bound children: `Counter.labels()` takes a lock and hashes its labels on every call.
_ACCEPTED: Final = {kind.value: EVENTS_ACCEPTED.labels(event_type=kind.value) for kind in EventType}
# No `reason="none"` series: an unflagged event is not a flag.
_FLAGGED: Final = {
    reason.value: EVENTS_FLAGGED.labels(reason=reason.value)
    for reason in BotReason
    if reason is not BotReason.NONE
}


async def _count(enricher: Enricher, batch: EnrichBatch) -> None:
    _count_events(batch.entry.events)


def _count_events(events: list[list[Any]]) -> None:
    first = events[0][OWN.event_type]
    for own in events:  # a loop, not all(<generator>): this runs for every beacon
        if own[OWN.event_type] != first or own[OWN.is_bot]:
            break
    else:
        _ACCEPTED[first].inc(len(events))  # a heartbeat beacon: one type, no flags
        return
    kinds: dict[str, int] = {}
    for own in events:
        kinds[own[OWN.event_type]] = kinds.get(own[OWN.event_type], 0) + 1
        if own[OWN.is_bot]:
            _FLAGGED[own[OWN.bot_reason]].inc()
    for kind, count in kinds.items():
        _ACCEPTED[kind].inc(count)


def enrich_beacon(
    entry: Entry, session: ViewerSession, now_ms: int, signals: list[HeadlessSignals | None]
) -> None:
    """`STEPS` for a viewer beacon whose shared columns came from `session.shared`, without a
    coroutine per step: no beacon event is ever a link-scanner hit (`_SCANNED`), so nothing
    here waits (one step's coroutine cost more than most steps' work)."""
    entry.shared[SHARED.received_at] = now_ms
    _flag_requested(session, entry.events, signals)
    _count_events(entry.events)


STEPS: Final[tuple[tuple[str, Step], ...]] = (
    ("received_at", _received_at),
    ("session", _session),
    ("bot_verdict", _bot_verdict),
    ("count", _count),
)


class Enricher:
    """Runs `STEPS` in order over the entry of one request."""

    def __init__(
        self,
        settings: Settings,
        redis: aioredis.Redis,
        *,
        ip_key: bytes,
        steps: tuple[tuple[str, Step], ...] = STEPS,
    ) -> None:
        self.settings = settings
        self.redis = redis
        self.steps = steps
        self._ip_key = ip_key
        self._sessions: dict[tuple[EventContext, RequestMeta], ViewerSession] = {}

    def session(self, context: EventContext, request: RequestMeta) -> ViewerSession:
        """The cached `ViewerSession` of this context and client (worked out on a miss)."""
        key = (context, request)
        found = self._sessions.get(key)
        if found is None:
            browser, os_family, device = parse_user_agent(request.user_agent)
            shared = (
                context.tenant_id,
                context.link_id,
                context.document_id,
                context.version_id,
                context.opportunity_id,
                context.contact_id,
                context.viewer_id,
                0,
                browser,
                os_family,
                device,
                self.hash_ip(request.ip),
            )
            primed = hashlib.blake2b(event_id_material(context).encode(), digest_size=16)
            found = ViewerSession(context, request, shared, {}, primed)
            if len(self._sessions) >= SESSION_CACHE_SIZE:
                del self._sessions[next(iter(self._sessions))]  # the oldest: dicts keep order
            self._sessions[key] = found
        return found

    def hash_ip(self, ip: str) -> str:
        if not ip:
            return ""
        mode = self.settings.ingest.ip_mode
        if mode == "raw":
            return ip
        if mode == "truncate":
            try:
                address = ipaddress.ip_address(ip)
            except ValueError:
                return ""
            prefix = 24 if address.version == 4 else 48
            return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)
        digest = hmac.new(self._ip_key, ip.encode(), hashlib.sha256).hexdigest()
        return digest[:16]

    async def enrich(self, batch: EnrichBatch) -> Entry:
        for _name, step in self.steps:
            await step(self, batch)
        return batch.entry
