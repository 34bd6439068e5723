"""Opportunity health + forecast evidence at scale, measured in one run.

    python load_tests/bench_health.py [--opportunities 10000] [--seed 7] [--tenants 1]

1. Fill an embedded store (chDB in a temp data dir) with the synthetic generator
   (scoring.synthetic.dataset: N opportunities over 365 days, their CRM history and ≥ 1M events).
2. Assess every opportunity of every tenant (health pillars, bands, actions, evidence chain,
   credibility): (a) live, including the engagement score; (b) point-in-time 90 days ago
   (the calibration path, no live engagement score).
3. Rows scanned per second from ClickHouse's own `system.query_log` (read_rows and
   query_duration_ms of the queries issued during each phase, after SYSTEM FLUSH LOGS).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from scoring import assess, load_tenant_scoring
from scoring.synthetic.dataset import generate, load
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse, apply_migrations, render_context
from tracker.stores.clickhouse.chdb_backend import ChdbClickHouse

__all__ = ["main"]


_COUNTERS = ("SelectQuery", "SelectedRows", "SelectedBytes", "SelectQueryTimeMicroseconds")


def _has_query_log(ch: ClickHouse) -> bool:
    rows = ch.query("SELECT count() AS n FROM system.tables WHERE database = 'system' "
                    "AND name = 'query_log'")  # fmt: skip
    return bool(rows[0]["n"])


def _query_log(ch: ClickHouse, since: float) -> dict[str, float]:
    ch.command("SYSTEM FLUSH LOGS")
    rows = ch.query(
        "SELECT count() AS queries, sum(read_rows) AS read_rows, sum(read_bytes) AS read_bytes, "
        "sum(query_duration_ms) AS duration_ms FROM system.query_log "
        "WHERE type = 'QueryFinish' AND event_time_microseconds >= "
        "fromUnixTimestamp64Micro({since:Int64}) AND query_kind = 'Select' "
        "AND query NOT LIKE '%system.query_log%'",
        {"since": int(since * 1_000_000)},
    )
    return {k: float(v or 0) for k, v in rows[0].items()}


def _counters(ch: ClickHouse) -> dict[str, float]:
    """The engine's own ProfileEvents counters (chDB keeps no system.query_log)."""
    rows = ch.query(
        "SELECT event, value FROM system.events WHERE event IN "
        "('SelectQuery', 'SelectedRows', 'SelectedBytes', 'SelectQueryTimeMicroseconds')"
    )
    found = {str(r["event"]): float(r["value"]) for r in rows}
    return {k: found.get(k, 0.0) for k in _COUNTERS}


def _phase(ch: ClickHouse, settings: Settings, tenants: tuple[str, ...], *, live: bool,
           days_ago: int, now: datetime) -> None:  # fmt: skip
    use_log = _has_query_log(ch)
    before = _counters(ch)
    started = time.time()
    assessed = 0
    for tenant in tenants:
        scoring = load_tenant_scoring(ch, tenant, settings.scoring)
        as_of = now - timedelta(days=days_ago)
        found = assess(ch, scoring, tenant, None, as_of, now=as_of, with_engagement=live)
        assessed += len(found)
    seconds = time.time() - started
    label = "live (with engagement score)" if live else f"as of {days_ago} days ago"
    print(f"\n[{label}] {assessed} opportunities assessed in {seconds:.2f} s "
          f"({assessed / seconds:,.0f}/s)")  # fmt: skip
    if use_log:
        log = _query_log(ch, started)
        source = "system.query_log"
        queries, rows, size, query_s = (
            log["queries"],
            log["read_rows"],
            log["read_bytes"],
            log["duration_ms"] / 1000,
        )
    else:
        after = _counters(ch)
        delta = {k: after[k] - before[k] for k in _COUNTERS}
        source = "system.events (no system.query_log in chDB)"
        queries, rows, size = delta["SelectQuery"], delta["SelectedRows"], delta["SelectedBytes"]
        query_s = delta["SelectQueryTimeMicroseconds"] / 1e6
    rate = rows / query_s if query_s else 0.0
    print(
        f"  {source}: {queries:.0f} SELECTs, {rows:,.0f} rows / {size / 1e6:,.1f} MB read in "
        f"{query_s:.2f} s of query time → {rate:,.0f} rows/s (wall: {rows / seconds:,.0f} rows/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--opportunities", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tenants", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-health-") as tmp:
        settings = Settings(data_dir=Path(tmp), secret_keys=["bench"], clickhouse_database="bench")
        ch = ChdbClickHouse(Path(tmp) / "ch", "bench")
        apply_migrations(ch, render_context(settings))
        started = time.time()
        data = generate(args.opportunities, seed=args.seed, days=365, tenants=args.tenants)
        counts = load(ch, data)
        print(
            f"loaded in {time.time() - started:.1f} s: "
            + ", ".join(f"{k} {v:,}" for k, v in counts.items())
        )
        _phase(ch, settings, data.tenant_ids, live=True, days_ago=0, now=data.end)
        _phase(ch, settings, data.tenant_ids, live=False, days_ago=90, now=data.end)
        ch.close()


if __name__ == "__main__":
    main()
