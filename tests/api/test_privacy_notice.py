"""The tenant's privacy notice on the buyer's side, with real requests on the real stores:
the admin setting and its validation, the notice on the viewer and the email gate (escaped),
consent-required mode recording the open only until the buyer agrees — enforced by the
beacon, not just the page's script — a refusal remembered across reloads, and GPC / DNT
honoured when the tenant opts in (downloads still served, not recorded)."""

from __future__ import annotations

import re
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis
from fastapi.testclient import TestClient

from api.app import create_app
from ingest import Writer
from tests.api.conftest import bearer, make_key
from tests.ingest.support import drain
from tests.pdfs import proposal
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope

NOTICE = {
    "mode": "consent",
    "text_en": "Acme records <b>reading time</b> & opens.",
    "text_zh": "本公司会记录您的阅读时长。",
    "policy_url": "https://acme.example/privacy?x=1&y=2",
    "honour_gpc": True,
}


@pytest.fixture
def fast(settings: Settings) -> Settings:
    settings.ingest.batch_seconds = 0.05
    return settings


@pytest.fixture
def app_client(fast: Settings, clickhouse: ClickHouse) -> Any:
    with TestClient(create_app(fast, run_background=False)) as test_client:
        yield test_client


def _setup(
    client: TestClient, ch: ClickHouse, notice: dict[str, Any], **link: Any
) -> tuple[str, dict[str, str], str]:
    _, admin = make_key(ch, "隐私通知", Scope.ADMIN)
    auth = bearer(admin)
    assert client.put("/api/v1/settings/privacy", json=notice, headers=auth).status_code == 200
    doc = client.post(
        "/api/v1/documents", headers=auth, data={"title": "报价单"},
        files={"file": ("p.pdf", proposal(2), "application/pdf")},
    ).json()  # fmt: skip
    made = client.post(
        "/api/v1/links", headers=auth,
        json={"document_id": doc["document_id"], "download_allowed": True,
              "recipients": [{"email": "wang@buyer.example", "name": "王总"}], **link},
    ).json()["links"][0]  # fmt: skip
    return doc["document_id"], auth, made["viewer_url"].removeprefix("http://testserver")


def _session(html: str) -> tuple[str, str]:
    found = re.search(r'data-session="([^"]+)" data-tracking="([a-z_]+)"', html)
    assert found, html
    return found.group(1), found.group(2)


def _beacon(client: TestClient, session: str, *types: str) -> tuple[int, str | None]:
    events = [
        {"id": f"{kind}-{n}-{session[-8:]}".replace(".", "_")[:60], "t": kind, "p": 1,
         **({"d": 4000} if kind == "page_dwell" else {})}
        for n, kind in enumerate(types)
    ]  # fmt: skip
    reply = client.post("/e", content=orjson.dumps({"s": session, "events": events}))
    code = reply.json()["error"]["code"] if reply.status_code >= 400 else None
    return reply.status_code, code


def _landed(client: TestClient, settings: Settings, ch: ClickHouse) -> list[str]:
    async def run() -> None:
        redis = aioredis.Redis.from_url(settings.redis_url)
        await drain(Writer(settings, redis, ch, consumer="privacy", max_backoff=0.05))
        await redis.aclose()

    assert client.portal is not None
    client.portal.call(run)
    rows = ch.query(f"SELECT event_type FROM {ch.database}.events ORDER BY event_type")
    return [str(r["event_type"]) for r in rows]


def test_the_setting_is_validated_and_the_notice_escaped(
    app_client: TestClient, clickhouse: ClickHouse
) -> None:
    document, auth, viewer = _setup(app_client, clickhouse, {**NOTICE, "mode": "notice"})
    assert app_client.get("/api/v1/settings/privacy", headers=auth).json() == {
        **NOTICE, "mode": "notice"
    }  # fmt: skip
    bad = [
        {"policy_url": "http://acme.example/privacy"},
        {"policy_url": "javascript:alert(1)"},
        {"policy_url": "https://acme.example/a b"},
        {"policy_url": "https://" + "a" * 500 + ".example"},
        {"text_en": "x" * 601},
        {"text_zh": "通知\u202e反转"},
        {"mode": "sometimes"},
        {"unknown": 1},
    ]
    for body in bad:
        reply = app_client.put("/api/v1/settings/privacy", json=body, headers=auth)
        assert reply.status_code == 422, body
        assert reply.json()["error"]["code"] == "validation_error"
    html = app_client.get(viewer, headers={"accept-language": "en"}).text
    assert "Acme records &lt;b&gt;reading time&lt;/b&gt; &amp; opens." in html
    assert 'href="https://acme.example/privacy?x=1&amp;y=2"' in html
    assert "data-consent-url" not in html  # notice only: nothing to answer
    assert _session(html)[1] == "all"
    chinese = app_client.get(viewer, headers={"accept-language": "zh-CN"}).text
    assert "本公司会记录您的阅读时长。" in chinese and "隐私政策" in chinese
    gated = app_client.post(
        "/api/v1/links", headers=auth,
        json={"document_id": document, "email_gate": True,
              "recipients": [{"email": "li@buyer.example"}]},
    ).json()["links"][0]["viewer_url"].removeprefix("http://testserver")  # fmt: skip
    gate = app_client.get(gated, headers={"accept-language": "zh-CN"}).text
    assert 'name="email"' in gate and "本公司会记录您的阅读时长。" in gate
    no_key = app_client.put("/api/v1/settings/privacy", json=NOTICE)
    assert no_key.status_code == 401


