"""The score warmer: recompute what a change made stale before the CRM asks for it.

A bump (events batch, CRM push) makes an opportunity's cached scores unreachable; without the
warmer the next pull pays the ClickHouse work (a few hundred ms for the engagement detail).
Every `warm_interval_seconds` this job takes the opportunities dirty for at least
`warm_delay_seconds` (`scoring.engagement.epochs.take_dirty`, at most `warm_batch`), scores
them together at the opportunity level (one round, as the bulk pull does: cheap) and
recomputes the engagement detail (a few hundred ms each) of those whose detail someone
pulled within `warm_watch_days` (`scoring.engagement.cache.watched_since`) — a bulk CRM push bumps
thousands of opportunities nobody will open one by one. Entries are written at the epoch
read *before* computing, so they are never fresher-labelled than their data; a bump during
the run leaves the opportunity dirty again for the next one.

What a run took but did not finish (a store failure, the per-run time budget
`warm_budget_seconds`, which keeps the shared scheduler's other jobs on time) goes back on
the dirty list for the next run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict

import redis.asyncio as aioredis

from scoring.engagement.cache import watched_since
from scoring.engagement.epochs import clear_dirty, mark_dirty, take_dirty
from scoring.engagement.service import opportunity_engagement_json, score_opportunities
from tracker.config import ScoringSettings
from tracker.errors import NotFound, RedisUnavailable
from tracker.scheduler import PeriodicJob
from tracker.stores import ClickHouse

__all__ = ["warm_job", "warm_scores"]

log = logging.getLogger("dealsignal.scoring.warm")


async def warm_scores(
    ch: ClickHouse, redis: aioredis.Redis, tuning: ScoringSettings
) -> tuple[int, int]:
    """One run; returns (opportunities rescored, engagement details recomputed). Whatever
    it took but did not finish — a store failure, a kill, the time budget — goes back on
    the dirty list."""
    if tuning.warm_batch <= 0:
        await clear_dirty(redis)  # nobody will take them: keep the list from growing
        return 0, 0
    taken = await take_dirty(redis, dirty_for=tuning.warm_delay_seconds, limit=tuning.warm_batch)
    left = list(taken)
    warmed = 0
    try:
        for tenant_id, opportunity_ids in _by_tenant(taken).items():
            await score_opportunities(ch, redis, tuning, tenant_id, opportunity_ids)
        since = time.time() - tuning.warm_watch_days * 86_400
        watched = await watched_since(redis, taken, since)
        left = [pair for pair, pulled in zip(taken, watched, strict=True) if pulled]
        # Other jobs share the scheduler: a long list is finished by the next runs.
        deadline = time.monotonic() + tuning.warm_budget_seconds
        while left and time.monotonic() < deadline:
            warmed += await _warm_detail(ch, redis, tuning, *left[0])
            left.pop(0)
    finally:
        await _put_back(redis, left)
    return len(taken), warmed


async def _warm_detail(
    ch: ClickHouse,
    redis: aioredis.Redis,
    tuning: ScoringSettings,
    tenant_id: str,
    opportunity_id: str,
) -> int:
    try:
        await opportunity_engagement_json(ch, redis, tuning, tenant_id, opportunity_id, watch=False)
    except NotFound:  # no longer known to the tenant; a store outage propagates
        log.info("score warmer: %s/%s is unknown now", tenant_id, opportunity_id)
        return 0
    await asyncio.sleep(0)  # let a busy event loop (embedded mode) serve between details
    return 1


def _by_tenant(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for tenant_id, opportunity_id in pairs:
        grouped[tenant_id].append(opportunity_id)
    return grouped


async def _put_back(redis: aioredis.Redis, pairs: list[tuple[str, str]]) -> None:
    try:
        for tenant_id, opportunity_ids in _by_tenant(pairs).items():
            await mark_dirty(redis, tenant_id, opportunity_ids)
    except RedisUnavailable as exc:  # best effort: the next bump marks them again
        log.warning("score warmer could not put %d opportunities back: %s", len(pairs), exc)


def warm_job(ch: ClickHouse, redis: aioredis.Redis, tuning: ScoringSettings) -> PeriodicJob:
    """Deployment plumbing over all tenants' dirty scores: not runnable for one tenant."""

    async def run() -> tuple[int, int]:
        return await warm_scores(ch, redis, tuning)

    return PeriodicJob("score-warm", tuning.warm_interval_seconds, run, timeout_seconds=120.0)
