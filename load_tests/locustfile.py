"""Pixel, click and beacon traffic against a running dealsignal, then an exact count check.

    locust -f load_tests/locustfile.py --headless --stop-timeout 10 -u 20 -r 20 -t 60s \
        --host http://127.0.0.1:8000 --csv load_tests/results/run --exit-code-on-error 1

Setup (test_start, over the REST API only): a key from DEALSIGNAL_API_KEY, or the embedded
bootstrap key in $DEALSIGNAL_DATA_DIR/admin_key; a fresh document (a small generated PDF)
and LOCUST_LINKS tracked links; each link's viewer page is fetched once for its
viewer-session token (the credential a viewer's beacons carry).

Traffic (a desktop Chrome user agent, so unfurler rules do not flag it wholesale):
    GET  /o/{token}.gif   → 200, one pixel_open
    GET  /l/{token}       → 302, one link_click
    POST /e               → 204, LOCUST_EVENTS_PER_BEACON page_dwell events of DWELL_MS each

Check (quitting): every request must have succeeded, and after the writer drains, the
document's analytics must account for exactly the events of the 2xx/3xx answers:
    clicks + pixel_opens + bot_events + dwell_ms / DWELL_MS  ==  accepted events
(link clicks and pixel opens within seconds of the link's creation are flagged as scanner
timing — they land as bot_events — and beacon events each carry DWELL_MS of dwell).
Any failure or mismatch sets the exit code to 1.
"""

from __future__ import annotations

import io
import logging
import os
import random
import re
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

import gevent.event
import orjson
import requests
from locust import FastHttpUser, constant, events, task
from locust.env import Environment
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

log = logging.getLogger("dealsignal.locust")

LINKS = int(os.environ.get("LOCUST_LINKS", "20"))
EVENTS_PER_BEACON = int(os.environ.get("LOCUST_EVENTS_PER_BEACON", "10"))
PAGES = 4
DWELL_MS = 1000
DRAIN_TIMEOUT = float(os.environ.get("LOCUST_DRAIN_TIMEOUT", "120"))
CHROME_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
_SESSION = re.compile(r'data-session="([^"]+)"')


class Run:
    """What test_start set up and what the users got accepted."""

    api: ClassVar[requests.Session | None] = None
    host: ClassVar[str] = ""
    document_id: ClassVar[str] = ""
    links: ClassVar[list[dict[str, str]]] = []
    accepted: ClassVar[Counter[str]] = Counter()
    ready: ClassVar[gevent.event.Event] = gevent.event.Event()  # users wait for the setup


def _api_key() -> str:
    key = os.environ.get("DEALSIGNAL_API_KEY", "").strip()
    if key:
        return key
    path = Path(os.environ.get("DEALSIGNAL_DATA_DIR", "./data")) / "admin_key"
    if not path.is_file():
        raise SystemExit(f"set DEALSIGNAL_API_KEY or DEALSIGNAL_DATA_DIR ({path} not found)")
    return path.read_text().strip()


