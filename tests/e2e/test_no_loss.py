"""No loss, no duplicates: events accepted over `POST /e` land exactly once in ClickHouse
while the writer (`dealsignal writer`, a real subprocess in server mode talking to the
ClickHouse HTTP harness) is SIGKILLed mid-run, ClickHouse fails requests, and the client
re-sends every beacon."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson
import pytest
import redis
from fastapi.testclient import TestClient

from api.app import create_app
from tests.harness.clickhouse_http import ClickHouseHttpHarness
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse
from tracker.tokens import TokenSigner, ViewerSessionClaims

pytestmark = pytest.mark.e2e

BEACONS = 200
EVENTS_PER_BEACON = 100
N = BEACONS * EVENTS_PER_BEACON
CHROME_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
DEALSIGNAL = Path(sys.executable).with_name("dealsignal")
CONSUMER = "e2e-writer"


def _beacons(settings: Settings) -> list[bytes]:
    """BEACONS viewer beacons of page_dwell heartbeats, 20 viewers of 4 links."""
    signer = TokenSigner(list(settings.secret_keys))
    bodies = []
    for b in range(BEACONS):
        claims = ViewerSessionClaims(
            "ten_noloss",
            f"lnk_{b % 4}",
            "doc_noloss",
            "ver_1",
            "opp_1",
            "con_1",
            f"vwr_{b % 20:02d}",
            10,
        )
        events = [
            {"id": uuid.uuid4().hex, "t": "page_dwell", "p": 1 + i % 10, "d": 1000 + i, "q": i}
            for i in range(EVENTS_PER_BEACON)
        ]
        bodies.append(orjson.dumps({"s": signer.viewer_session_token(claims), "events": events}))
    return bodies


EXPECTED_DWELL = BEACONS * sum(1000 + i for i in range(EVENTS_PER_BEACON))


class WriterProcess:
    """`dealsignal writer` with a stable consumer name, restartable."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(DEALSIGNAL), "writer", "--consumer", CONSUMER],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_reading(self, client: redis.Redis, group: str, stream: str) -> None:
        """Until this run of the writer reads the stream (its consumer's idle time restarts
        below the time since it was started: migrations done, loop running)."""
        started = time.monotonic()

        def reading() -> bool:
            try:
                consumers = client.xinfo_consumers(stream, group)
            except redis.ResponseError:  # no group yet
                return False
            elapsed_ms = (time.monotonic() - started) * 1000
            return any(
                c["name"] == CONSUMER.encode() and int(c["idle"]) < elapsed_ms for c in consumers
            )

        _wait(reading, "the writer to read the stream")

    def kill(self) -> None:
        assert self.proc is not None and self.proc.poll() is None, self.log.read_text()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return -9


@pytest.fixture
def writer_process(
    settings: Settings,
    clickhouse_harness: ClickHouseHttpHarness,
    redis_url: str,
    tmp_path: Path,
) -> Iterator[WriterProcess]:
    assert DEALSIGNAL.is_file(), f"{DEALSIGNAL} missing: `pip install -e .` the project"
    env = {
        **os.environ,
        "DEALSIGNAL_CLICKHOUSE_MODE": "server",
        "DEALSIGNAL_CLICKHOUSE_URL": clickhouse_harness.url,
        "DEALSIGNAL_CLICKHOUSE_DATABASE": settings.clickhouse_database,
        "DEALSIGNAL_REDIS_URL": redis_url,
        "DEALSIGNAL_SECRET_KEYS": ",".join(settings.secret_keys),
        "DEALSIGNAL_DATA_DIR": str(tmp_path / "writer-data"),
        "DEALSIGNAL_INGEST__BATCH_SECONDS": "0.1",
        "DEALSIGNAL_INGEST__RECLAIM_IDLE_MS": "1000",
    }
    writer = WriterProcess(env, tmp_path / "writer.log")
    yield writer
    writer.stop()


