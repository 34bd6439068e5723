"""The score warmer's bookkeeping on the real Redis: what it takes and cannot finish goes
back on the dirty list; the list stays bounded."""

from __future__ import annotations

from typing import Any

import pytest
import redis.asyncio as aioredis

from scoring import warm_scores
from scoring.engagement.epochs import DIRTY_KEY, bump_epochs, take_dirty
from tracker.config import Settings
from tracker.errors import ClickHouseUnavailable
from tracker.stores.clickhouse import ClickHouse


class DownClickHouse:
    """A ClickHouse that is down for queries."""

    def __init__(self, inner: ClickHouse) -> None:
        self._inner = inner

    def query(self, *args: Any, **kwargs: Any) -> Any:
        raise ClickHouseUnavailable("down for the test")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


async def test_a_failed_run_puts_what_it_took_back(
    settings: Settings, redis_client: aioredis.Redis, clickhouse: ClickHouse
) -> None:
    await bump_epochs(redis_client, "ten_A", ["opp-1", "opp-2"])
    tuning = settings.scoring.model_copy(update={"warm_delay_seconds": 0})
    with pytest.raises(ClickHouseUnavailable):
        await warm_scores(DownClickHouse(clickhouse), redis_client, tuning)  # type: ignore[arg-type]
    assert sorted(await take_dirty(redis_client, dirty_for=0, limit=10)) == [
        ("ten_A", "opp-1"),
        ("ten_A", "opp-2"),
    ]


async def test_turned_off_it_keeps_no_list(
    settings: Settings, redis_client: aioredis.Redis, clickhouse: ClickHouse
) -> None:
    await bump_epochs(redis_client, "ten_A", ["opp-1"])
    tuning = settings.scoring.model_copy(update={"warm_batch": 0})
    assert await warm_scores(clickhouse, redis_client, tuning) == (0, 0)
    assert await redis_client.zcard(DIRTY_KEY) == 0


async def test_the_dirty_list_is_bounded(
    redis_client: aioredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("scoring.engagement.epochs.MAX_DIRTY", 3)
    for n in range(5):
        await bump_epochs(redis_client, "ten_A", [f"opp-{n}"])
    taken = await take_dirty(redis_client, dirty_for=0, limit=10)
    assert [o for _, o in taken] == ["opp-2", "opp-3", "opp-4"]  # the oldest were dropped


def test_a_batch_is_bounded_by_what_one_script_can_unpack(settings: Settings) -> None:
    with pytest.raises(ValueError):
        settings.scoring.model_validate({**settings.scoring.model_dump(), "warm_batch": 10_000})
