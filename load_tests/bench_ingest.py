"""Ingest benchmark: `POST /e` against a no-op ASGI endpoint and a naive
one-INSERT-per-request endpoint, same uvicorn flags, same load tool (wrk + Lua), one run;
then events/s landing in ClickHouse with zero loss.

    .venv/bin/python load_tests/bench_ingest.py [--seconds 10] [--connections 64]
                                                [--events-per-beacon 5]

Each server runs in its own subprocess: `uvicorn --workers 1 --loop uvloop --http httptools
--no-access-log` on 127.0.0.1, dealsignal on a temporary data dir (chDB + its private
Redis). Phases, one data dir:

1. API only (`DEALSIGNAL_BACKGROUND=false`, the server-mode API shape of docker-compose):
   load on `POST /e`; accepted events wait in the Redis stream.
2. Embedded (writer in-process): the writer drains that backlog (writer throughput alone),
   then the same load runs with API and writer sharing one process; then everything accepted
   in both phases must be in ClickHouse.
3. The no-op and naive servers under the same load.

The API-only phase first runs `--pairs` (5) short loads (`--pair-seconds`, 3) turn about
on its server and on a second no-op server started beside it: this VM's speed drifts by 1.4 ×
within minutes, so the phases' single ratio, a minute apart, carries that drift; the median
of the paired ratios does not. First, because with no writer the stream only grows: run
after the 10 s load, the pairs' beacon req/s fell run after run (15.6k → 9.1k over five pairs
at 20:17 on 2026-12-04, the no-op 58.2k → 46.6k), and under such a backlog the private
Redis's log shows an append-only-file rewrite (a fork writing the whole stream) every few
seconds; a deployment's writers keep the stream near empty.

Every request carries a beacon of
`--events-per-beacon` page_dwell events with unique ids (the Lua script numbers them), so
nothing is deduplicated away. Talks to dealsignal only over HTTP (and its CLI for a key).

Before the servers start, `dealsignal bench beacon` measures the API's own work per beacon
in-process (no HTTP, no Redis), printed beside the ratios.

Targets (DESIGN.md): beacon ≥ 0.3 × no-op now (0.7 × the long-run aim), own work ≤ 35 µs,
≥ 20 × naive; zero loss. Exits 1 if the loss
check fails; ratios are printed, not enforced.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
CHROME_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
UVICORN_FLAGS = [
    "--host",
    "127.0.0.1",
    "--workers",
    "1",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--no-access-log",
    "--log-level",
    "warning",
]
DWELL_MS = 1000

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


# ---- the two comparison endpoints (served by uvicorn from this module) -----------------


async def noop_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Raw ASGI: read the body, answer 204. The ceiling for any endpoint on this server."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def naive_app() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """One INSERT into ClickHouse (embedded chDB at $BENCH_NAIVE_PATH) per request."""
    import json

    from chdb import session
    from starlette.concurrency import run_in_threadpool

    engine = session.Session(os.environ["BENCH_NAIVE_PATH"])
    engine.query("CREATE DATABASE IF NOT EXISTS naive")
    engine.query(
        "CREATE TABLE IF NOT EXISTS naive.events (event_id String, event_type String, "
        "page UInt16, dwell_ms UInt32, received_at DateTime64(3)) "
        "ENGINE = MergeTree ORDER BY (event_type, received_at)"
    )

    def insert(body: bytes) -> None:
        events = json.loads(body)["events"]
        values = ",".join(
            "('{}','{}',{},{},now64(3))".format(
                str(e["id"]).replace("'", ""),
                str(e["t"]).replace("'", ""),
                int(e.get("p", 0)),
                int(e.get("d", 0)),
            )
            for e in events
        )
        engine.query(f"INSERT INTO naive.events VALUES {values}")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        await run_in_threadpool(insert, b"".join(chunks))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return app


# ---- orchestration ---------------------------------------------------------------------

LUA = r"""
local token = "%(token)s"
local k = %(k)d
local run = "%(run)s"
local n = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["User-Agent"] = "%(ua)s"
function setup(thread)
  thread:set("tid", tostring(math.random(100000, 999999)))
end
request = function()
  n = n + 1
  local parts = {}
  for i = 1, k do
    parts[i] = string.format(
      '{"id":"%%s-%%s-%%d-%%d","t":"page_dwell","p":%%d,"d":%(dwell)d,"q":%%d}',
      run, tid, n, i, 1 + (n + i) %% 4, n * k + i)
  end
  local body = '{"s":"' .. token .. '","events":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format(nil, "/e", nil, body)