def test_consent_mode_records_the_open_only_until_the_buyer_agrees(
    app_client: TestClient, clickhouse: ClickHouse, fast: Settings
) -> None:
    _, _, viewer = _setup(app_client, clickhouse, NOTICE)
    page = app_client.get(viewer, headers={"accept-language": "en"})
    session, tracking = _session(page.text)
    assert tracking == "consent_pending"
    assert "May the sender see how long you read each page?" not in page.text  # tenant's text
    assert 'data-consent-url="/s/' in page.text
    # the page's script would not send dwell; a hand-made client is refused by the beacon
    assert _beacon(app_client, session, "page_dwell") == (403, "consent_required")
    assert _beacon(app_client, session, "visit_end") == (403, "consent_required")
    assert _beacon(app_client, session, "view_start", "page_dwell") == (204, None)
    download = app_client.get(viewer + "/download")
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert _landed(app_client, fast, clickhouse) == ["view_start"]

    # the buyer declines: remembered across a reload, reading still works, nothing recorded
    bad = app_client.post(f"/s/{session}/consent", data={"answer": "maybe"})
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "bad_consent_answer")
    forged = app_client.post("/s/forged/consent", data={"answer": "granted"})
    assert forged.status_code == 404
    declined = app_client.post(f"/s/{session}/consent", data={"answer": "declined"})
    assert declined.json()["tracking"] == "declined"
    assert _beacon(app_client, declined.json()["session"], "page_dwell") == (
        403, "tracking_declined"
    )  # fmt: skip
    again = app_client.get(viewer, headers={"accept-language": "en"})
    session, tracking = _session(again.text)
    assert tracking == "declined" and "data-consent-url" not in again.text
    assert "You declined" in again.text
    assert app_client.get(f"/s/{session}/page/1.png?w=400").status_code == 200
    app_client.cookies.delete(next(n for n in app_client.cookies if n.startswith("ds_privacy_")))
    session, tracking = _session(app_client.get(viewer).text)  # Redis alone still knows
    assert tracking == "declined"
    assert _beacon(app_client, session, "page_dwell") == (403, "tracking_declined")

    # another browser agrees: reading time is recorded from then on
    with TestClient(app_client.app) as other:
        session, _ = _session(other.get(viewer).text)
        granted = other.post(f"/s/{session}/consent", data={"answer": "granted"}).json()
        assert granted["tracking"] == "all"
        assert _beacon(other, granted["session"], "page_dwell", "visit_end") == (204, None)
        assert _session(other.get(viewer).text)[1] == "all"  # and after a reload
        other.get(viewer + "/download")
    assert _landed(app_client, fast, clickhouse) == [
        "download", "page_dwell", "view_start", "visit_end"
    ]  # fmt: skip


@pytest.mark.parametrize("header", [("sec-gpc", "1"), ("dnt", "1")])
def test_gpc_and_dnt_record_opens_only_when_the_tenant_honours_them(
    app_client: TestClient, clickhouse: ClickHouse, fast: Settings, header: tuple[str, str]
) -> None:
    _, auth, viewer = _setup(app_client, clickhouse, {**NOTICE, "mode": "off"})
    signal = dict([header])
    page = app_client.get(viewer, headers=signal)
    session, tracking = _session(page.text)
    assert tracking == "opted_out" and "Your browser asks not to be tracked" in page.text
    assert "how long you read" not in page.text  # mode off: no notice, only what is left
    assert _beacon(app_client, session, "page_dwell") == (403, "tracking_opted_out")
    assert _beacon(app_client, session, "view_start") == (204, None)
    assert app_client.get(viewer + "/download", headers=signal).status_code == 200
    assert _landed(app_client, fast, clickhouse) == ["view_start"]

    # a tenant that does not honour them records everything, and without the signal too
    off = {**NOTICE, "mode": "off", "honour_gpc": False}
    assert app_client.put("/api/v1/settings/privacy", json=off, headers=auth).is_success
    session, tracking = _session(app_client.get(viewer, headers=signal).text)
    assert tracking == "all"
    assert _beacon(app_client, session, "page_dwell") == (204, None)
