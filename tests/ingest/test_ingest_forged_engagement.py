"""Forged engagement: dwell is bounded by the wall clock of the viewer's visit — excess rows
are flagged `dwell_over_clock` (stored, never counted) — and beacons received after a link
was revoked are flagged `link_revoked`, so neither reaches a count or a score."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
import redis.asyncio as aioredis

from ingest import Ingestor, Writer, mark_link_revoked
from tests.ingest.support import HUMAN, drain, dwell
from tracker.config import IngestSettings, Settings
from tracker.reading import HUMAN as HUMAN_SQL
from tracker.stores.clickhouse import ClickHouse


@pytest.fixture(autouse=True)
def real_clock_bound(fast_settings: Settings) -> None:
    """The deployment's bound (the shared fixture lifts it for tests that compress time)."""
    fast_settings.ingest.dwell_clock_slack_seconds = IngestSettings().dwell_clock_slack_seconds


def _totals(ch: ClickHouse) -> dict[str, int]:
    rows = ch.query(
        f"SELECT count() AS rows, sumIf(dwell_ms, {HUMAN_SQL}) AS counted, "
        "countIf(bot_reason = 'dwell_over_clock') AS over, "
        "toUnixTimestamp64Milli(max(received_at)) - toUnixTimestamp64Milli(min(received_at)) "
        f"AS span FROM {ch.database}.events WHERE event_type = 'page_dwell'"
    )
    return {k: int(v) for k, v in rows[0].items()}


async def test_a_burst_of_dwell_counts_no_more_than_the_visits_wall_clock(
    ingestor: Ingestor,
    writer: Writer,
    clickhouse: ClickHouse,
    fast_settings: Settings,
    make_beacon: Callable[..., bytes],
) -> None:
    """10 beacons × 100 events of 15 s each, sent at once by one viewer: 4.17 h claimed.
    Counted: at most the time between the first and last arrival plus one heartbeat's
    slack; every row is still stored."""
    ingest = fast_settings.ingest
    most = (ingest.heartbeat_seconds + ingest.dwell_slack_seconds) * 1000  # the per-delta clamp
    bodies = [make_beacon([dwell(1 + i % 5, most) for i in range(100)]) for _ in range(10)]
    for body in bodies:
        await ingestor.accept_beacon(body, content_type="text/plain", request=HUMAN)
    await drain(writer)
    totals = _totals(clickhouse)
    print(f"\nclaimed {1000 * most} ms of dwell, counted {totals['counted']} ms, {totals}")
    assert totals["rows"] == 1000  # nothing lost
    assert 0 < totals["counted"] <= totals["span"] + ingest.dwell_clock_slack_seconds * 1000
    assert totals["over"] == 1000 - totals["counted"] // most


async def test_honest_heartbeats_are_all_counted(
    ingestor: Ingestor,
    writer: Writer,
    clickhouse: ClickHouse,
    make_beacon: Callable[..., bytes],
) -> None:
    """Deltas that fit the visit's clock (here: 1 s of dwell every beacon) are untouched."""
    for page in range(1, 6):
        body = make_beacon([dwell(page, 1000)])
        await ingestor.accept_beacon(body, content_type="text/plain", request=HUMAN)
    await drain(writer)
    totals = _totals(clickhouse)
    assert (totals["rows"], totals["counted"], totals["over"]) == (5, 5000, 0)


async def test_beacons_after_revocation_are_kept_but_not_counted(
    ingestor: Ingestor,
    writer: Writer,
    clickhouse: ClickHouse,
    redis_client: aioredis.Redis,
    make_beacon: Callable[..., bytes],
) -> None:
    before = make_beacon([dwell(1, 2000)])
    await ingestor.accept_beacon(before, content_type="text/plain", request=HUMAN)
    await asyncio.sleep(0.01)  # the revocation is strictly later than the first beacon
    await mark_link_revoked(redis_client, "ten_A", "lnk_1")
    await asyncio.sleep(0.01)
    after = make_beacon([dwell(2, 3000)])
    await ingestor.accept_beacon(after, content_type="text/plain", request=HUMAN)
    await drain(writer)
    rows = clickhouse.query(
        f"SELECT page, link_revoked, is_bot, bot_reason FROM {clickhouse.database}.events "
        "ORDER BY page"
    )
    assert [(r["page"], r["link_revoked"], r["is_bot"], r["bot_reason"]) for r in rows] == [
        (1, 0, 0, "none"),
        (2, 1, 1, "link_revoked"),
    ]
