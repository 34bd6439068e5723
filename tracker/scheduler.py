"""Periodic jobs (stall detection, briefings, retention) that are safe to run in several
processes at once: each run of a job takes a Redis lock named after the job, so two
schedulers never run the same job concurrently, and a job that ran recently (by any
process) is not run again before its interval has passed.

A run for one tenant (an admin's "run it now") takes the same lock, so it is held to one
per job and tenant every `tenant_cooldown_seconds`: a tenant calling it in a loop cannot
keep the lock from the run for everyone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import redis.asyncio as aioredis
from prometheus_client import Counter, Histogram
from redis.exceptions import RedisError

from tracker import redis_keys
from tracker.errors import BadRequest, Conflict, NotFound, RateLimited

__all__ = ["PeriodicJob", "Scheduler"]

log = logging.getLogger("dealsignal.scheduler")

# Release the lock only if we still hold it (it may have expired and been taken over).
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    interval_seconds: float
    run: Callable[[], Awaitable[object]]
    # Longest a run may take before another process may assume it died.
    timeout_seconds: float = 300.0
    # The same work for one tenant (an admin's "run it now" must not act for other tenants);
    # None: the job cannot be run for one tenant.
    for_tenant: Callable[[str], Awaitable[object]] | None = None
    # Least time between two runs for one tenant (0: no limit).
    tenant_cooldown_seconds: float = 30.0


class Scheduler:
    def __init__(self, redis: aioredis.Redis, jobs: Sequence[PeriodicJob], *, tick: float = 1.0):
        self.redis = redis
        self.jobs = list(jobs)
        self.tick = tick
        self.identity = uuid.uuid4().hex

    async def run_due(self) -> list[str]:
        """Run every job that is due and not running elsewhere; return the names run."""
        ran = []
        for job in self.jobs:
            if await self._run_if_due(job):
                ran.append(job.name)
        return ran

    async def run_now(self, name: str, *, tenant_id: str | None = None) -> object:
        """Run one job at once, whatever its interval (an operator's "run it now"), still
        under its lock; raises Conflict while another process runs it. With `tenant_id`,
        only that tenant's share runs, at most once per the job's tenant cooldown
        (RateLimited `job_cooldown` within it), and the job's schedule for everyone is
        unchanged."""
        job = next((j for j in self.jobs if j.name == name), None)
        if job is None:
            raise NotFound(f"no job named {name!r}", code="job_not_found")
        if tenant_id is not None and job.for_tenant is None:
            raise BadRequest(f"{name} cannot run for one tenant", code="job_not_tenant_scoped")
        cooldown = None if tenant_id is None else await self._start_cooldown(job, tenant_id)
        lock_key = redis_keys.job_lock(job.name)
        if not await self.redis.set(
            lock_key, self.identity, nx=True, px=int(job.timeout_seconds * 1000)
        ):
            if cooldown is not None:  # nothing ran: the tenant may try again shortly
                await self.redis.eval(_RELEASE, 1, *cooldown)  # type: ignore[misc]
            raise Conflict(f"{name} is running elsewhere; try again shortly", code="job_running")
        try:
            if tenant_id is not None and job.for_tenant is not None:
                return await job.for_tenant(tenant_id)
            result = await _measured(job)
            await self.redis.set(redis_keys.job_last(job.name), str(time.time()))
            return result
        finally:
            await self.redis.eval(_RELEASE, 1, lock_key, self.identity)  # type: ignore[misc]

    async def _start_cooldown(self, job: PeriodicJob, tenant_id: str) -> tuple[str, str] | None:
        """Mark a run of `job` for `tenant_id` as started; return its (key, token), or raise
        RateLimited while the previous one's cooldown lasts."""
        if job.tenant_cooldown_seconds <= 0:
            return None
        key, token = redis_keys.job_tenant_cooldown(job.name, tenant_id), uuid.uuid4().hex
        ms = max(int(job.tenant_cooldown_seconds * 1000), 1)
        if await self.redis.set(key, token, nx=True, px=ms):
            return key, token
        wait = max(math.ceil(await self.redis.pttl(key) / 1000), 1)
        raise RateLimited(
            f"{job.name} ran for this tenant moments ago; try again in {wait} s",
            code="job_cooldown",
            retry_after_seconds=wait,
        )

    async def _run_if_due(self, job: PeriodicJob) -> bool:
        last_key, lock_key = redis_keys.job_last(job.name), redis_keys.job_lock(job.name)
        last = await self.redis.get(last_key)
        if last is not None and time.time() - float(last) < job.interval_seconds:
            return False
        locked = await self.redis.set(
            lock_key, self.identity, nx=True, px=int(job.timeout_seconds * 1000)
        )
        if not locked:
            return False
        try:
            # Re-check under the lock: another scheduler may have finished a run just now.
            last = await self.redis.get(last_key)
            if last is not None and time.time() - float(last) < job.interval_seconds:
                return False
            await _measured(job)
            await self.redis.set(last_key, str(time.time()))
            return True
        finally:
            await self.redis.eval(_RELEASE, 1, lock_key, self.identity)  # type: ignore[misc]

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.run_due()
            except RedisError as exc:
                log.warning("scheduler cannot reach Redis: %s", exc)
            except Exception:
                log.exception("a scheduled job failed; it will be retried next interval")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.tick)


JOB_RUNS = Counter(
    "dealsignal_job_runs_total",
    "Scheduled job runs by job and result (ok, error)",
    ["job", "result"],
)
JOB_SECONDS = Histogram(
    "dealsignal_job_seconds",
    "Duration of a scheduled job run, by job",
    ["job"],
    buckets=(0.01, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 1800.0),
)


async def _measured(job: PeriodicJob) -> object:
    started = time.perf_counter()
    try:
        result = await job.run()
    except BaseException:
        JOB_RUNS.labels(job.name, "error").inc()
        raise
    finally:
        JOB_SECONDS.labels(job.name).observe(time.perf_counter() - started)
    JOB_RUNS.labels(job.name, "ok").inc()
    return result
