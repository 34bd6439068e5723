"""Engagement scoring at scale, measured in one run.

    python load_tests/bench_scores.py [--opportunities 10000] [--events-per-opp 112]
                                      [--requests 2000] [--concurrency 20] [--seconds 10]
                                      [--api-only]

1. Fill an embedded store (chDB in a temp data dir) with N opportunities (3 contacts each, one
   10-page document with a pricing page, 3 recipient links) and ≥ 1M events (views, 10 s
   heartbeats over ~14 visits per opportunity spread over 30 days, downloads, forwards, ~3 %
   bot traffic), generated in bulk with numpy/pyarrow from a fixed seed.
2. (a) Time to score every opportunity: one round of ClickHouse aggregations over the whole
   tenant, then the bulk-sync path (batches of 1 000 ids).
3. (b) Start the real app (uvicorn subprocess, embedded mode, its private Redis) and measure
   `/opportunities/{id}/engagement`:
   - uncached: the first touch of `--requests` ids, httpx at the given concurrency (the
     server's ClickHouse work dominates, so a Python client is fine here);
   - cached: wrk (C, 1 thread, fixed connections = the concurrency, a Lua script cycling
     through the same ids and counting `X-Score-Cache: hit`) for `--seconds`; percentiles
     from wrk's own histogram. A Python client on the same 2 cores would measure itself.
     Then the same at about half that rate (each connection waits an exponential think time
     between requests): a closed loop with pauses, not an open loop — wrk2 would be needed
     for that — but it shows the latency when the server is not saturated;
   - `/scores` pages (limit 1000), httpx.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa

from ingest import EVENT_COLUMNS
from scoring import ScopeKind, ScoringQuery, compute_scores
from tracker.api_keys import create_api_key
from tracker.config import Settings
from tracker.crm.opportunities import Contact, Opportunity, upsert_opportunities
from tracker.stores.clickhouse import apply_migrations, render_context
from tracker.stores.clickhouse.chdb_backend import ChdbClickHouse
from tracker.tenants import create_tenant
from tracker.types import Scope

TS = pa.timestamp("ms", tz="UTC")
PAGES = 10


def _entities(ch: ChdbClickHouse, tenant: str, n: int, now: datetime) -> None:
    ids = [f"opp-{i:06d}" for i in range(n)]
    upsert_opportunities(ch, tenant, [
        Opportunity(o, f"客户{i}", Decimal(10_000 + i), "CNY", "proposal", 40, "pipeline",
                    "rep@seller.example", now, contacts=(
                        Contact(f"{o}-c0", f"王总{i}", f"wang{i}@buyer.example", "CTO", True),
                        Contact(f"{o}-c1", f"李工{i}", f"li{i}@buyer.example", "engineer"),
                        Contact(f"{o}-c2", f"Anna {i}", f"anna{i}@buyer.example", "finance"),
                    ))
        for i, o in enumerate(ids)
    ])  # fmt: skip
    docs = [f"doc-{i:06d}" for i in range(n)]
    ch.insert("documents", pa.table({
        "tenant_id": [tenant] * n, "document_id": docs, "title": ["报价单"] * n,
        "opportunity_id": ids, "current_version_id": [f"ver-{i:06d}" for i in range(n)],
        "created_at": pa.array([now] * n, TS), "version": pa.array([1] * n, pa.uint64()),
    }))  # fmt: skip
    tags = [[] for _ in range(PAGES)]
    tags[7] = ["pricing"]
    ch.insert("document_versions", pa.table({
        "tenant_id": [tenant] * n, "document_id": docs,
        "version_id": [f"ver-{i:06d}" for i in range(n)],
        "revision": pa.array([1] * n, pa.uint32()), "filename": ["p.pdf"] * n,
        "sha256": ["0" * 64] * n, "size_bytes": pa.array([1] * n, pa.uint64()),
        "pages": pa.array([PAGES] * n, pa.uint16()),
        "page_words": pa.array([[150 + 30 * p for p in range(PAGES)]] * n, pa.list_(pa.uint32())),
        "page_tags": pa.array([tags] * n, pa.list_(pa.list_(pa.string()))),
        "created_at": pa.array([now] * n, TS), "version": pa.array([1] * n, pa.uint64()),
    }))  # fmt: skip
    links = 3 * n
    ch.insert("links", pa.table({
        "tenant_id": [tenant] * links,
        "link_id": [f"lnk-{i // 3:06d}-{i % 3}" for i in range(links)],
        "document_id": [docs[i // 3] for i in range(links)],
        "opportunity_id": [ids[i // 3] for i in range(links)],
        "contact_id": [f"{ids[i // 3]}-c{i % 3}" for i in range(links)],
        "recipient_email": [f"r{i}@buyer.example" for i in range(links)],
        "recipient_name": [["王总", "李工", "Anna"][i % 3] for i in range(links)],
        "created_at": pa.array([now] * links, TS), "version": pa.array([1] * links, pa.uint64()),
    }))  # fmt: skip


def _events(ch: ChdbClickHouse, tenant: str, n: int, per_opp: int, now: datetime) -> int:
    """Visits of ~8 events; one Arrow insert per 250k rows."""
    rng = np.random.default_rng(7)
    visits_per_opp = max(per_opp // 8, 1)
    visits = n * visits_per_opp
    opp = np.repeat(np.arange(n), visits_per_opp)
    link = rng.integers(0, 3, visits)
    forwarded = (rng.random(visits) < 0.08).astype(np.uint8)
    bot = (rng.random(visits) < 0.03).astype(np.uint8)
    start_ms = int(now.timestamp() * 1000) - rng.integers(0, 30 * 86_400_000, visits)
    events_per_visit = 8
    total = visits * events_per_visit
    v = np.repeat(np.arange(visits), events_per_visit)
    step = np.tile(np.arange(events_per_visit), visits)
    kind = np.where(step == 0, "view_start", "page_dwell").astype(object)
    kind[(step == events_per_visit - 1) & (rng.random(total) < 0.1)] = "download"
    page = np.where(step == 0, 1, rng.integers(1, PAGES + 1, total)).astype(np.uint16)
    dwell = np.where(kind == "page_dwell", rng.integers(500, 10_001, total), 0).astype(np.uint32)
    received = start_ms[v] + step * 10_000
    viewer = np.where(forwarded[v] == 1, "vf", "v0")
    opp_ids = np.char.add("opp-", np.char.zfill(opp[v].astype(str), 6))
    link_ids = np.char.add(
        np.char.add("lnk-", np.char.zfill(opp[v].astype(str), 6)),
        np.char.add("-", link[v].astype(str)),
    )
    columns = {
        "event_id": np.char.add("e", np.arange(total).astype(str)),
        "tenant_id": np.full(total, tenant),
        "event_type": kind.astype(str),
        "document_id": np.char.add("doc-", np.char.zfill(opp[v].astype(str), 6)),
        "version_id": np.char.add("ver-", np.char.zfill(opp[v].astype(str), 6)),
        "link_id": link_ids,
        "opportunity_id": opp_ids,
        "contact_id": np.char.add(np.char.add(opp_ids, "-c"), link[v].astype(str)),
        "viewer_id": np.char.add(link_ids, viewer[v]),
        "visit_id": np.char.add("vis", v.astype(str)),
        "page": page,
        "dwell_ms": dwell,
        "seq": step.astype(np.uint32),
        "client_ts": received,
        "received_at": received,
        "ua_browser": np.full(total, "Chrome"),
        "ua_os": np.full(total, "Windows"),
        "ua_device": np.full(total, "Other"),
        "ip_hash": np.full(total, "h"),
        "is_bot": bot[v],
        "bot_reason": np.where(bot[v] == 1, "bot_user_agent", "none"),
        "forwarded": forwarded[v],
        "link_revoked": np.zeros(total, np.uint8),
        "props": np.full(total, ""),
    }
    for lo in range(0, total, 250_000):
        chunk = {}
        for name in EVENT_COLUMNS:
            values = columns[name][lo : lo + 250_000]
            if name in ("client_ts", "received_at"):
                chunk[name] = pa.array(values.astype("int64"), pa.int64()).cast(TS)
            elif values.dtype.kind in "US":
                chunk[name] = pa.array(values.tolist(), pa.string())
            else:
                chunk[name] = pa.array(values)
        ch.insert("events", pa.table(chunk))
    return total


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(q * len(ordered)), len(ordered) - 1)] * 1000


async def _load(
    base: str, key: str, paths: list[str], concurrency: int
) -> tuple[list[float], dict[str, int]]:
    latencies: list[float] = []
    cache: dict[str, int] = {}
    queue: asyncio.Queue[str] = asyncio.Queue()
    for p in paths:
        queue.put_nowait(p)
    limits = httpx.Limits(max_connections=concurrency)
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=120) as c:

        async def worker() -> None:
            while not queue.empty():
                path = queue.get_nowait()
                started = time.perf_counter()
                response = await c.get(path)
                latencies.append(time.perf_counter() - started)
                response.raise_for_status()
                tag = response.headers.get("x-score-cache", "n/a")
                cache[tag] = cache.get(tag, 0) + 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, cache


# Cycles through the paths (one per line of PATHS_FILE), each connection from its own offset;
# counts cache hits, misses and non-200 answers; prints one parseable line from done().
WRK_LUA = r"""
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local auth = "Bearer %(key)s"
local think_ms = %(think_ms)f
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  threads[#threads + 1] = thread
end
function init(args)
  n = tid * 7919
  hits, misses, bad = 0, 0, 0
end
function request()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1], {["Authorization"] = auth})
end
function delay()
  if think_ms <= 0 then return 0 end
  return -math.log(1 - math.random()) * think_ms
