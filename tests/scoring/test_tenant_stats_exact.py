"""Tenant baselines are exact and repeatable: ClickHouse's `quantile` keeps a random sample of
8 192 values, so with more stage stays than that the stage-age limit (and the evidence that
quotes it) changed from one assessment to the next. The stats now use exact quantiles."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

from scoring.health.features import tenant_stats
from tracker.clock import TS
from tracker.config import ScoringSettings
from tracker.stores import ClickHouse

TENANT = "ten_stats_exact"
START = datetime(2026, 1, 5, tzinfo=UTC)


def _stage_changes(n_deals: int, rng: random.Random) -> tuple[pa.Table, list[float]]:
    """Two stage changes per deal (qualification → discovery → proposal): one finished
    qualification stay each, of a random length."""
    rows: dict[str, list[object]] = {k: [] for k in ("opp", "id", "at", "from", "to")}
    stays: list[float] = []
    for i in range(n_deals):
        entered = START + timedelta(minutes=i)
        stay = timedelta(seconds=rng.randrange(3_600, 90 * 86_400))
        stays.append(stay.total_seconds() * 1000)
        for k, (at, src, dst) in enumerate(
            [(entered, "qualification", "discovery"), (entered + stay, "discovery", "proposal")]
        ):
            rows["opp"].append(f"opp-{i:05d}")
            rows["id"].append(f"act-{i:05d}-{k}")
            rows["at"].append(at)
            rows["from"].append(src)
            rows["to"].append(dst)
    n = len(rows["id"])
    table = pa.table(
        {
            "tenant_id": [TENANT] * n,
            "activity_id": rows["id"],
            "opportunity_id": rows["opp"],
            "activity_type": ["stage_change"] * n,
            "occurred_at": pa.array(rows["at"], TS),
            "attendees": pa.array([[]] * n, pa.list_(pa.string())),
            "from_stage": rows["from"],
            "to_stage": rows["to"],
            "updated_at": pa.array(rows["at"], TS),
            "received_at": pa.array(rows["at"], TS),
            "version": pa.array([1] * n, pa.uint64()),
        }
    )
    return table, stays


def test_stage_age_quantile_is_exact_and_repeatable(clickhouse: ClickHouse) -> None:
    # more finished stays than the sampling quantile's 8 192-value reservoir
    table, stays = _stage_changes(12_000, random.Random(17))
    clickhouse.insert("activities", table)
    tuning = ScoringSettings()
    as_of = START + timedelta(days=400)

    runs = [tenant_stats(clickhouse, TENANT, as_of, tuning).stage_age_days for _ in range(4)]

    days, samples = runs[0]["discovery"]
    assert samples == 12_000
    level = tuning.stall.stage_age_quantile
    expected = float(np.quantile(np.array(stays), level)) / 86_400_000
    assert abs(days - expected) < 1e-6
    assert all(run == runs[0] for run in runs[1:])
