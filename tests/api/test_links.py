from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime, timedelta

import pytest
import redis.asyncio as aioredis
from fastapi.testclient import TestClient

from api.recipient.pages import VIEWER_COOKIE
from ingest import Event, StreamBuffer
from ingest.entry import Entry
from ingest.model import ROW
from ingest.visits import decode_touched, visit_touch
from tests.api.conftest import bearer, make_key
from tests.pdfs import proposal
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope

RECIPIENTS = [
    {"email": "wang@example.cn", "name": "王总", "role": "CTO", "contact_id": "c-1"},
    {"email": "kim@example.kr", "name": "김민준", "role": "CFO"},
    {"email": "yamada@example.jp", "name": "山田太郎"},
]


@pytest.fixture
def rep(client: TestClient, clickhouse: ClickHouse) -> tuple[str, str]:
    _, key = make_key(clickhouse, "acme", Scope.REPS)
    files = {"file": ("proposal.pdf", proposal(3), "application/pdf")}
    doc = client.post(
        "/api/v1/documents",
        headers=bearer(key),
        files=files,
        data={"title": "<b>Q4</b> 方案", "opportunity_id": "opp-7"},
    )
    assert doc.status_code == 201
    return key, doc.json()["document_id"]


def _links(client: TestClient, key: str, document_id: str, **options: object) -> list[dict]:
    response = client.post(
        "/api/v1/links",
        headers=bearer(key),
        json={"document_id": document_id, "recipients": RECIPIENTS, **options},
    )
    assert response.status_code == 201, response.text
    return list(response.json()["links"])


def test_one_link_per_recipient_with_urls(client: TestClient, rep: tuple[str, str]) -> None:
    key, document_id = rep
    links = _links(client, key, document_id)
    assert [link["recipient"]["name"] for link in links] == ["王总", "김민준", "山田太郎"]
    assert len({link["id"] for link in links}) == 3
    for link in links:
        assert link["url"].startswith("http://testserver/l/")
        assert link["pixel_url"].endswith(".gif") and "/o/" in link["pixel_url"]
        assert link["viewer_url"].startswith("http://testserver/v/")
        assert link["opportunity_id"] == "opp-7"


def test_viewer_renders_escaped_title_and_sets_viewer_cookie(
    client: TestClient, rep: tuple[str, str]
) -> None:
    key, document_id = rep
    link = _links(client, key, document_id)[0]
    page = client.get(link["viewer_url"])
    assert page.status_code == 200
    assert "&lt;b&gt;Q4&lt;/b&gt; 方案" in page.text and "<b>Q4</b>" not in page.text
    assert page.text.count('data-page="') == 3
    assert "ds_vid" in page.cookies
    assert "Download PDF" in page.text
    image = page.text.split('src="')[1].split('"')[0]
    png = client.get(image)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")


def test_page_image_widths_snap_to_a_few_sizes(client: TestClient, rep: tuple[str, str]) -> None:
    from PIL import Image

    key, document_id = rep
    page = client.get(_links(client, key, document_id)[0]["viewer_url"])
    image = page.text.split('src="')[1].split('"')[0].split("?")[0]
    for asked, served in ((1201, 1600), (1, 480), (99_999, 2400), (1200, 1200)):
        png = client.get(f"{image}?w={asked}")
        assert png.status_code == 200
        assert Image.open(io.BytesIO(png.content)).width == served


def test_tampered_and_foreign_tokens_are_404(
    client: TestClient, rep: tuple[str, str], clickhouse: ClickHouse
) -> None:
    key, document_id = rep
    link = _links(client, key, document_id)[0]
    token = link["url"].rsplit("/", 1)[1]
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    for url in (f"/l/{tampered}", f"/v/{tampered}", f"/v/{tampered}/download"):
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 404, url
        assert "Link not found" in response.text
    # A pixel token is not a link token (one salt per purpose).
    pixel_token = link["pixel_url"].rsplit("/", 1)[1].removesuffix(".gif")
    assert client.get(f"/v/{pixel_token}").status_code == 404
    # Another tenant's key cannot read, revoke or download this link.
    _, other = make_key(clickhouse, "other", Scope.REPS)
    for method, path in (
        ("GET", f"/api/v1/links/{link['id']}"),
        ("POST", f"/api/v1/links/{link['id']}/revoke"),
        ("GET", f"/api/v1/links/{link['id']}/pdf"),
    ):
        response = client.request(method, path, headers=bearer(other))
        assert response.status_code == 404 and response.json()["error"]["code"] == "link_not_found"


def test_revoked_and_expired_links_answer_410_pages(
    client: TestClient, rep: tuple[str, str]
) -> None:
    key, document_id = rep
    link = _links(client, key, document_id)[0]
    assert client.post(f"/api/v1/links/{link['id']}/revoke", headers=bearer(key)).status_code == 200
    revoked = client.get(link["viewer_url"])
    assert revoked.status_code == 410 and "no longer active" in revoked.text
    assert client.get(link["viewer_url"] + "/download").status_code == 410

    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    expired = _links(client, key, document_id, expires_at=past)[0]
    page = client.get(expired["viewer_url"])
    assert page.status_code == 410 and "expired" in page.text


