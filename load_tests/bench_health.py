"""Opportunity health + forecast evidence at scale, measured in one run, through the CLI.

    python load_tests/bench_health.py [--opportunities 10000] [--seed 7] [--tenants 1]

1. `dealsignal synthetic deals` fills an embedded store (chDB in a temp data dir): N
   opportunities over 365 days, their CRM history and ≥ 1M events.
2. `dealsignal scoring assess` every opportunity of every tenant (health pillars, bands,
   actions, evidence chain, credibility): (a) live, including the engagement score; (b) point
   in time 90 days before the window's end (the calibration path, no live engagement score).
3. Rows read per second from the engine's own counters (`system.events`: SelectedRows and
   SelectQueryTimeMicroseconds of the queries the command issued), which the command reports.
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from service import cli_json

__all__ = ["main"]


def _phase(data: Path, tenants: list[str], *, live: bool, as_of: datetime) -> None:
    assessed, seconds, rows, query_s, queries, size = 0, 0.0, 0, 0.0, 0, 0
    for tenant in tenants:
        args = ["scoring", "assess", "--tenant", tenant, "--as-of", as_of.isoformat()]
        report = cli_json(data, *args, *([] if live else ["--no-engagement"]))
        assessed += report["opportunities"]
        seconds += report["seconds"]
        engine = report["engine"]
        rows, size = rows + engine["rows_read"], size + engine["bytes_read"]
        query_s, queries = query_s + engine["query_seconds"], queries + engine["select_queries"]
        print(f"  {tenant}: bands {report['bands']}")
    label = "live (with engagement score)" if live else f"as of {as_of:%Y-%m-%d}"
    print(f"[{label}] {assessed} opportunities assessed in {seconds:.2f} s "
          f"({assessed / seconds:,.0f}/s)")  # fmt: skip
    rate = rows / query_s if query_s else 0.0
    print(
        f"  system.events: {queries} SELECTs, {rows:,} rows / {size / 1e6:,.1f} MB read in "
        f"{query_s:.2f} s of query time → {rate:,.0f} rows/s (wall: {rows / seconds:,.0f} rows/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--opportunities", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tenants", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-health-") as tmp:
        data = Path(tmp)
        loaded = cli_json(data, "synthetic", "deals", "--opportunities", str(args.opportunities),
                          "--seed", str(args.seed), "--tenants", str(args.tenants))  # fmt: skip
        print(f"loaded in {loaded['seconds']:.1f} s: "
              + ", ".join(f"{k} {v:,}" for k, v in loaded["rows"].items()))  # fmt: skip
        names = [tenant["name"] for tenant in loaded["tenants"]]
        end = datetime.fromisoformat(loaded["window_end"])
        _phase(data, names, live=True, as_of=end)
        _phase(data, names, live=False, as_of=end - timedelta(days=90))


if __name__ == "__main__":
    main()
