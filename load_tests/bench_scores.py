"""Engagement scoring at scale, measured in one run.

    python load_tests/bench_scores.py [--opportunities 10000] [--seed 7]
                                      [--requests 2000] [--concurrency 20] [--seconds 10]
                                      [--api-only]

Everything goes through the CLI and HTTP (load_tests/ imports none of the service):

1. `dealsignal synthetic deals` fills an embedded store (chDB in a temp data dir) with N
   opportunities of one tenant, their CRM history, documents, recipient links and readers
   (people and ~bots; about 1.8M events for 10 000 opportunities), from a fixed seed.
2. (a) `dealsignal scoring engagement`: time to score every opportunity — one round of
   ClickHouse aggregations over the whole tenant, then the bulk-sync path (batches of 1 000).
   (a2) `dealsignal scoring details`: uncached engagement details of `--details` opportunities,
   each computed from the raw events (today's reference path) and from the engagement rollup
   (migration 0040) in the same process: p50/p99 per detail, rows the engine read, and how
   many details' JSON differ between the two (must be 0).
   (a3) `dealsignal scoring assess` of every opportunity, engagement from the raw events and
   from the rollup: seconds, engine query seconds and rows read.
3. (b) `dealsignal serve` on that data dir (embedded mode, its private Redis) and measure
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
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from service import Service, cli, cli_json


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
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=10, help="each wrk run")
    parser.add_argument("--details", type=int, default=200, help="uncached details, (a2)")
    parser.add_argument("--skip-http", action="store_true", help="only (a), (a2) and (a3)")
    parser.add_argument(
        "--api-only",
        action="store_true",
        help="serve without the in-process writer/scheduler loops (the server-mode API shape)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk not found (the cached-pull load tool): apt-get install -y wrk")
    data = Path(tempfile.mkdtemp(prefix="ds-bench-scores-"))
    ids_file = data / "opportunity_ids.txt"
    loaded = cli_json(data, "synthetic", "deals", "--opportunities", str(args.opportunities),
                      "--seed", str(args.seed), "--ids-out", str(ids_file))  # fmt: skip
    tenant = loaded["tenants"][0]["name"]
    print(f"store: {loaded['rows']['opportunities']} opportunities, "
          f"{loaded['rows']['events']:,} events (generated + inserted in "
          f"{loaded['seconds']:.1f} s)")  # fmt: skip
    ids = ids_file.read_text().split()
    key = cli(data, "keys", "create", "--tenant", tenant, "--scope", "crm").split()[-1]
    print("(a) scoring all opportunities (dealsignal scoring engagement), raw events vs rollup")
    when = loaded["window_end"]
    lines: list[str] = []
    for source in ("raw", "rollup"):
        args_ = ["scoring", "engagement", "--tenant", tenant, "--as-of", when, "--source", source]
        lines += cli(data, *args_).splitlines()
    for line in lines:
        report = json.loads(line)
        engine = report["engine"]
        print(f"  {report['pass']:38} {report['source']:<7} {report['opportunities']} scored in "
              f"{report['seconds']:.2f} s ({engine['rows_read']:,} rows read)"
              + (f"; bands {report['bands']}" if "bands" in report else ""))  # fmt: skip

    print(f"(a2) uncached engagement details, raw events vs rollup ({args.details} opportunities)")
    details = {}
    for line in cli(data, "scoring", "details", "--tenant", tenant, "--sample",
                    str(args.details), "--as-of", when).splitlines():  # fmt: skip
        report = json.loads(line)
        details[report["source"]] = report
        engine = report["engine"]
        print(f"  {report['source']:<7} n={report['details']}  p50={report['p50_ms']:8.1f} ms  "
              f"p99={report['p99_ms']:8.1f} ms  {engine['select_queries']} queries, "
              f"{engine['rows_read'] // report['details']:,} rows read per detail; "
              f"details differing from raw: {report['differing_from_raw']}")  # fmt: skip
    print(f"  rollup / raw p50: {details['rollup']['p50_ms'] / details['raw']['p50_ms']:.3f}")
    print("(a3) health assessment of every opportunity (dealsignal scoring assess)")
    assessed = {}
    for source in ("raw", "rollup"):
        report = cli_json(data, "scoring", "assess", "--tenant", tenant, "--as-of", when,
                          "--source", source)  # fmt: skip
        assessed[source] = report
        engine = report["engine"]
        print(f"  engagement from {source:<7} {report['opportunities']} assessed in "
              f"{report['seconds']:.2f} s (engine query time {engine['query_seconds']:.2f} s, "
              f"{engine['rows_read']:,} rows read); bands {report['bands']}")  # fmt: skip
    print(f"  rollup / raw: {assessed['rollup']['seconds'] / assessed['raw']['seconds']:.3f}")
    if args.skip_http:
        shutil.rmtree(data, ignore_errors=True)
        return

    extra = {"background": "false"} if args.api_only else {}
    service = Service(data, **extra)
    base = service.base
    try:
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
        service.close()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
