"""Past one machine: two API processes, two writers and a worker, each a real `dealsignal`
subprocess in server mode with its own data dir (no shared filesystem), one Redis, ClickHouse
through the HTTP harness and blobs on a local S3 API server (both labelled test harnesses).
A document uploaded through host A is stamped and identified through host B, beacons go to
both hosts, one writer is SIGKILLed mid-batch, and every accepted event lands exactly once."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import orjson
import pytest
import redis

from tests.harness.clickhouse_http import ClickHouseHttpHarness
from tests.harness.s3_server import S3Harness
from tests.pdfs import proposal
from tracker.api_keys import create_api_key
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse
from tracker.tenants import create_tenant
from tracker.tokens import TokenSigner, ViewerSessionClaims
from tracker.types import Scope

pytestmark = pytest.mark.e2e

DEALSIGNAL = Path(sys.executable).with_name("dealsignal")
BEACONS, EVENTS_PER_BEACON = 120, 50
CHROME_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait(condition: Callable[[], bool], what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


class Host:
    """One `dealsignal` process on a data dir of its own."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], root: Path) -> None:
        self.name, self.data = name, root / name
        self.log = root / f"{name}.log"
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(DEALSIGNAL), *args],
                env={**env, "DEALSIGNAL_DATA_DIR": str(self.data)},
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def tail(self) -> str:
        return f"--- {self.name}\n{self.log.read_text()[-2000:]}"

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class Api(Host):
    def __init__(self, name: str, env: dict[str, str], root: Path, key: str) -> None:
        self.port = _free_port()
        super().__init__(name, ["serve", "--port", str(self.port)], env, root)
        self.http = httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )

    def ready(self) -> bool:
        assert self.proc.poll() is None, self.tail()
        try:
            return self.http.get("/readyz").status_code == 200
        except httpx.HTTPError:
            return False


@pytest.fixture
def deployment(
    settings: Settings,
    clickhouse: ClickHouse,
    clickhouse_harness: ClickHouseHttpHarness,
    redis_url: str,
    s3: S3Harness,
    tmp_path: Path,
) -> Iterator[tuple[list[Api], list[Host], str]]:
    assert DEALSIGNAL.is_file(), f"{DEALSIGNAL} missing: `pip install -e .` the project"
    bucket = f"ds-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(bucket)
    tenant = create_tenant(clickhouse, "多主机").tenant_id
    _, key = create_api_key(clickhouse, tenant, Scope.ADMIN)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DEALSIGNAL_")},
        **s3.environment(bucket),
        "DEALSIGNAL_CLICKHOUSE_MODE": "server",
        "DEALSIGNAL_CLICKHOUSE_URL": clickhouse_harness.url,
        "DEALSIGNAL_CLICKHOUSE_DATABASE": settings.clickhouse_database,
        "DEALSIGNAL_REDIS_URL": redis_url,
        "DEALSIGNAL_SECRET_KEYS": ",".join(settings.secret_keys),
        "DEALSIGNAL_INGEST__BATCH_SECONDS": "0.1",
        "DEALSIGNAL_INGEST__RECLAIM_IDLE_MS": "1000",
    }
    apis = [Api(name, env, tmp_path, key) for name in ("api-a", "api-b")]
    others = [
        Host("writer-1", ["writer", "--consumer", "writer-1"], env, tmp_path),
        Host("writer-2", ["writer", "--consumer", "writer-2"], env, tmp_path),
        Host("worker", ["worker"], env, tmp_path),
    ]
    try:
        for api in apis:
            _wait(api.ready, f"{api.name} to be ready", 120)
        yield apis, others, tenant
    finally:
        for host in [*apis, *others]:
            host.stop()
        for api in apis:
            api.http.close()


def _beacons(settings: Settings, claims: ViewerSessionClaims) -> list[bytes]:
    signer = TokenSigner(list(settings.secret_keys))
    token = signer.viewer_session_token(claims)
    return [
        orjson.dumps({"s": token, "events": [
            {"id": uuid.uuid4().hex, "t": "page_dwell", "p": 1 + i % 3, "d": 1000, "q": b * 100 + i}
            for i in range(EVENTS_PER_BEACON)
        ]})
        for b in range(BEACONS)
    ]  # fmt: skip


def test_two_api_hosts_two_writers_and_a_worker_share_nothing_but_the_stores(
    settings: Settings,
    clickhouse: ClickHouse,
    redis_url: str,
    deployment: tuple[list[Api], list[Host], str],
) -> None:
    (a, b), (writer_1, writer_2, worker), tenant = deployment
    pdf = proposal(pages=3, title="多主机报价单")
    document = a.http.post(
        "/api/v1/documents",
        files={"file": ("报价单.pdf", pdf, "application/pdf")},
        data={"title": "报价单"},
    )
    assert document.status_code == 201, document.text + a.tail()
    doc = document.json()
    recipients = [{"email": "wang@buyer.example", "name": "王总"}]
    link = a.http.post(
        "/api/v1/links", json={"document_id": doc["document_id"], "recipients": recipients}
    ).json()["links"][0]

    copy = b.http.get(f"/api/v1/links/{link['id']}/pdf")  # host B never saw the upload
    assert copy.status_code == 200 and copy.content.startswith(b"%PDF"), copy.text + b.tail()
    for host in (a, b):
        found = host.http.post(
            "/api/v1/identify", files={"file": ("leak.pdf", copy.content, "application/pdf")}
        ).json()
        assert found["link_ids"] == [link["id"]], found
        assert found["links"][0]["recipient_name"] == "王总"

    claims = ViewerSessionClaims(
        tenant, link["id"], doc["document_id"], doc["current_version_id"],
        doc["opportunity_id"], "", f"vwr_{uuid.uuid4().hex[:8]}", 3,
    )  # fmt: skip
    db = clickhouse.database

    def rows() -> int:
        found = clickhouse.query(
            f"SELECT count() AS n, uniqExact(event_id) AS ids FROM {db}.events "
            "WHERE link_id = {link:String} AND event_type = 'page_dwell'",
            {"link": link["id"]},
        )[0]
        assert found["n"] == found["ids"], "an event landed twice"
        return int(found["n"])

    headers = {"Content-Type": "text/plain;charset=UTF-8", "User-Agent": CHROME_UA}
    for index, body in enumerate(_beacons(settings, claims)):
        host = (a, b)[index % 2]
        sent = host.http.post("/e", content=body, headers=headers)
        assert sent.status_code == 204, sent.text + host.tail()
        if index == BEACONS // 2:  # one writer dies mid-batch; the other and a reclaim go on
            _wait(lambda: rows() > 0, "a first batch to land", 90)
            writer_1.kill()
    sync = redis.Redis.from_url(redis_url)
    try:
        accepted = BEACONS * EVENTS_PER_BEACON
        _wait(lambda: rows() == accepted, f"{accepted} events to land", 120)

        # What writer-1 had claimed when it died (its rows may have landed before the kill,
        # unacknowledged) is reclaimed by writer-2 after the idle time and acknowledged.
        def pending() -> int:
            return int(sync.xpending(settings.ingest.stream, settings.ingest.group)["pending"])

        _wait(lambda: pending() == 0, "the dead writer's claimed entries to be taken over", 60)
        dead = sync.xlen(settings.ingest.dead_letter_stream)
    finally:
        sync.close()
    assert rows() == accepted and dead == 0, writer_2.tail()
    assert worker.proc.poll() is None, worker.tail()
    for host in (a, b, writer_2, worker):  # nothing another host needs on a host's disk
        blobs = host.data / "blobs"
        assert not blobs.exists() or not any(blobs.rglob("*")), host.name
