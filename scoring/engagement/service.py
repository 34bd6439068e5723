"""Scoring entry points: compute scores with ClickHouse aggregations (in a worker thread — the
store clients are synchronous) and serve them through the epoch-keyed Redis cache."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

import redis.asyncio as aioredis
from pydantic import BaseModel

from scoring.engagement.cache import cache_key, read_cached, read_current, write_cached
from scoring.engagement.cache import watch as watch_detail
from scoring.engagement.detail_rows import detail_rows
from scoring.engagement.epochs import current_epochs
from scoring.engagement.repository import (
    EventSource,
    ScopeKind,
    ScoringQuery,
    fetch_detail_rows,
    fetch_signals_rows,
    fetch_value_rows,
)
from scoring.engagement.rollup_repository import fetch_detail_inputs
from scoring.engagement.score import score_signals
from scoring.engagement.signals import Signals, collect_signals
from scoring.engagement.values import collect_values
from scoring.engagement.wording import label_of
from scoring.model import Score
from scoring.tenant import TenantScoring
from tracker.clock import utcnow
from tracker.config import ScoringSettings
from tracker.crm import opportunity_exists
from tracker.errors import NotFound
from tracker.stores import ClickHouse

__all__ = [
    "OpportunityEngagement",
    "compute_scores",
    "compute_values",
    "engagement_detail",
    "opportunity_engagement",
    "opportunity_engagement_json",
    "score_opportunities",
]


class OpportunityEngagement(BaseModel):
    """The opportunity's score with the per-recipient (link) and per-document-version scores
    it is made of."""

    opportunity_id: str
    score: Score
    recipients: list[Score]
    documents: list[Score]


def _scores(
    signals: dict[str, Signals],
    keys: Sequence[str] | None,
    scope: ScopeKind,
    now: datetime,
    tuning: ScoringSettings,
) -> dict[str, Score]:
    return {
        key: score_signals(found, scope, now, tuning, label=label_of(found, scope))
        for key in (list(keys) if keys is not None else sorted(signals))
        for found in [signals.get(key) or Signals(key)]
    }


def compute_scores(
    ch: ClickHouse, query: ScoringQuery, tuning: ScoringSettings
) -> dict[str, Score]:
    """Score every key of `query` (all keys with data when `query.keys` is None)."""
    signals = collect_signals(fetch_signals_rows(ch, query, tuning))
    return _scores(signals, query.keys, query.scope, query.now, tuning)


def compute_values(
    ch: ClickHouse, query: ScoringQuery, tuning: ScoringSettings
) -> dict[str, float]:
    """The `value` of every score `compute_scores` would return for `query`, without
    building the scores (the health assessment reads nothing else of them)."""
    rows = fetch_value_rows(ch, query, tuning)
    return collect_values(rows, query.keys, query.scope, query.now, tuning)


def engagement_detail(
    ch: ClickHouse,
    tenant_id: str,
    opportunity_id: str,
    now: datetime,
    tuning: ScoringSettings,
    source: EventSource = EventSource.ROLLUP,
) -> OpportunityEngagement:
    """One set of queries for the three scopes (`fetch_detail_rows`); each scope scored as
    `compute_scores` would: the opportunity, and every recipient link and document version
    with data within it. Uncached; `source` RAW reads the events table (the reference)."""
    rows = None
    if source is EventSource.ROLLUP:
        inputs = fetch_detail_inputs(ch, tenant_id, opportunity_id)
        rows = detail_rows(inputs, opportunity_id, now, tuning)
    if rows is None:  # the raw events: asked for, or the rollup cannot answer as of `now`
        rows = fetch_detail_rows(ch, tenant_id, opportunity_id, now, tuning, EventSource.RAW)

    def scope(kind: ScopeKind, keys: Sequence[str] | None = None) -> list[Score]:
        return list(_scores(collect_signals(rows[kind]), keys, kind, now, tuning).values())

    return OpportunityEngagement(
        opportunity_id=opportunity_id,
        score=scope(ScopeKind.OPPORTUNITY, [opportunity_id])[0],
        recipients=sorted(scope(ScopeKind.RECIPIENT), key=lambda r: (-r.value, r.key)),
        documents=sorted(scope(ScopeKind.DOCUMENT_VERSION), key=lambda d: (-d.value, d.key)),
    )


async def score_opportunities(
    ch: ClickHouse,
    redis: aioredis.Redis,
    scoring: TenantScoring,
    tenant_id: str,
    opportunity_ids: Sequence[str],
    *,
    now: datetime | None = None,
) -> dict[str, Score]:
    """Opportunity scores, from the cache where the epoch (and the tenant's settings) still
    match; the misses are computed together, `bulk_batch_size` opportunities per round."""
    tuning = scoring.tuning
    ids = list(dict.fromkeys(opportunity_ids))
    epochs = await current_epochs(redis, tenant_id, ids)
    kind = f"opportunity@{scoring.engagement_fingerprint}"
    keys = {o: cache_key(kind, tenant_id, o, epochs[o]) for o in ids}
    found: dict[str, Score] = {}
    for o, raw in zip(ids, await read_cached(redis, list(keys.values())), strict=True):
        if raw is not None:
            found[o] = Score.model_validate_json(raw)
    misses = [o for o in ids if o not in found]
    at = now or utcnow()
    for start in range(0, len(misses), tuning.engagement.bulk_batch_size):
        batch = misses[start : start + tuning.engagement.bulk_batch_size]
        query = ScoringQuery(tenant_id, ScopeKind.OPPORTUNITY, batch, at)
        computed = await asyncio.to_thread(compute_scores, ch, query, tuning)
        found.update(computed)
        await write_cached(
            redis,
            {keys[o]: s.model_dump_json().encode() for o, s in computed.items()},
            tuning.engagement.score_cache_seconds,
        )
    return {o: found[o] for o in ids}


async def opportunity_engagement_json(
    ch: ClickHouse,
    redis: aioredis.Redis,
    scoring: TenantScoring,
    tenant_id: str,
    opportunity_id: str,
    *,
    now: datetime | None = None,
    watch: bool = True,
) -> tuple[bytes, bool]:
    """The opportunity's engagement with its recipients and documents as the JSON of an
    `OpportunityEngagement` (served as stored: a cache hit costs no (de)serialisation), and
    whether it came from the cache. NotFound unless the tenant knows the opportunity (a cache
    entry, keyed by tenant, only exists for one it knew). `watch`: count this as a pull, so
    the warmer keeps the detail fresh (the warmer itself passes False)."""
    tuning, kind = scoring.tuning, f"detail@{scoring.engagement_fingerprint}"
    epoch, raw = await read_current(redis, kind, tenant_id, opportunity_id, watch=watch)
    if raw is not None:
        return raw, True
    key = cache_key(kind, tenant_id, opportunity_id, epoch)
    if not await asyncio.to_thread(opportunity_exists, ch, tenant_id, opportunity_id):
        raise NotFound("unknown opportunity", code="opportunity_not_found")
    detail = await asyncio.to_thread(
        engagement_detail, ch, tenant_id, opportunity_id, now or utcnow(), tuning
    )
    payload = detail.model_dump_json().encode()
    await write_cached(redis, {key: payload}, tuning.engagement.score_cache_seconds)
    if watch:
        await watch_detail(redis, tenant_id, opportunity_id)
    return payload, False


async def opportunity_engagement(
    ch: ClickHouse,
    redis: aioredis.Redis,
    scoring: TenantScoring,
    tenant_id: str,
    opportunity_id: str,
    *,
    now: datetime | None = None,
) -> tuple[OpportunityEngagement, bool]:
    """`opportunity_engagement_json`, parsed."""
    payload, cached = await opportunity_engagement_json(
        ch, redis, scoring, tenant_id, opportunity_id, now=now
    )
    return OpportunityEngagement.model_validate_json(payload), cached
