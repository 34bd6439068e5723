"""Enrichment: an ordered list of named steps completing a request's `Entry` (the columns its
rows share once, then per event what differs; see `ingest.model`).

    received_at   server time (epoch ms), one value per request
    viewer        viewer id from the signed viewer session / cookie (never from the body)
    user_agent    ua-parser families (browser, os, device), cached per UA string
    ip            HMAC-SHA256 of the IP with a per-deployment key, truncated (`ip_mode=hash`,
                  default); `truncate` keeps the /24 (IPv4) or /48 (IPv6); `raw` keeps it
    bot_verdict   request layers, scanner timing, in-page signals (see `ingest.verdict`)
    count         per-type accepted and per-reason flagged counters

Visits and forwards are decided by the script that appends the request's entry to the
stream (`ingest.visits`), in arrival order and in the same command; `link_revoked` is set by
the writer (from the `ds:revoked` set).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
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
    "STEPS",
    "EnrichBatch",
    "Enricher",
    "EventContext",
    "Step",
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


@dataclass(slots=True)
class EnrichBatch:
    """The events of one request and what the steps need to know about it."""

    context: EventContext
    request: RequestMeta
    entry: Entry
    now_ms: int
    signals: list[HeadlessSignals | None] = field(default_factory=list)


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


async def _received_at(enricher: Enricher, batch: EnrichBatch) -> None:
    batch.entry.shared[SHARED.received_at] = batch.now_ms


async def _viewer(enricher: Enricher, batch: EnrichBatch) -> None:
    batch.entry.shared[SHARED.viewer_id] = batch.context.viewer_id


async def _user_agent(enricher: Enricher, batch: EnrichBatch) -> None:
    shared = batch.entry.shared
    browser, os_family, device = parse_user_agent(batch.request.user_agent)
    shared[SHARED.ua_browser], shared[SHARED.ua_os], shared[SHARED.ua_device] = (
        browser,
        os_family,
        device,
    )


async def _ip(enricher: Enricher, batch: EnrichBatch) -> None:
    batch.entry.shared[SHARED.ip_hash] = enricher.hash_ip(batch.request.ip)


# Only server-side clicks and pixel opens can be link-scanner hits (see `scanner_verdict`).
_SCANNED: Final = frozenset({EventType.LINK_CLICK.value, EventType.PIXEL_OPEN.value})


def _flag(own: list[Any], reason: BotReason) -> None:
    """Mark as automated; the first reason found wins."""
    if reason is not BotReason.NONE and not own[OWN.is_bot]:
        own[OWN.is_bot], own[OWN.bot_reason] = 1, reason.value


async def _bot_verdict(enricher: Enricher, batch: EnrichBatch) -> None:
    ctx = batch.context
    for index, own in enumerate(batch.entry.events):
        kind = _KINDS[own[OWN.event_type]]
        _flag(own, request_verdict(batch.request, kind))
        if not own[OWN.is_bot] and own[OWN.event_type] in _SCANNED:
            reason = await scanner_verdict(
                enricher.redis,
                event_type=kind,
                tenant_id=ctx.tenant_id,
                contact_id=ctx.contact_id,
                link_sent_at_ms=ctx.link_sent_at_ms,
                now_ms=batch.now_ms,
            )
            _flag(own, reason)
        if index < len(batch.signals):
            _flag(own, signals_verdict(batch.signals[index]))


# Bound children: `Counter.labels()` takes a lock and hashes its labels on every call.
_ACCEPTED: Final = {kind.value: EVENTS_ACCEPTED.labels(event_type=kind.value) for kind in EventType}
# No `reason="none"` series: an unflagged event is not a flag.
_FLAGGED: Final = {
    reason.value: EVENTS_FLAGGED.labels(reason=reason.value)
    for reason in BotReason
    if reason is not BotReason.NONE
}


async def _count(enricher: Enricher, batch: EnrichBatch) -> None:
    kinds: dict[str, int] = {}
    for own in batch.entry.events:
        kinds[own[OWN.event_type]] = kinds.get(own[OWN.event_type], 0) + 1
        if own[OWN.is_bot]:
            _FLAGGED[own[OWN.bot_reason]].inc()
    for kind, count in kinds.items():
        _ACCEPTED[kind].inc(count)


STEPS: Final[tuple[tuple[str, Step], ...]] = (
    ("received_at", _received_at),
    ("viewer", _viewer),
    ("user_agent", _user_agent),
    ("ip", _ip),
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
