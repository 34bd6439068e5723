"""A page image a link's reader was served is served again from its by-link pointer, without
the link and version reads (issue 17: the buyer's first page at static-file speed) — and the
shortcut never outlives what the full path would refuse: a revoked link answers 410, the
pointer dies with the link's expiry, and a person's erasure deletes it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

import api.recipient.routes as recipient_routes
from tests.api.conftest import bearer, make_key
from tests.pdfs import proposal
from tracker import redis_keys
from tracker.clock import utcnow
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope

EMAIL = "王经理@buyer.example"


def _served(
    client: TestClient, ch: ClickHouse, **options: Any
) -> tuple[str, dict[str, str], dict[str, Any], str]:
    tenant, admin = make_key(ch, "页面", Scope.ADMIN)
    auth = bearer(admin)
    doc = client.post(
        "/api/v1/documents", headers=auth, data={"title": "报价单"},
        files={"file": ("p.pdf", proposal(2), "application/pdf")},
    ).json()  # fmt: skip
    link = client.post(
        "/api/v1/links", headers=auth,
        json={"document_id": doc["document_id"], "recipients": [{"email": EMAIL, "name": "王经理"}],
              **options},
    ).json()["links"][0]  # fmt: skip
    viewer = client.get(link["viewer_url"].removeprefix("http://testserver")).text
    session = re.search(r'data-session="([^"]+)"', viewer).group(1)  # type: ignore[union-attr]
    return tenant, auth, link, session


def _pointers(redis_url: str, tenant: str, link_id: str) -> list[bytes]:
    pattern = redis_keys.link_page_images(tenant, link_id)
    return list(redis.Redis.from_url(redis_url).scan_iter(match=pattern))


def test_a_served_page_comes_back_without_reading_the_link(
    client: TestClient, clickhouse: ClickHouse, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant, _auth, link, session = _served(client, clickhouse)
    first = client.get(f"/s/{session}/page/1.png?w=700")
    assert first.status_code == 200 and first.content.startswith(b"\x89PNG")
    assert any(p.endswith(b":1:800") for p in _pointers(redis_url, tenant, link["id"]))

    def no_reads(*_args: object) -> None:
        raise AssertionError("the link was read")

    monkeypatch.setattr(recipient_routes, "_link_for_session", no_reads)
    again = client.get(f"/s/{session}/page/1.png?w=800")  # the same snapped width
    assert again.status_code == 200 and again.content == first.content
    (pointer,) = [p for p in _pointers(redis_url, tenant, link["id"]) if p.endswith(b":1:800")]
    redis.Redis.from_url(redis_url).delete(pointer)
    with pytest.raises(AssertionError):  # without the pointer: the full path
        client.get(f"/s/{session}/page/1.png?w=800")


def test_a_page_served_again_is_read_from_memory_until_erasure_drops_it(
    client: TestClient, clickhouse: ClickHouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tenant, auth, _link, session = _served(client, clickhouse)
    services = client.app.state.services  # type: ignore[attr-defined]
    first = client.get(f"/s/{session}/page/1.png")  # the full path
    second = client.get(f"/s/{session}/page/1.png")  # the pointer, the blob store read
    assert len(services.served_images) == 1

    def no_reads(*_args: object) -> None:
        raise AssertionError("the blob store was read")

    monkeypatch.setattr(services.blobs, "get", no_reads)
    third = client.get(f"/s/{session}/page/1.png")
    assert third.status_code == 200 and third.content == second.content == first.content
    monkeypatch.undo()
    assert client.delete(f"/api/v1/people/{EMAIL}", headers=auth).status_code == 200
    assert len(services.served_images) == 0


def test_a_revoked_link_answers_410_though_its_page_was_served(
    client: TestClient, clickhouse: ClickHouse, redis_url: str
) -> None:
    tenant, auth, link, session = _served(client, clickhouse)
    assert client.get(f"/s/{session}/page/1.png").status_code == 200
    assert _pointers(redis_url, tenant, link["id"])
    assert client.post(f"/api/v1/links/{link['id']}/revoke", headers=auth).status_code == 200
    gone = client.get(f"/s/{session}/page/1.png")
    assert gone.status_code == 410 and gone.headers["cache-control"] == "no-store"


def test_the_pointer_dies_with_the_links_expiry(
    client: TestClient, clickhouse: ClickHouse, redis_url: str
) -> None:
    expires = utcnow() + timedelta(hours=2)
    tenant, _auth, link, session = _served(client, clickhouse, expires_at=expires.isoformat())
    assert client.get(f"/s/{session}/page/1.png").status_code == 200
    pointers = _pointers(redis_url, tenant, link["id"])
    ttls = [redis.Redis.from_url(redis_url).ttl(p) for p in pointers]
    assert pointers and all(0 < ttl <= 2 * 3600 for ttl in ttls)


def test_erasing_the_reader_deletes_the_pointers(
    client: TestClient, clickhouse: ClickHouse, redis_url: str
) -> None:
    tenant, auth, link, session = _served(client, clickhouse)
    for page in (1, 2):
        assert client.get(f"/s/{session}/page/{page}.png").status_code == 200
    assert {p.rsplit(b":", 2)[1] for p in _pointers(redis_url, tenant, link["id"])} == {b"1", b"2"}
    assert client.delete(f"/api/v1/people/{EMAIL}", headers=auth).status_code == 200
    assert _pointers(redis_url, tenant, link["id"]) == []


def test_what_the_page_route_refuses_is_still_refused(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    _tenant, _auth, _link, session = _served(client, clickhouse)
    served = client.get(f"/s/{session}/page/1.png")
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert client.get(f"/s/{session}/page/1.png?w=wide").status_code == 422
    assert client.get(f"/s/{session}/page/3.png").status_code == 404  # a 2-page proposal
    tampered = session[:-2] + ("AA" if not session.endswith("AA") else "BB")
    refused = client.get(f"/s/{tampered}/page/1.png")
    assert refused.status_code == 404 and refused.headers["cache-control"] == "no-store"