def test_passcode_gate(client: TestClient, rep: tuple[str, str]) -> None:
    key, document_id = rep
    link = _links(client, key, document_id, passcode="奥运2028")[0]
    gate = client.get(link["viewer_url"])
    assert gate.status_code == 200 and 'name="passcode"' in gate.text
    assert 'data-page="' not in gate.text
    wrong = client.post(link["viewer_url"], data={"passcode": "nope"})
    assert wrong.status_code == 403 and "not right" in wrong.text
    assert client.get(link["viewer_url"] + "/download", follow_redirects=False).status_code == 303
    right = client.post(link["viewer_url"], data={"passcode": "奥运2028"}, follow_redirects=False)
    assert right.status_code == 303
    assert 'data-page="1"' in client.get(link["viewer_url"]).text


def test_email_gate(client: TestClient, rep: tuple[str, str]) -> None:
    key, document_id = rep
    link = _links(client, key, document_id, email_gate=True)[0]
    assert 'name="email"' in client.get(link["viewer_url"]).text
    bad = client.post(link["viewer_url"], data={"email": "not-an-email"})
    assert bad.status_code == 400
    ok = client.post(
        link["viewer_url"], data={"email": "li.lei@example.cn"}, follow_redirects=False
    )
    assert ok.status_code == 303
    assert 'data-page="1"' in client.get(link["viewer_url"]).text


def test_a_second_browser_of_the_recipient_is_not_a_forward(
    client: TestClient, rep: tuple[str, str], settings: Settings, clickhouse: ClickHouse
) -> None:
    """Three browsers pass the email gate of 王总's link: 王总 on the laptop, 王总 again on
    the phone (same email, re-verified), and a colleague 王总 forwarded it to. Their first
    beacons then go through the real visit script: only the colleague is a forward."""
    key, document_id = rep
    link = _links(client, key, document_id, email_gate=True)[0]
    tenant = clickhouse.query(
        f"SELECT tenant_id FROM {clickhouse.database}.links WHERE link_id = {{l:String}}",
        {"l": link["id"]},
    )[0]["tenant_id"]
    viewers = []
    for email in ("wang@example.cn", "Wang@Example.cn", "zhou@example.cn"):
        client.cookies.clear()  # a new browser: no viewer cookie yet
        passed = client.post(link["viewer_url"], data={"email": email}, follow_redirects=False)
        assert passed.status_code == 303
        viewers.append(passed.cookies[VIEWER_COOKIE])
    assert len(set(viewers)) == 3

    async def first_beacons() -> list[int]:
        redis = aioredis.Redis.from_url(settings.redis_url)
        buffer = StreamBuffer(redis, settings.ingest.stream)
        flags = []
        for n, viewer in enumerate(viewers):
            made = Event("evt_x", tenant, "page_dwell", document_id, "", link["id"], "", "",
                         viewer, page=1)  # fmt: skip
            entry = Entry.of([made])
            at = int(datetime.now(UTC).timestamp() * 1000) + n
            entry_id = await buffer.add(
                entry, visit_touch(entry, at, settings.ingest.visit_gap_seconds)
            )
            ((_, fields),) = await redis.xrange(settings.ingest.stream, entry_id, entry_id)
            (row,) = decode_touched(fields)
            flags.append(row[ROW.forwarded])
        await redis.aclose()
        return flags

    assert asyncio.run(first_beacons()) == [0, 0, 1]


def test_download_not_allowed(client: TestClient, rep: tuple[str, str]) -> None:
    key, document_id = rep
    link = _links(client, key, document_id, download_allowed=False)[0]
    page = client.get(link["viewer_url"])
    assert "Download PDF" not in page.text
    assert client.get(link["viewer_url"] + "/download").status_code == 403


@pytest.mark.parametrize(
    "body",
    [
        {"recipients": RECIPIENTS},
        {"document_id": "doc_x", "recipients": []},
        {"document_id": "doc_x", "recipients": [{"email": "not-an-email"}]},
        {"document_id": "doc_x", "recipients": RECIPIENTS, "surprise": 1},
        {"document_id": "doc_x", "recipients": RECIPIENTS, "passcode": "1"},
        {"document_id": "doc_x", "recipients": RECIPIENTS, "expires_at": "2030-01-01T00:00:00"},
    ],
)
def test_bad_link_requests_are_422(
    client: TestClient, rep: tuple[str, str], body: dict[str, object]
) -> None:
    key, _ = rep
    response = client.post("/api/v1/links", headers=bearer(key), json=body)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"


def test_unknown_document_is_404(client: TestClient, rep: tuple[str, str]) -> None:
    key, _ = rep
    response = client.post(
        "/api/v1/links",
        headers=bearer(key),
        json={"document_id": "doc_missing", "recipients": RECIPIENTS},
    )
    assert response.status_code == 404


def test_pixel_is_a_43_byte_gif_even_for_forged_tokens(
    client: TestClient, rep: tuple[str, str]
) -> None:
    key, document_id = rep
    link = _links(client, key, document_id)[0]
    for url in (link["pixel_url"], "/o/forged.gif"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/gif"
        assert len(response.content) == 43
        assert "no-store" in response.headers["cache-control"]
