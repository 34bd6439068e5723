"""The locust file against a real `dealsignal serve` (embedded mode, its own data dir and
private Redis): a short headless run with a few users must finish with no failed request
and with ClickHouse accounting for exactly the events of the 2xx answers."""

from __future__ import annotations

import csv
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clean_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEALSIGNAL_")}
    env["DEALSIGNAL_DATA_DIR"] = str(data_dir)
    return env


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    port = _free_port()
    env = _clean_env(tmp_path / "data")
    env["DEALSIGNAL_PUBLIC_BASE_URL"] = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [str(BIN / "dealsignal"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "dealsignal serve did not come up"
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield url, env
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_locust_run_accounts_for_every_accepted_event(
    served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, env = served
    prefix = tmp_path / "locust"
    run = subprocess.run(
        [
            str(BIN / "locust"),
            "-f",
            str(ROOT / "load_tests" / "locustfile.py"),
            "--headless",
            "-u",
            "4",
            "-r",
            "4",
            "-t",
            "10s",
            # Let requests in flight at the time limit finish and be counted: an interrupted
            # request the server accepted would land without its 2xx ever being seen.
            "--stop-timeout",
            "10",
            "--host",
            url,
            "--csv",
            str(prefix),
            "--exit-code-on-error",
            "1",
            "--only-summary",
        ],
        env={**env, "LOCUST_LINKS": "5", "LOCUST_DRAIN_TIMEOUT": "60"},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    assert "count check: OK" in output, output[-4000:]
    with (tmp_path / "locust_stats.csv").open() as stats:
        rows = {row["Name"]: row for row in csv.DictReader(stats)}
    for name in ("/e", "/l/[token]", "/o/[token].gif"):
        assert int(rows[name]["Request Count"]) > 0 and rows[name]["Failure Count"] == "0"