end
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1
  elseif headers["x-score-cache"] == "hit" or headers["X-Score-Cache"] == "hit" then
    hits = hits + 1
  else misses = misses + 1 end
end
function done(summary, latency, requests)
  local h, m, b = 0, 0, 0
  for _, t in ipairs(threads) do
    h, m, b = h + t:get("hits"), m + t:get("misses"), b + t:get("bad")
  end
  local e = summary.errors
  io.write(string.format(
    "WRK requests=%%d duration_us=%%d p50=%%d p90=%%d p99=%%d p999=%%d max=%%d mean=%%.0f " ..
    "hits=%%d misses=%%d non200=%%d socket_errors=%%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean, h, m, b,
    e.connect + e.read + e.write + e.timeout))
end
"""


def _wrk(
    base: str, key: str, paths: list[str], connections: int, seconds: int, think_ms: float = 0
) -> dict[str, float]:
    """One wrk run; latencies in µs as wrk reports them."""
    with tempfile.TemporaryDirectory(prefix="ds-bench-wrk-") as tmp:
        listing, script = Path(tmp) / "paths.txt", Path(tmp) / "pull.lua"
        listing.write_text("\n".join(paths) + "\n")
        script.write_text(WRK_LUA % {"paths": listing, "key": key, "think_ms": think_ms})
        out = subprocess.run(
            ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "-s", str(script),
             base],
            capture_output=True, text=True, check=True, timeout=seconds + 60,
        ).stdout  # fmt: skip
    line = next(x for x in out.splitlines() if x.startswith("WRK "))
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)}


def _report_wrk(name: str, r: dict[str, float]) -> None:
    ms = {q: r[q] / 1000 for q in ("p50", "p90", "p99", "p999", "max")}
    print(
        f"  {name:<34} n={int(r['requests']):6d}  p50={ms['p50']:6.1f} ms  p90={ms['p90']:6.1f} ms"
        f"  p99={ms['p99']:6.1f} ms  p99.9={ms['p999']:6.1f} ms  max={ms['max']:6.1f} ms"
        f"  {r['requests'] / (r['duration_us'] / 1e6):7.1f} req/s"
        f"  hit={int(r['hits'])} miss={int(r['misses'])} non-200={int(r['non200'])}"
        f" socket-errors={int(r['socket_errors'])}"
    )


def _report(name: str, latencies: list[float], wall: float, extra: str = "") -> None:
    print(
        f"  {name:<34} n={len(latencies):5d}  p50={_pct(latencies, 0.5):8.1f} ms  "
        f"p99={_pct(latencies, 0.99):8.1f} ms  mean={statistics.mean(latencies) * 1000:8.1f} ms"
        f"  {len(latencies) / wall:7.1f} req/s {extra}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--opportunities", type=int, default=10_000)
    parser.add_argument("--events-per-opp", type=int, default=112)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=10, help="each wrk run")
    parser.add_argument(
        "--api-only",
        action="store_true",
        help="serve without the in-process writer/scheduler loops (the server-mode API shape)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk not found (the cached-pull load tool): apt-get install -y wrk")
    data = Path(tempfile.mkdtemp(prefix="ds-bench-scores-"))
    settings = Settings(data_dir=data, secret_keys=["bench-secret"])
    now = datetime.now(UTC)
    ch = ChdbClickHouse(settings.embedded_path, settings.clickhouse_database)
    apply_migrations(ch, render_context(settings))
    tenant = create_tenant(ch, "bench").tenant_id
    _, key = create_api_key(ch, tenant, Scope.CRM)
    started = time.perf_counter()
    _entities(ch, tenant, args.opportunities, now - timedelta(days=31))
    total = _events(ch, tenant, args.opportunities, args.events_per_opp, now)
    print(f"store: {args.opportunities} opportunities, {total:,} events "
          f"(generated + inserted in {time.perf_counter() - started:.1f} s)")  # fmt: skip

    tuning = settings.scoring
    started = time.perf_counter()
    everything = compute_scores(ch, ScoringQuery(tenant, ScopeKind.OPPORTUNITY, None, now), tuning)
    whole = time.perf_counter() - started
    ids = sorted(everything)
    started = time.perf_counter()
    for lo in range(0, len(ids), tuning.bulk_batch_size):
        batch = ids[lo : lo + tuning.bulk_batch_size]
        compute_scores(ch, ScoringQuery(tenant, ScopeKind.OPPORTUNITY, batch, now), tuning)
    batched = time.perf_counter() - started
    bands: dict[str, int] = {}
    for s in everything.values():
        bands[s.band.value] = bands.get(s.band.value, 0) + 1
    print("(a) scoring all opportunities")
    print(f"  one round over the tenant:         {len(everything)} scored in {whole:.2f} s")
    print(f"  batches of {tuning.bulk_batch_size} ids (bulk sync path): "
          f"{len(ids)} scored in {batched:.2f} s")  # fmt: skip
    print(f"  bands: {dict(sorted(bands.items()))}")
    ch.close()

    port = _free_port()
    env = {
        **os.environ,
        "DEALSIGNAL_DATA_DIR": str(data),
        "DEALSIGNAL_SECRET_KEYS": "bench-secret",
    }
    env.pop("DEALSIGNAL_REDIS_URL", None)
    if args.api_only:  # the production shape: API workers without the writer/scheduler loops
        env["DEALSIGNAL_BACKGROUND"] = "false"
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app", "--port", str(port),
         "--log-level", "warning", "--no-access-log"],
        env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        sample = ids[:: max(len(ids) // args.requests, 1)][: args.requests]
        paths = [f"/api/v1/opportunities/{o}/engagement" for o in sample]
        shape = "API only" if args.api_only else "embedded: API + writer + scheduler"
        c = args.concurrency
        print(f"(b) score pull over HTTP (uvicorn, 1 worker, {shape}), concurrency {c}")
        t0 = time.perf_counter()
        lat, cache = asyncio.run(_load(base, key, paths, c))
        _report(f"engagement uncached, httpx c={c}", lat, time.perf_counter() - t0, str(cache))
        _wrk(base, key, paths, c, 2)  # warm-up
        full = _wrk(base, key, paths, c, args.seconds)
        _report_wrk(f"engagement cached, wrk c={c}", full)
        half = full["requests"] / (full["duration_us"] / 1e6) / 2
        paced = _wrk(base, key, paths, c, args.seconds, think_ms=1000 * c / half)
        _report_wrk("cached, ~half rate (think time)", paced)
        print(f"  cached runs cycle through the {len(paths)} ids above; wrk -t1 -c{c} "
              f"-d{args.seconds}s, latency from wrk's histogram")  # fmt: skip
        pages: list[str] = []
        cursor = ""
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"},
                          timeout=300) as c:  # fmt: skip
            for label in ("/scores sweep, limit 1000 (cold)", "/scores sweep, limit 1000 (warm)"):
                lat, cursor, t0 = [], "", time.perf_counter()
                while True:
                    s0 = time.perf_counter()
                    body = c.get("/api/v1/scores",
                                 params={"limit": 1000, **({"cursor": cursor} if cursor else {})}
                                 ).raise_for_status().json()  # fmt: skip
                    lat.append(time.perf_counter() - s0)
                    pages.append(str(len(body["items"])))
                    if not (cursor := body["next_cursor"]):
                        break
                _report(label, lat, time.perf_counter() - t0, f"({len(lat)} pages)")
    finally:
        server.terminate()
        server.wait(30)
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
