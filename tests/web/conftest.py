"""Web-app fixtures: the real app (chDB + Redis), people created through tracker.users,
and helpers that sign in and submit forms the way a browser does (CSRF included)."""

from __future__ import annotations

import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis.asyncio as aioredis
import uvicorn
from fastapi.testclient import TestClient

from api.app import create_app
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse
from tracker.tenants import create_tenant
from tracker.users import Role, create_user

PASSWORD = "correct horse battery"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
NOT_AUTOMATED = "Object.defineProperty(Navigator.prototype, 'webdriver', {get: () => false});"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_SESSION = re.compile(r'data-session="([^"]+)"')


@dataclass(frozen=True)
class People:
    tenant_id: str
    other_tenant_id: str
    admin: str = "admin@acme.test"
    manager: str = "manager@acme.test"
    rep_a: str = "alice@acme.test"
    rep_b: str = "bob@acme.test"
    outsider: str = "eve@other.test"


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    """A writer that flushes quickly and a 1 s viewer heartbeat."""
    ingest = settings.ingest.model_copy(update={"batch_seconds": 0.1, "heartbeat_seconds": 1})
    return settings.model_copy(update={"ingest": ingest})


@pytest.fixture
def people(clickhouse: ClickHouse) -> People:
    tenant = create_tenant(clickhouse, "Acme")
    other = create_tenant(clickhouse, "Other")
    found = People(tenant.tenant_id, other.tenant_id)
    create_user(clickhouse, tenant.tenant_id, found.admin, "Ada Admin", Role.ADMIN, PASSWORD)
    create_user(clickhouse, tenant.tenant_id, found.manager, "Max Manager", Role.MANAGER, PASSWORD)
    create_user(
        clickhouse, tenant.tenant_id, found.rep_a, "Alice", Role.REP, PASSWORD, found.manager
    )
    create_user(clickhouse, tenant.tenant_id, found.rep_b, "Bob", Role.REP, PASSWORD)
    create_user(clickhouse, other.tenant_id, found.outsider, "Eve", Role.ADMIN, PASSWORD)
    return found


@pytest.fixture
def app_client(
    fast_settings: Settings, clickhouse: ClickHouse, redis_client: aioredis.Redis
) -> Iterator[TestClient]:
    """The real app with its writer running, so beacons land in ClickHouse (Redis is
    flushed per test by `redis_client`: sessions and rate limits start empty)."""
    with TestClient(create_app(fast_settings, run_background=True)) as client:
        yield client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def live_server(fast_settings: Settings, people: People) -> Iterator[str]:
    """The app on uvicorn (127.0.0.1, a free port) for a real browser, writer running."""
    del people
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(
        fast_settings.model_copy(update={"public_base_url": base}), run_background=True
    )
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield base
    server.should_exit = True
    thread.join(timeout=15)


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> object:
    client.cookies.clear()
    form = client.get("/app/login")
    token = _CSRF.search(form.text)
    assert token is not None
    return client.post(
        "/app/login",
        data={"email": email, "password": password, "csrf": token.group(1), "next": ""},
        follow_redirects=False,
    )


def csrf_of(client: TestClient, path: str = "/app/documents") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = _CSRF.search(page.text)
    assert found is not None
    return found.group(1)


def upload(client: TestClient, title: str, pdf: bytes, opportunity_id: str = "") -> str:
    response = client.post(
        "/app/documents",
        data={"title": title, "opportunity_id": opportunity_id, "csrf": csrf_of(client)},
        files={"file": ("proposal.pdf", pdf, "application/pdf")},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 201, response.text
    location = str(response.json()["location"])
    return location.rsplit("/", 1)[1]


def create_links(client: TestClient, document_id: str, lines: str) -> str:
    page = f"/app/documents/{document_id}"
    response = client.post(
        f"{page}/links",
        data={"recipients": lines, "csrf": csrf_of(client, page), "download_allowed": "1"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return str(client.get(page).text)


def read_as_recipient(client: TestClient, link_url: str, pages: dict[int, int]) -> None:
    """Open the viewer like a browser and post the beacons its JS would (dwell per page)."""
    viewer = client.get(link_url.replace("http://testserver", ""))
    assert viewer.status_code == 200, viewer.text
    found = _SESSION.search(viewer.text)
    assert found is not None
    events: list[dict[str, object]] = [
        {
            "id": uuid.uuid4().hex,
            "t": "view_start",
            "p": 1,
            "q": 0,
            "sig": {"wd": False, "sw": 1280, "sh": 800, "pl": 3},
        }
    ]
    for seq, (page, ms) in enumerate(pages.items(), 1):
        events.append({"id": uuid.uuid4().hex, "t": "page_dwell", "p": page, "d": ms, "q": seq})
    response = client.post(
        "/e",
        json={"s": found.group(1), "events": events},
        headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0 Safari/537.36"},
    )
    assert response.status_code in (200, 202, 204), response.text


def wait_for(predicate: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")
