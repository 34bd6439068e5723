"""`dealsignal bench beacon`: the in-process beacon measurement load_tests/bench_ingest.py
prints. Checks what it did (every beacon accepted, an entry per beacon), never how fast."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_bench_beacon_accepts_every_beacon_and_reports_per_beacon_figures(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEALSIGNAL_")}
    env["DEALSIGNAL_DATA_DIR"] = str(tmp_path)
    args = ["bench", "beacon", "--n", "50", "--events", "3", "--sessions", "7", "--rounds", "2"]
    done = subprocess.run(
        [sys.executable, "-m", "api.cli.commands", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert (report["beacons"], report["events_per_beacon"], report["sessions"]) == (50, 3, 7)
    assert report["us_per_beacon_best"] > 0 and report["cpu_us_per_beacon_best"] >= 0
    # The entry of three events: shared columns once, three rows of own columns.
    assert report["entry_bytes_per_beacon"] > 3 * len("b000000000-00")
    assert not (tmp_path / "clickhouse").exists()  # no store opened: in-process work only
