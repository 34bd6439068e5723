"""Passcode tries are limited per link and per client address — a rotated `ds_vid` cookie
(which the client chooses) no longer buys fresh tries, and neither does a rotated
X-Forwarded-For unless the peer is a configured proxy."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import bearer, make_key
from tests.pdfs import proposal
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope

PASSCODE = "4321"


def _passcode_link(client: TestClient, ch: ClickHouse) -> str:
    _, key = make_key(ch, "acme", Scope.REPS)
    files = {"file": ("q.pdf", proposal(2), "application/pdf")}
    doc = client.post("/api/v1/documents", headers=bearer(key), files=files, data={"title": "Q"})
    assert doc.status_code == 201, doc.text
    links = client.post(
        "/api/v1/links",
        headers=bearer(key),
        json={
            "document_id": doc.json()["document_id"],
            "recipients": [{"email": "wang@example.cn", "name": "王总"}],
            "passcode": PASSCODE,
        },
    )
    assert links.status_code == 201, links.text
    return str(links.json()["links"][0]["viewer_url"])


def _try(client: TestClient, url: str, passcode: str, n: int) -> int:
    client.cookies.set("ds_vid", f"rotated-{n}")
    return client.post(url, data={"passcode": passcode}, follow_redirects=False).status_code


def _auth(client: TestClient) -> object:
    return client.app.state.services.settings.auth  # type: ignore[attr-defined]


def test_rotating_the_viewer_cookie_buys_no_tries(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    url = _passcode_link(client, clickhouse)
    per_ip = _auth(client).passcode_tries_per_ip  # type: ignore[attr-defined]
    statuses = [_try(client, url, f"{n:04d}", n) for n in range(per_ip)]
    assert statuses == [403] * per_ip
    assert _try(client, url, PASSCODE, per_ip) == 429  # right, but the budget is spent
    client.headers["X-Forwarded-For"] = "198.51.100.77"  # not believed: no proxy configured
    assert _try(client, url, PASSCODE, per_ip + 1) == 429


@pytest.fixture
def proxied(settings: Settings, clickhouse: ClickHouse) -> Iterator[TestClient]:
    """The app behind a trusted reverse proxy: the test client's peer is that proxy."""
    behind = settings.model_copy(update={"trusted_proxies": ["testclient"]})
    with TestClient(create_app(behind, run_background=False)) as test_client:
        yield test_client


def test_the_link_has_a_budget_whatever_the_address(
    proxied: TestClient, clickhouse: ClickHouse
) -> None:
    """Each try from a fresh address (as the proxy reports it): the address budgets never
    run out, the link's own budget ends the run."""
    url = _passcode_link(proxied, clickhouse)
    per_link = _auth(proxied).passcode_tries_per_link  # type: ignore[attr-defined]
    for n in range(per_link):
        proxied.headers["X-Forwarded-For"] = f"198.51.100.{n + 1}"
        assert _try(proxied, url, f"{n:04d}", n) == 403
    proxied.headers["X-Forwarded-For"] = "203.0.113.250"
    assert _try(proxied, url, PASSCODE, per_link) == 429


def test_the_gate_cookie_is_per_viewer_and_expires(
    client: TestClient, clickhouse: ClickHouse, settings: Settings
) -> None:
    import time

    from itsdangerous import TimestampSigner, URLSafeTimedSerializer

    from api.recipient.gates import GATE_SECONDS

    url = _passcode_link(client, clickhouse)
    client.cookies.set("ds_vid", "vwr_01ARZ3NDEKTSV4RRFFQ69G5FAV")
    passed = client.post(url, data={"passcode": PASSCODE}, follow_redirects=False)
    assert passed.status_code == 303
    (name,) = [n for n in client.cookies if n.startswith("ds_gate_")]
    gate = client.cookies[name]

    def visit(viewer: str, gate_cookie: str) -> str:
        client.cookies.clear()
        client.cookies.set("ds_vid", viewer)
        client.cookies.set(name, gate_cookie)
        return client.get(url).text

    assert 'data-page="1"' in visit("vwr_01ARZ3NDEKTSV4RRFFQ69G5FAV", gate)  # through
    # The same cookie in another browser (another viewer id) asks again.
    assert 'name="passcode"' in visit("vwr_01ARZ3NDEKTSV4RRFFQ69G5FAW", gate)

    # An old gate cookie for the right viewer asks again too.
    class Aged(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - GATE_SECONDS - 60

    payload = URLSafeTimedSerializer(settings.secret_keys, salt="gate").loads(gate)
    old = URLSafeTimedSerializer(settings.secret_keys, salt="gate", signer=Aged).dumps(payload)
    assert 'name="passcode"' in visit("vwr_01ARZ3NDEKTSV4RRFFQ69G5FAV", old)
