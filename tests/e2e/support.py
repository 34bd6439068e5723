"""Helpers for the end-to-end tests: the real app served by uvicorn on 127.0.0.1, documents
and links created over its REST API, and waiting for the writer to drain the stream."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis
import uvicorn
from playwright.sync_api import Browser, Playwright
from starlette.types import ASGIApp

from tests.pdfs import proposal
from tracker.stores.clickhouse import ClickHouse

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Screenshots a person looks at (issue 15): the rep's app and the buyer's viewer.
SCREENS = Path(__file__).resolve().parent / "screens"
CHROMIUM = Path("/usr/bin/chromium")
# An ordinary desktop Chrome, as a recipient's browser announces itself.
CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-default-browser-check",
]


def person_browser(pw: Playwright, chromium: str) -> Browser:
    """Chromium as a reader's browser: headless, without the automation flag a page can see."""
    return pw.chromium.launch(
        executable_path=chromium,
        args=[*CHROMIUM_ARGS, "--disable-blink-features=AutomationControlled"],
    )


class ThreadedServer:
    """uvicorn serving `app` on 127.0.0.1:<free port> from a thread with its own event loop
    (chDB allows one engine per process, so the app must live in the test process)."""

    def __init__(self, app: ASGIApp) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.port: int = self._sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="uvicorn", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._sock]))

    def start(self, timeout: float = 30.0) -> ThreadedServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start (see the log above)")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._sock.close()


@dataclass
class LiveApp:
    """The running app, a reps key of one tenant and the stores behind it."""

    url: str
    key: str
    clickhouse: ClickHouse
    redis_url: str
    stream: str
    http: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.http = httpx.Client(
            base_url=self.url, headers={"Authorization": f"Bearer {self.key}"}, timeout=30
        )

    def upload(self, pages: int = 4, title: str = "Q4 proposal") -> str:
        files = {"file": ("proposal.pdf", proposal(pages), "application/pdf")}
        response = self.http.post("/api/v1/documents", files=files, data={"title": title})
        assert response.status_code == 201, response.text
        return str(response.json()["document_id"])

    def link(self, document_id: str, name: str = "Dana Buyer") -> dict[str, Any]:
        recipient = {"email": "dana@example.com", "name": name, "role": "CTO"}
        response = self.http.post(
            "/api/v1/links", json={"document_id": document_id, "recipients": [recipient]}
        )
        assert response.status_code == 201, response.text
        (link,) = response.json()["links"]
        return dict(link)

    def analytics(self, document_id: str, link_id: str | None = None) -> dict[str, Any]:
        params = {"link_id": link_id} if link_id else {}
        response = self.http.get(f"/api/v1/documents/{document_id}/analytics", params=params)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def events(self, link_id: str) -> list[dict[str, Any]]:
        return self.clickhouse.query(
            "SELECT event_id, event_type, page, dwell_ms, viewer_id, visit_id, forwarded, "
            "is_bot, bot_reason, toUnixTimestamp64Milli(client_ts) AS client_ms "
            f"FROM {self.clickhouse.database}.events WHERE link_id = {{link:String}} "
            "ORDER BY client_ts, seq",
            {"link": link_id},
        )

    def wait_drained(self, timeout: float = 20.0) -> None:
        """Until the writer has moved every accepted entry into ClickHouse (it deletes
        entries from the stream when their batch is final)."""
        client = redis.Redis.from_url(self.redis_url)
        try:
            deadline = time.monotonic() + timeout
            while client.xlen(self.stream) > 0:
                assert time.monotonic() < deadline, "the writer did not drain the stream"
                time.sleep(0.1)
        finally:
            client.close()
