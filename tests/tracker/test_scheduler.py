from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis
from prometheus_client import REGISTRY

from tracker.errors import BadRequest, Conflict, RateLimited
from tracker.scheduler import PeriodicJob, Scheduler


async def test_two_schedulers_run_a_job_once_per_interval(redis_client: aioredis.Redis) -> None:
    runs: list[str] = []

    async def job() -> None:
        runs.append("ran")
        await asyncio.sleep(0.2)  # long enough for the other scheduler to try meanwhile

    jobs = [PeriodicJob("stalls", interval_seconds=60, run=job)]
    first, second = Scheduler(redis_client, jobs), Scheduler(redis_client, jobs)
    results = await asyncio.gather(first.run_due(), second.run_due())
    assert sorted(map(len, results)) == [0, 1]
    assert runs == ["ran"]
    assert await first.run_due() == [] and runs == ["ran"]  # not due again yet


async def test_a_failing_job_releases_its_lock(redis_client: aioredis.Redis) -> None:
    attempts = 0

    async def flaky() -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("boom")

    def runs(result: str) -> float:
        return (
            REGISTRY.get_sample_value(
                "dealsignal_job_runs_total", {"job": "flaky", "result": result}
            )
            or 0.0
        )

    before = runs("ok"), runs("error")
    scheduler = Scheduler(redis_client, [PeriodicJob("flaky", 60, flaky)])
    with pytest.raises(RuntimeError, match="boom"):
        await scheduler.run_due()
    assert await redis_client.get("ds:job:flaky:lock") is None
    assert await scheduler.run_due() == ["flaky"] and attempts == 2
    assert (runs("ok") - before[0], runs("error") - before[1]) == (1, 1)  # job metrics


async def test_run_now_for_one_tenant_leaves_the_schedule_alone(
    redis_client: aioredis.Redis,
) -> None:
    ran: list[str] = []

    async def everyone() -> None:
        ran.append("*")

    async def one(tenant_id: str) -> None:
        ran.append(tenant_id)

    scheduler = Scheduler(
        redis_client,
        [PeriodicJob("stalls", 60, everyone, for_tenant=one), PeriodicJob("pump", 60, everyone)],
    )
    await scheduler.run_now("stalls", tenant_id="ten_A")
    assert ran == ["ten_A"]
    assert await redis_client.get("ds:job:stalls:last") is None  # still due for everyone
    assert await scheduler.run_due() == ["stalls", "pump"] and ran == ["ten_A", "*", "*"]
    with pytest.raises(BadRequest) as refused:
        await scheduler.run_now("pump", tenant_id="ten_A")
    assert refused.value.code == "job_not_tenant_scoped"


async def test_run_now_for_one_tenant_is_held_to_a_cooldown(redis_client: aioredis.Redis) -> None:
    ran: list[str] = []

    async def everyone() -> None:
        ran.append("*")

    async def one(tenant_id: str) -> None:
        ran.append(tenant_id)

    scheduler = Scheduler(redis_client, [PeriodicJob("stalls", 60, everyone, for_tenant=one)])
    await scheduler.run_now("stalls", tenant_id="ten_A")
    for _ in range(5):  # an admin's loop: refused, without touching the job's lock
        with pytest.raises(RateLimited) as refused:
            await scheduler.run_now("stalls", tenant_id="ten_A")
        assert refused.value.code == "job_cooldown"
        assert 1 <= refused.value.details["retry_after_seconds"] <= 30
    ttl = await redis_client.pttl("ds:job:stalls:tenant:ten_A:cooldown")
    assert 25_000 < ttl <= 30_000
    await scheduler.run_now("stalls", tenant_id="ten_B")  # another tenant's own cooldown
    assert await scheduler.run_due() == ["stalls"]  # the run for everyone is not crowded out
    await scheduler.run_now("stalls")  # nor is an operator's
    assert ran == ["ten_A", "ten_B", "*", "*"]


async def test_a_tenant_run_refused_as_running_elsewhere_leaves_no_cooldown(
    redis_client: aioredis.Redis,
) -> None:
    ran: list[str] = []

    async def everyone() -> None:
        ran.append("*")

    async def one(tenant_id: str) -> None:
        ran.append(tenant_id)

    scheduler = Scheduler(redis_client, [PeriodicJob("stalls", 60, everyone, for_tenant=one)])
    await redis_client.set("ds:job:stalls:lock", "another process")
    with pytest.raises(Conflict):
        await scheduler.run_now("stalls", tenant_id="ten_A")
    await redis_client.delete("ds:job:stalls:lock")
    await scheduler.run_now("stalls", tenant_id="ten_A")
    assert ran == ["ten_A"]