def _pdf() -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    for number in range(1, PAGES + 1):
        canvas.drawString(72, 770, f"Load test proposal, page {number}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _token(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


@events.test_start.add_listener
def _setup(environment: Environment, **_: Any) -> None:
    host = (environment.host or "").rstrip("/")
    if not host:
        raise SystemExit("pass --host (e.g. http://127.0.0.1:8000)")
    api = requests.Session()
    api.headers.update({"Authorization": f"Bearer {_api_key()}", "User-Agent": CHROME_UA})
    doc = api.post(
        f"{host}/api/v1/documents",
        files={"file": ("load-test.pdf", _pdf(), "application/pdf")},
        data={"title": f"Load test {time.strftime('%Y-%m-%d %H:%M:%S')}"},
        timeout=60,
    )
    doc.raise_for_status()
    recipients = [{"email": f"buyer{i}@example.com", "name": f"Buyer {i}"} for i in range(LINKS)]
    made = api.post(
        f"{host}/api/v1/links",
        json={"document_id": doc.json()["document_id"], "recipients": recipients},
        timeout=60,
    )
    made.raise_for_status()
    links = []
    for link in made.json()["links"]:
        # The links carry the server's public base URL; load goes to --host.
        viewer = api.get(f"{host}/v/{_token(link['viewer_url'])}", timeout=60)
        viewer.raise_for_status()
        match = _SESSION.search(viewer.text)
        if not match:
            raise SystemExit(f"no viewer session on the viewer page of {link['id']}")
        links.append(
            {
                "link": _token(link["url"]),
                "pixel": _token(link["pixel_url"]).removesuffix(".gif"),
                "session": match.group(1),
            }
        )
    Run.api, Run.host, Run.document_id, Run.links = api, host, doc.json()["document_id"], links
    Run.accepted.clear()
    Run.ready.set()
    log.info("document %s with %d links ready", Run.document_id, len(links))


class Recipient(FastHttpUser):
    """A recipient's mail client and browser: opens, clicks, reads."""

    wait_time = constant(float(os.environ.get("LOCUST_WAIT_SECONDS", "0")))
    default_headers = {"User-Agent": CHROME_UA}  # noqa: RUF012 (locust's own attribute)

    def on_start(self) -> None:
        if not Run.ready.wait(timeout=300):
            raise RuntimeError("test_start setup did not finish")
        self.link = random.choice(Run.links)
        self.seq = 0

    @task(2)
    def pixel(self) -> None:
        with self.client.get(
            f"/o/{self.link['pixel']}.gif", name="/o/[token].gif", catch_response=True
        ) as response:
            if response.status_code == 200:
                Run.accepted["pixel_open"] += 1
            else:
                response.failure(f"pixel answered {response.status_code}")

    @task(2)
    def click(self) -> None:
        with self.client.get(
            f"/l/{self.link['link']}",
            name="/l/[token]",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302:
                Run.accepted["link_click"] += 1
                response.success()
            else:
                response.failure(f"click answered {response.status_code}")

    @task(5)
    def beacon(self) -> None:
        batch = []
        for _ in range(EVENTS_PER_BEACON):
            self.seq += 1
            batch.append(
                {
                    "id": uuid.uuid4().hex,
                    "t": "page_dwell",
                    "p": 1 + self.seq % PAGES,
                    "d": DWELL_MS,
                    "q": self.seq,
                }
            )
        body = orjson.dumps({"s": self.link["session"], "events": batch}).decode()
        with self.client.post(
            "/e",
            data=body,
            headers={"Content-Type": "application/json"},
            name="/e",
            catch_response=True,
        ) as response:
            if response.status_code == 204:
                Run.accepted["page_dwell"] += EVENTS_PER_BEACON
            else:
                response.failure(f"beacon answered {response.status_code}: {response.text}")


def _landed(analytics: dict[str, Any]) -> int:
    dwell = int(analytics["dwell_ms"])
    if dwell % DWELL_MS:
        raise AssertionError(f"dwell {dwell} ms is not a multiple of {DWELL_MS} ms")
    return (
        int(analytics["clicks"])
        + int(analytics["pixel_opens"])
        + int(analytics["bot_events"])
        + dwell // DWELL_MS
    )


def count_check() -> tuple[bool, str]:
    """Poll the analytics until they account for every accepted event (or time runs out)."""
    assert Run.api is not None
    expected = sum(Run.accepted.values())
    url = f"{Run.host}/api/v1/documents/{Run.document_id}/analytics"
    deadline = time.monotonic() + DRAIN_TIMEOUT
    landed = -1
    while time.monotonic() < deadline:
        response = Run.api.get(url, timeout=60)
        response.raise_for_status()
        landed = _landed(response.json())
        if landed >= expected:
            break
        time.sleep(0.5)
    detail = f"accepted {expected} events ({dict(Run.accepted)}), ClickHouse has {landed}"
    return landed == expected, detail


@events.quitting.add_listener
def _check(environment: Environment, **_: Any) -> None:
    failures = environment.stats.total.num_failures
    if failures:
        log.error("%d requests failed", failures)
        environment.process_exit_code = 1
    if Run.api is None:
        environment.process_exit_code = 1
        return
    ok, detail = count_check()
    print(f"count check: {'OK' if ok else 'MISMATCH'} — {detail}", flush=True)
    if not ok:
        environment.process_exit_code = 1
