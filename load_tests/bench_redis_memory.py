"""Redis memory per key family, per million accepted events, measured in one run.

    python load_tests/bench_redis_memory.py [--links 40] [--viewers 5] [--beacons 50] [--events 10]

`dealsignal serve` (embedded: its private Redis, the writer in-process) on a temporary data
dir; `--links` links, each opened by `--viewers` viewers (a viewer page load each: one viewer
session), each viewer sending `--beacons` beacons of `--events` page_dwell events. Once the
writer has drained the stream, every key of the private Redis is sized with MEMORY USAGE and
grouped by family (the key's first two `:` segments; see tracker/redis_keys.py). Families
that grow with events (event-id claims, manifests, the stream until trimmed) are scaled to
one million events; those that grow with viewers or links are reported per viewer / link.
Nothing is asserted; figures go to README (server mode).
"""

from __future__ import annotations

import argparse
import re
import time
import uuid
from collections import defaultdict

import httpx
import orjson
import redis
from reportlab.pdfgen.canvas import Canvas
from service import Service

CHROME_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)


def _pdf() -> bytes:
    import io

    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    for number in range(1, 5):
        canvas.drawString(72, 720, f"page {number}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _family(key: bytes) -> str:
    text = key.decode(errors="replace")
    if text.startswith("{"):
        return text.split("}", 1)[0] + "}" + (":" + text.split(":")[-1] if ":" in text else "")
    return ":".join(text.split(":")[:2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=40)
    parser.add_argument("--viewers", type=int, default=5)
    parser.add_argument("--beacons", type=int, default=50)
    parser.add_argument("--events", type=int, default=10)
    args = parser.parse_args()
    service = Service()
    try:
        with service.client() as client:
            doc = client.post(
                "/api/v1/documents",
                data={"title": "bench"},
                files={"file": ("b.pdf", _pdf(), "application/pdf")},
            ).json()
            people = [{"email": f"r{i}@buyer.example"} for i in range(args.links)]
            links = client.post(
                "/api/v1/links", json={"document_id": doc["document_id"], "recipients": people}
            ).json()["links"]
        sessions = []
        with httpx.Client(base_url=service.base, timeout=60) as anonymous:
            for link in links:
                token = link["viewer_url"].rsplit("/", 1)[1]
                for _ in range(args.viewers):
                    anonymous.cookies.clear()
                    page = anonymous.get(f"/v/{token}", headers={"User-Agent": CHROME_UA})
                    found = re.search(r'data-session="([^"]+)"', page.text)
                    assert found, "no viewer session on the viewer page"
                    sessions.append(found.group(1))
            sent = 0
            for index in range(args.beacons):
                for session in sessions:
                    events = [
                        {
                            "id": uuid.uuid4().hex,
                            "t": "page_dwell",
                            "p": 1 + i % 4,
                            "d": 1000,
                            "q": index * 100 + i,
                        }
                        for i in range(args.events)
                    ]
                    answer = anonymous.post(
                        "/e",
                        content=orjson.dumps({"s": session, "events": events}),
                        headers={"Content-Type": "text/plain", "User-Agent": CHROME_UA},
                    )
                    answer.raise_for_status()
                    sent += args.events
        store = redis.Redis(unix_socket_path=str(service.data / "redis" / "redis.sock"))
        for _ in range(600):
            if store.xlen("ds:events") == 0 or store.xinfo_groups("ds:events")[0]["lag"] == 0:
                break
            time.sleep(0.2)
        time.sleep(1)
        sizes: dict[str, list[int]] = defaultdict(list)
        for key in store.scan_iter(count=1000):
            sizes[_family(key)].append(int(store.memory_usage(key, samples=0) or 0))
        used = store.info("memory")["used_memory"]
        store.close()
    finally:
        service.close()
    viewers = len(sessions)
    print(
        f"{sent:,} events accepted from {viewers} viewers of {len(links)} links; "
        f"used_memory {used / 1e6:.1f} MB"
    )
    print(
        f"{'family':34} {'keys':>8} {'bytes':>12} {'per 1M events':>14} "
        f"{'per viewer':>11} {'per link':>9}"
    )
    for family, values in sorted(sizes.items(), key=lambda kv: -sum(kv[1])):
        total = sum(values)
        print(
            f"{family:34} {len(values):8} {total:12,} {total / sent * 1e6 / 1e6:11.1f} MB "
            f"{total / viewers:11,.0f} {total / len(links):9,.0f}"
        )


if __name__ == "__main__":
    main()