end
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, name: str, target: list[str], env: dict[str, str], workdir: Path) -> None:
        self.name, self.port = name, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"{name}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(BIN / "uvicorn"), *target, *UVICORN_FLAGS, "--port", str(self.port)],
                env=env,
                cwd=workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self._wait_up()

    def _wait_up(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name} server exited:\n{self.log.read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"{self.name} server did not start")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def wrk(url: str, lua: Path, seconds: int, connections: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "-s", str(lua), url],
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    ).stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requests": total,
        "rps": rps,
        "non2xx": int(bad.group(1)) if bad else 0,
        "socket_errors": 1 if errors else 0,
    }


def _write_lua(workdir: Path, token: str, k: int) -> Path:
    path = workdir / f"beacon-{uuid.uuid4().hex[:6]}.lua"
    run = uuid.uuid4().hex[:8]
    path.write_text(LUA % {"token": token, "k": k, "run": run, "ua": CHROME_UA, "dwell": DWELL_MS})
    return path


def _dealsignal_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEALSIGNAL_")}
    env["DEALSIGNAL_DATA_DIR"] = str(data_dir)
    return env


def _bootstrap(env: dict[str, str], workdir: Path) -> str:
    """A reps key from the CLI (before the server opens the embedded store)."""
    out = subprocess.run(
        [str(BIN / "dealsignal"), "keys", "create", "--tenant", "bench", "--scope", "reps"],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return out.strip().splitlines()[-1]


def _session_token(url: str, key: str, workdir: Path) -> tuple[str, str]:
    """Upload a PDF, create a link, read the viewer-session token off its viewer page."""
    import httpx
    from reportlab.pdfgen.canvas import Canvas

    pdf = workdir / "bench.pdf"
    canvas = Canvas(str(pdf))
    for number in range(1, 5):
        canvas.drawString(72, 720, f"bench page {number}")
        canvas.showPage()
    canvas.save()
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as c:
        doc = c.post(
            "/api/v1/documents",
            files={"file": ("bench.pdf", pdf.read_bytes(), "application/pdf")},
            data={"title": "bench"},
        )
        doc.raise_for_status()
        document_id = doc.json()["document_id"]
        made = c.post(
            "/api/v1/links",
            json={"document_id": document_id, "recipients": [{"email": "b@example.com"}]},
        )
        made.raise_for_status()
        viewer_token = made.json()["links"][0]["viewer_url"].rsplit("/", 1)[1]
        page = c.get(f"/v/{viewer_token}", headers={"User-Agent": CHROME_UA})
        page.raise_for_status()
    pdf.unlink()
    match = re.search(r'data-session="([^"]+)"', page.text)
    assert match, "no viewer session on the viewer page"
    return document_id, match.group(1)


def _accepted_metric(url: str) -> int:
    import httpx

    text = httpx.get(f"{url}/metrics", timeout=30).text
    match = re.search(
        r'^dealsignal_ingest_events_accepted_total\{event_type="page_dwell"\} ([\d.e+]+)$',
        text,
        re.MULTILINE,
    )
    return int(float(match.group(1))) if match else 0


def _metric_sum(url: str, name: str) -> float:
    """The value of an unlabelled series on /metrics (0 when absent)."""
    import httpx

    text = httpx.get(f"{url}/metrics", timeout=30).text
    match = re.search(rf"^{re.escape(name)} ([\d.e+]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def _settled_accepted(url: str) -> int:
    """The accepted count once requests cut off by the end of the load run are answered."""
    previous = -1
    for _ in range(100):
        current = _accepted_metric(url)
        if current == previous:
            return current
        previous = current
        time.sleep(0.5)
    return previous


def _redis_memory(data_dir: Path) -> tuple[int, int]:
    """used_memory and the stream's length, read off the service's private Redis (the API-only
    phase has no writer: what it accepted is the backlog)."""
    import redis

    store = redis.Redis(unix_socket_path=str(data_dir / "redis" / "redis.sock"))
    try:
        return int(store.info("memory")["used_memory"]), int(store.xlen("ds:events"))
    finally:
        store.close()


def _landed(url: str, key: str, document_id: str) -> int:
    import httpx

    analytics = httpx.get(
        f"{url}/api/v1/documents/{document_id}/analytics",
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
    ).json()
    return int(analytics["dwell_ms"]) // DWELL_MS + int(analytics["bot_events"])


def _wait_landed(url: str, key: str, document_id: str, expected: int) -> int:
    landed, deadline = -1, time.monotonic() + 300
    while time.monotonic() < deadline:
        landed = _landed(url, key, document_id)
        if landed >= expected:
            break
        time.sleep(0.2)
    return landed


class Run:
    """The dealsignal phases of one benchmark run, on one data dir."""

    def __init__(
        self, workdir: Path, k: int, seconds: int, conns: int, pairs: tuple[int, int] = (0, 0)
    ) -> None:
        self.workdir, self.k, self.seconds, self.conns = workdir, k, seconds, conns
        self.pairs, self.pair_seconds = pairs
        self.paired: list[tuple[float, float]] = []  # (beacon, no-op) req/s, turn about
        self.env = _dealsignal_env(workdir / "data")
        self.key = _bootstrap(self.env, workdir)
        self.results: dict[str, dict[str, float]] = {}
        self.accepted = 0
        self.backlog: dict[str, int] = {}
        self.inserts: dict[str, float] = {}
        self.document_id = self.token = ""

    def api_only(self) -> None:
        """The server-mode API shape: no writer in the process; events wait in Redis."""
        server = Server("api-only", ["--factory", "api.app:create_app"],
                        {**self.env, "DEALSIGNAL_BACKGROUND": "false"}, self.workdir)  # fmt: skip
        try:
            self.document_id, self.token = _session_token(server.url, self.key, self.workdir)
            before = _redis_memory(self.workdir / "data")
            self._turn_about(server)  # first: the backlog grows with every load (no writer)
            self._load(server, "beacon (API only)")
            self.accepted += _settled_accepted(server.url)
            after = _redis_memory(self.workdir / "data")
            self.backlog = {"bytes": after[0] - before[0], "entries": after[1] - before[1]}
        finally:
            server.stop()

    def embedded(self) -> tuple[float, float, int, float]:
        """Embedded: the writer first drains the API-only backlog (writer throughput), then
        load runs with the writer in-process. Returns drain and sustained figures."""
        server = Server("embedded", ["--factory", "api.app:create_app"], self.env, self.workdir)
        try:
            started = time.monotonic()
            backlog = _wait_landed(server.url, self.key, self.document_id, self.accepted)
            drain = time.monotonic() - started
            first = time.monotonic()
            self._load(server, "beacon (embedded)")
            load_end = time.monotonic()
            self.accepted += _settled_accepted(server.url)
            landed = _wait_landed(server.url, self.key, self.document_id, self.accepted)
            done = time.monotonic()
            self.inserts = {
                name: _metric_sum(server.url, f"dealsignal_ingest_{name}")
                for name in ("insert_seconds_sum", "insert_seconds_count", "batch_rows_sum")
            }
        finally:
            server.stop()
        rate = (landed - backlog) / (done - first)
        return backlog / drain, rate, landed, done - load_end

    def _turn_about(self, server: Server) -> None:
        """Short loads on `server` and on a no-op server, one after the other, `pairs` times."""
        if not self.pairs:
            return
        env = {**self.env, "PYTHONPATH": str(HERE)}
        noop = Server("noop-paired", ["bench_ingest:noop_app"], env, self.workdir)
        try:
            wrk(noop.url, _write_lua(self.workdir, self.token, self.k), 1, self.conns)
            for _ in range(self.pairs):
                # a script of its own each run: its event ids must not repeat (dedupe)
                lua = _write_lua(self.workdir, self.token, self.k)
                beacon = wrk(server.url, lua, self.pair_seconds, self.conns)
                base = wrk(noop.url, lua, self.pair_seconds, self.conns)
                if beacon["non2xx"]:
                    raise SystemExit(f"{int(beacon['non2xx'])} beacons refused in the pairs")
                self.paired.append((beacon["rps"], base["rps"]))
        finally:
            noop.stop()

    def _load(self, server: Server, name: str) -> None:
        wrk(server.url, _write_lua(self.workdir, self.token, self.k), 2, self.conns)  # warm-up
        lua = _write_lua(self.workdir, self.token, self.k)
        self.results[name] = wrk(server.url, lua, self.seconds, self.conns)

    def baselines(self) -> None:
        env = {**self.env, "PYTHONPATH": str(HERE), "BENCH_NAIVE_PATH": str(self.workdir / "naive")}
        lua = _write_lua(self.workdir, "x", self.k)
        for name, target in (
            ("noop", ["bench_ingest:noop_app"]),
            ("naive", ["--factory", "bench_ingest:naive_app"]),
        ):
            server = Server(name, target, env, self.workdir)
            try:
                wrk(server.url, lua, 2, self.conns)
                self.results[name] = wrk(server.url, lua, self.seconds, self.conns)
            finally:
                server.stop()


def in_process(n: int, k: int) -> dict[str, float]:
    """The API's own work per beacon, no HTTP and no Redis: `dealsignal bench beacon`."""
    import json

    out = subprocess.run(
        [str(BIN / "dealsignal"), "bench", "beacon", "--n", str(n), "--events", str(k)],
        env={
            name: value for name, value in os.environ.items() if not name.startswith("DEALSIGNAL_")
        },
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--events-per-beacon", type=int, default=5)
    parser.add_argument("--in-process-beacons", type=int, default=20_000)
    parser.add_argument("--pairs", type=int, default=5, help="beacon/no-op loads turn about")
    parser.add_argument("--pair-seconds", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        return 1
    k, seconds, conns = args.events_per_beacon, args.seconds, args.connections
    # First, while no server of this run is up to share the cores with it.
    own = in_process(args.in_process_beacons, k)
    workdir = Path(tempfile.mkdtemp(prefix="dealsignal-bench-"))
    try:
        run = Run(workdir, k, seconds, conns, (args.pairs, args.pair_seconds))
        run.api_only()
        drain_rate, sustained, landed, drain_after = run.embedded()
        run.baselines()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    results = run.results
    print(
        f"load: wrk -t1 -c{conns} -d{seconds}s, {k} page_dwell events per request, "
        f"uvicorn {' '.join(UVICORN_FLAGS)}"
    )
    for name, r in results.items():
        print(
            f"  {name:18s} {r['rps']:>10.0f} req/s  ({int(r['requests'])} requests, "
            f"{int(r['non2xx'])} non-2xx)"
        )
    noop, naive = results["noop"]["rps"], results["naive"]["rps"]
    for name in ("beacon (API only)", "beacon (embedded)"):
        rps = results[name]["rps"]
        print(f"  {name:18s} / no-op ASGI = {rps / noop:.2f}   (target >= 0.3, aim 0.7)")
        print(f"  {name:18s} / naive      = {rps / naive:.1f}x  (target >= 20x)")
    if run.paired:
        ratios = sorted(beacon / base for beacon, base in run.paired)
        print(
            f"  beacon (API only) / no-op ASGI, {len(ratios)} pairs turn about "
            f"({run.pair_seconds} s each): median {statistics.median(ratios):.2f} "
            f"(range {ratios[0]:.2f}–{ratios[-1]:.2f}; beacon "
            + ", ".join(f"{b:.0f}" for b, _ in run.paired)
            + " req/s, no-op "
            + ", ".join(f"{n:.0f}" for _, n in run.paired)
            + ")   (target >= 0.3)"
        )
    print(
        f"  own work in-process (dealsignal bench beacon, {own['beacons']} beacons x "
        f"{own['rounds']} rounds over {own['sessions']} viewer sessions, no HTTP, no Redis): "
        f"{own['us_per_beacon_best']:.1f} us/beacon best round, "
        f"{own['us_per_beacon_median']:.1f} median, {own['cpu_us_per_beacon_best']:.1f} CPU "
        f"(target <= 35)"
    )
    loss = run.accepted - landed
    print(
        f"  events accepted (server metrics, both phases) {run.accepted}; landed in "
        f"ClickHouse {landed}; loss = {loss}"
    )
    print(f"  writer alone, draining the API-only backlog: {drain_rate:.0f} events/s landed")
    seconds, rows = run.inserts.get("insert_seconds_sum"), run.inserts.get("batch_rows_sum")
    if seconds and rows:
        count = run.inserts["insert_seconds_count"]
        print(
            f"  ClickHouse (chDB) inserts of the embedded phase: {count:.0f} inserts, "
            f"{rows / count:.0f} rows each on average, {rows / seconds:.0f} rows/s inside inserts"
        )
    if run.backlog.get("entries"):  # one entry per beacon, warm-up included
        per_event = run.backlog["bytes"] / (run.backlog["entries"] * k)
        print(
            f"  Redis backlog of the API-only phase: {run.backlog['entries']} entries, "
            f"{run.backlog['bytes'] / 1e6:.1f} MB used_memory growth = {per_event:.0f} bytes per "
            f"event ({per_event * 60 * 10_000 / 1e9:.2f} GB per minute of backlog at 10k events/s)"
        )
    print(
        f"  sustained end-to-end (embedded, API + writer in one process): {sustained:.0f} "
        f"events/s landed (drain after load {drain_after:.1f}s)"
    )
    bad = sum(int(results[n]["non2xx"]) for n in ("beacon (API only)", "beacon (embedded)"))
    ok = loss == 0 and bad == 0
    print("zero loss: OK" if ok else "zero loss: FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
