"""`dealsignal bench beacon`: the API's own work per beacon, in this process.

The benchmarks in load_tests/ may reach the service only over HTTP and this command line
(tests/test_layering.py), so the in-process figure comes from here: `Ingestor.accept_beacon`
— body decode and validation, the signed viewer session, enrichment, the visit-script
arguments and the encoded stream entry — called `--n` times on beacons of `--events`
page_dwell events spread over `--sessions` viewer sessions (a real viewer sends ~60 beacons
in a ten-minute read, so most beacons meet a session the process has seen). The entries go
to a stream that only counts them: Redis round trips are the HTTP benchmark's business, and
this figure is what the process spends before it hands the entry over.

Prints one JSON object; the best of `--rounds` rounds is the least disturbed by other load on
the machine, CPU time (`process_time`) is what this process itself spent.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from typing import TYPE_CHECKING

import orjson
import typer

from tracker.config import Settings
from tracker.tokens import TokenSigner, ViewerSessionClaims

if TYPE_CHECKING:
    from ingest import Entry

__all__ = ["bench_app"]

bench_app = typer.Typer(help="Measure the service's hot paths in-process.", no_args_is_help=True)

CHROME_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
_PAGES = 4
# tenant, then document, version, opportunity, contact (link and viewer vary per session)
_IDS = ("ten_bench", "doc_bench", "ver_bench", "opp_bench", "con_bench")


class CountingStream:
    """An `ingest.EventStream` that keeps only the count and size of what it is given."""

    def __init__(self) -> None:
        self.entries = 0
        self.bytes = 0

    async def add(self, entry: Entry, touch: object = None) -> str:
        # Encoded as the Redis stream's buffer encodes it: that work is the API's too.
        fields = entry.text_fields()
        self.entries += 1
        self.bytes += sum(map(len, fields[1::2]))  # characters: all ASCII here, so bytes
        return f"0-{self.entries}"


def _bodies(signer: TokenSigner, n: int, events: int, sessions: int) -> list[bytes]:
    tokens = [
        signer.viewer_session_token(
            ViewerSessionClaims(*_IDS[:1], f"lnk_{s:05d}", *_IDS[1:], f"vwr_{s:05d}", _PAGES)
        )
        for s in range(sessions)
    ]
    now = time.time_ns() // 1_000_000
    bodies = []
    for i in range(n):
        items = [
            {"id": f"b{i:09d}-{j:02d}", "t": "page_dwell", "p": 1 + (i + j) % _PAGES}
            | {"d": 1000, "q": i * events + j, "ts": now}
            for j in range(events)
        ]
        bodies.append(orjson.dumps({"s": tokens[i % sessions], "events": items}))
    return bodies


async def _rounds(
    signer: TokenSigner, bodies: list[bytes], rounds: int
) -> tuple[list[float], list[float], CountingStream]:
    import redis.asyncio as aioredis

    from ingest import Ingestor, RequestMeta

    settings = Settings()
    stream = CountingStream()
    # The client never connects: a beacon's enrichment does not talk to Redis (only link
    # clicks' scanner timing does), and the entries go to the counting stream.
    ingestor = Ingestor(settings, aioredis.Redis(), signer, stream, ip_key=b"bench")
    request = RequestMeta.from_headers(
        "POST", {"user-agent": CHROME_UA, "content-type": "application/json"}, "203.0.113.7"
    )
    walls, cpus = [], []
    for _ in range(rounds):
        started, cpu = time.perf_counter(), time.process_time()
        for body in bodies:
            await ingestor.accept_beacon(body, content_type="application/json", request=request)
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - started)
    return walls, cpus, stream


@bench_app.command("beacon")
def beacon(
    n: int = typer.Option(20_000, min=1, help="beacons per round"),
    events: int = typer.Option(5, min=1, max=100, help="page_dwell events per beacon"),
    sessions: int = typer.Option(400, min=1, help="viewer sessions the beacons are spread over"),
    rounds: int = typer.Option(5, min=1, max=50, help="rounds (the first also warms caches)"),
) -> None:
    """µs of the API's own work per accepted beacon (`Ingestor.accept_beacon`, no Redis)."""
    # Signs and verifies in this process only: any secret will do.
    signer = TokenSigner(["dealsignal-bench"])
    # Different bodies each round would only cost memory: event ids repeat harmlessly (the
    # writer's dedupe is not on this path) and every round meets the same sessions.
    bodies = _bodies(signer, n, events, min(sessions, n))
    walls, cpus, stream = asyncio.run(_rounds(signer, bodies, rounds))
    if stream.entries != n * rounds:
        raise typer.Exit(code=1)
    per = 1e6 / n
    typer.echo(
        json.dumps(
            {
                "beacons": n,
                "events_per_beacon": events,
                "sessions": min(sessions, n),
                "rounds": rounds,
                "us_per_beacon_best": round(min(walls) * per, 2),
                "us_per_beacon_median": round(statistics.median(walls) * per, 2),
                "cpu_us_per_beacon_best": round(min(cpus) * per, 2),
                "us_per_event_best": round(min(walls) * per / events, 2),
                "entry_bytes_per_beacon": round(stream.bytes / stream.entries, 1),
            }
        )
    )