def _wait(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_exactly_once_through_kills_outages_and_resends(
    settings: Settings,
    clickhouse: ClickHouse,
    clickhouse_harness: ClickHouseHttpHarness,
    writer_process: WriterProcess,
    redis_url: str,
) -> None:
    db = clickhouse.database
    sync_redis = redis.Redis.from_url(redis_url)
    sync_redis.flushdb()
    stream = settings.ingest.stream

    def rows() -> int:
        return int(clickhouse.query(f"SELECT count() AS n FROM {db}.events")[0]["n"])

    def totals() -> dict[str, int]:
        events = clickhouse.query(
            f"SELECT count() AS rows, uniqExact(event_id) AS ids, toUInt64(sum(dwell_ms)) AS dwell "
            f"FROM {db}.events"
        )[0]
        rollup = clickhouse.query(
            f"SELECT toUInt64(sum(heartbeats)) AS heartbeats, toUInt64(sum(dwell_ms)) AS dwell "
            f"FROM {db}.page_dwell_daily"
        )[0]
        daily = clickhouse.query(
            f"SELECT toUInt64(sum(dwell_ms)) AS dwell FROM {db}.link_activity_daily"
        )[0]
        return {
            "rows": int(events["rows"]),
            "ids": int(events["ids"]),
            "dwell": int(events["dwell"]),
            "rollup_heartbeats": int(rollup["heartbeats"]),
            "rollup_dwell": int(rollup["dwell"]),
            "daily_dwell": int(daily["dwell"]),
        }

    expected = {
        "rows": N,
        "ids": N,
        "dwell": EXPECTED_DWELL,
        "rollup_heartbeats": N,
        "rollup_dwell": EXPECTED_DWELL,
        "daily_dwell": EXPECTED_DWELL,
    }
    bodies = _beacons(settings)
    # Hours of heartbeats in seconds: the wall-clock bound on a visit's dwell would flag
    # most of them (test_ingest_forged_engagement.py tests it); this test counts losses.
    settings.ingest.dwell_clock_slack_seconds = 86_400
    headers = {"Content-Type": "text/plain;charset=UTF-8", "User-Agent": CHROME_UA}
    with TestClient(create_app(settings, run_background=False)) as api:

        def send(body: bytes) -> None:
            response = api.post("/e", content=body, headers=headers)
            assert response.status_code == 204, response.text

        group = settings.ingest.group
        writer_process.start()
        writer_process.wait_reading(sync_redis, group, stream)
        kills = []
        for index, body in enumerate(bodies):
            send(body)
            sent = (index + 1) * EVENTS_PER_BEACON
            if index == 60:  # SIGKILL mid-run, once some batches have landed
                _wait(lambda: rows() > 0, "a first batch")
                writer_process.kill()
                kills.append(rows())
                assert 0 < kills[-1] < sent
            elif index == 90:  # events piled up while it was dead
                writer_process.start()
            elif index == 120:  # ClickHouse goes away: its requests fail for a while
                writer_process.wait_reading(sync_redis, group, stream)  # (it must *start*)
                outage_from = clickhouse_harness.requests
                clickhouse_harness.fail_next(6)
            elif index == 130:  # killed while retrying against the outage
                failed = outage_from + 3

                def outage_hit(n: int = failed) -> bool:
                    return clickhouse_harness.requests >= n

                _wait(outage_hit, "failed inserts")
                writer_process.kill()
                kills.append(rows())
                clickhouse_harness.fail_next(0)  # back, and a fresh writer takes over
                writer_process.start()
            time.sleep(0.01)
        _wait(lambda: sync_redis.xlen(stream) == 0, "the writer to drain the stream", 120)
        assert totals() == expected, writer_process.log.read_text()[-3000:]
        assert all(count < N for count in kills)

        for body in bodies:  # the client re-sends everything (same ids)
            send(body)
        _wait(lambda: sync_redis.xlen(stream) == 0, "the re-sent beacons to drain", 120)
        assert totals() == expected
    assert sync_redis.xlen(settings.ingest.dead_letter_stream) == 0
    assert writer_process.stop() == 0
    sync_redis.close()
