"""The admin's privacy & retention page and the audit trail page (issue 18), through the web
app on the real stores (chDB, Redis): what an admin saves there is what the REST API then
reads; managers and reps are refused; values the API models refuse are refused here too,
shown by the field, with nothing saved; the tenant's CJK notice text comes back as typed
and escaped; an export and an erasure done over the API are listed, filtered and paged."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient

from api.web.routes_audit import PAGE_SIZE
from tests.web.conftest import People, csrf_of, sign_in
from tracker.api_keys import create_api_key
from tracker.privacy import AuditAction, record_audit
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope

PAGE = "/app/settings/privacy"
NOTICE_ZH = '我们记录您的阅读情况，用于跟进报价。<script>alert("x")</script>\n详见隐私政策。'
NOTICE_EN = "We record how you read this proposal — 王总 & team."
EMAIL = "wang@buyer.example"


def _admin_key(clickhouse: ClickHouse, people: People) -> dict[str, str]:
    _, key = create_api_key(clickhouse, people.tenant_id, Scope.ADMIN)
    return {"Authorization": f"Bearer {key}"}


def _save_notice(client: TestClient, **fields: str) -> httpx.Response:
    data = {"csrf": csrf_of(client, PAGE), "mode": "off", **fields}
    return client.post(PAGE, data=data, follow_redirects=False)


def _save_retention(client: TestClient, **fields: str) -> httpx.Response:
    data = {"csrf": csrf_of(client, PAGE), "events_days": "730", "audit_days": "730"}
    data |= {"copies_days": "730", **fields}
    return client.post(f"{PAGE}/retention", data=data, follow_redirects=False)


def test_an_admin_saves_both_settings_and_the_api_reads_them(
    app_client: TestClient, people: People, clickhouse: ClickHouse
) -> None:
    auth = _admin_key(clickhouse, people)
    sign_in(app_client, people.admin)
    empty = app_client.get(PAGE)
    assert empty.status_code == 200 and 'href="/app/settings/privacy"' in empty.text
    assert 'href="/app/audit"' in empty.text and 'value="off" checked' in empty.text

    saved = _save_notice(
        app_client,
        mode="consent",
        text_zh=NOTICE_ZH,
        text_en=NOTICE_EN,
        policy_url="https://acme.example/隐私?lang=zh",
        honour_gpc="1",
    )
    assert saved.status_code == 303 and saved.headers["location"] == f"{PAGE}?saved=notice"
    notice = app_client.get("/api/v1/settings/privacy", headers=auth).json()
    assert notice == {
        "mode": "consent",
        "text_en": NOTICE_EN,
        "text_zh": NOTICE_ZH,
        "policy_url": "https://acme.example/隐私?lang=zh",
        "honour_gpc": True,
    }

    shown = app_client.get(f"{PAGE}?saved=notice").text
    assert "Settings saved." in shown and 'value="consent" checked' in shown
    assert '<script>alert("x")</script>' not in shown  # the tenant's text is escaped…
    textarea = shown.split('name="text_zh"')[1].split("</textarea>")[0]
    assert textarea.split(">", 1)[1] == (  # …and comes back exactly as typed
        "我们记录您的阅读情况，用于跟进报价。&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;\n"
        "详见隐私政策。"
    )
    assert "王总 &amp; team" in shown and 'name="honour_gpc" value="1" checked' in shown

    answer = _save_retention(app_client, events_days="90", audit_days="400", copies_days="30")
    assert answer.status_code == 303 and answer.headers["location"] == f"{PAGE}?saved=retention"
    retention = app_client.get("/api/v1/settings/retention", headers=auth).json()
    assert retention == {"events_days": 90, "audit_days": 400, "copies_days": 30}
    page = app_client.get(PAGE).text
    assert 'id="events_days" name="events_days" inputmode="numeric" value="90"' in page

    # the same page in Chinese, and saving one form keeps the other's values
    zh = app_client.get(PAGE, headers={"Accept-Language": "zh-CN"}).text
    assert "隐私与保留期限" in zh and "面向买方的隐私声明" in zh and "30 至 3650 天" in zh
    assert _save_notice(app_client, mode="notice", text_zh="仅通知").status_code == 303
    assert app_client.get("/api/v1/settings/retention", headers=auth).json() == retention
    assert app_client.get("/api/v1/settings/privacy", headers=auth).json()["honour_gpc"] is False
    changes = app_client.get(
        "/api/v1/audit", params={"action": "settings.changed"}, headers=auth
    ).json()["items"]
    # newest first: notice, retention, notice — each by the signed-in admin
    assert [(e["subject"], e["actor"]) for e in changes] == [
        ("privacy", f"user:{people.admin}"), ("retention", f"user:{people.admin}"),
        ("privacy", f"user:{people.admin}"),
    ]  # fmt: skip


def test_managers_and_reps_are_refused(
    app_client: TestClient, people: People, clickhouse: ClickHouse
) -> None:
    sign_in(app_client, people.admin)
    forged = app_client.post(PAGE, data={"csrf": "forged", "mode": "consent"})
    assert forged.status_code == 403 and 'data-code="csrf_failed"' in forged.text
    for person in (people.manager, people.rep_a):
        sign_in(app_client, person)
        documents = app_client.get("/app/documents").text
        assert "/app/settings/privacy" not in documents and "/app/audit" not in documents
        csrf = csrf_of(app_client)
        for answer in (
            app_client.get(PAGE),
            app_client.get("/app/audit"),
            app_client.post(PAGE, data={"csrf": csrf, "mode": "consent"}),
            app_client.post(f"{PAGE}/retention", data={"csrf": csrf, "events_days": "1"}),
        ):
            assert answer.status_code == 403, person
            assert 'data-code="not_an_admin"' in answer.text
    auth = _admin_key(clickhouse, people)
    assert app_client.get("/api/v1/settings/privacy", headers=auth).json()["mode"] == "off"
    assert app_client.get("/api/v1/settings/retention", headers=auth).json()["events_days"] == 730


def test_values_the_api_refuses_are_shown_by_the_field_and_nothing_changes(
    app_client: TestClient, people: People, clickhouse: ClickHouse
) -> None:
    auth = _admin_key(clickhouse, people)
    sign_in(app_client, people.admin)
    assert _save_notice(app_client, mode="notice", policy_url="https://acme.example/p").is_redirect
    before = app_client.get("/api/v1/settings/privacy", headers=auth).json()
    for url in ("http://acme.example/p", 'javascript:alert("x")', "https://u:p@acme.example/"):
        answer = _save_notice(app_client, mode="consent", text_zh="新的声明", policy_url=url)
        assert answer.status_code == 400, url
        html = answer.text
        assert 'data-code="invalid_privacy_notice"' in html
        assert '<p class="error" id="policy_url-error">' in html
        assert "The policy link must be an https:// address, or empty." in html
        assert 'alert("x")' not in html  # what was typed is echoed, escaped
        assert "新的声明" in html  # the other fields keep what was typed
        assert app_client.get("/api/v1/settings/privacy", headers=auth).json() == before
        # the REST API refuses the same value
        put = app_client.put("/api/v1/settings/privacy", headers=auth, json={"policy_url": url})
        assert put.status_code == 422
    long_text = _save_notice(app_client, text_en="x" * 601, text_zh="行\u202e尾")
    assert long_text.status_code == 400
    assert "At most 600 characters." in long_text.text
    assert "Printable text and line breaks only." in long_text.text

    retention = app_client.get("/api/v1/settings/retention", headers=auth).json()
    for fields, message in (
        ({"audit_days": "5"}, "At least 30."),
        ({"copies_days": "9999"}, "At most 3650."),
        ({"events_days": "三十"}, "Enter a whole number."),
        ({"events_days": "731"}, "At most 730: this deployment keeps events no longer."),
    ):
        answer = _save_retention(app_client, **fields)
        assert answer.status_code == 400, fields
        field = next(iter(fields))
        assert f'<p class="error" id="{field}-error">{message}</p>' in answer.text
    assert app_client.get("/api/v1/settings/retention", headers=auth).json() == retention
    # the deployment ceiling is one rule for both paths, with the same code
    put = app_client.put("/api/v1/settings/retention", headers=auth, json={"events_days": 731})
    assert (
        put.status_code == 400 and put.json()["error"]["code"] == "retention_over_deployment_limit"
    )
    zh = app_client.post(
        f"{PAGE}/retention",
        data={"csrf": csrf_of(app_client, PAGE), "events_days": "731", "audit_days": "30"}
        | {"copies_days": "30"},
        headers={"Accept-Language": "zh-CN"},
    )
    assert zh.status_code == 400 and "不能大于 730：本部署保留事件的时间不会更长。" in zh.text
    assert 'data-code="retention_over_deployment_limit"' in zh.text


def test_the_audit_page_lists_an_export_and_an_erasure_done_over_the_api(
    app_client: TestClient, people: People, clickhouse: ClickHouse
) -> None:
    auth = _admin_key(clickhouse, people)
    opportunity = {
        "account": "华为技术有限公司", "amount": "100000", "currency": "CNY",
        "stage": "proposal", "owner": people.rep_a, "probability": 40,
        "forecast_category": "pipeline", "expected_close_date": "2026-12-31",
        "updated_at": "2026-11-01T00:00:00Z",
        "contacts": [{"id": "c-wang", "name": "王总", "email": EMAIL, "role": "CTO"}],
    }  # fmt: skip
    put = app_client.put("/api/v1/opportunities/opp-1", json=opportunity, headers=auth)
    assert put.is_success, put.text
    assert app_client.get(f"/api/v1/people/{EMAIL}/export", headers=auth).status_code == 200
    assert app_client.delete(f"/api/v1/people/{EMAIL}", headers=auth).status_code == 200

    sign_in(app_client, people.admin)
    listing = app_client.get("/app/audit").text
    actions = re.findall(r'<tr data-action="([^"]+)">', listing)
    assert actions == ["person.erased", "person.exported"]  # newest first
    assert "Person erased" in listing and "Person&#39;s data exported" in listing
    assert EMAIL not in listing.replace('placeholder="name@example.com"', "")

    erased = app_client.get("/app/audit?action=person.erased").text
    assert re.findall(r'<tr data-action="([^"]+)">', erased) == ["person.erased"]
    theirs = app_client.get("/app/audit", params={"person": EMAIL.upper()}).text
    assert len(re.findall(r"<tr data-action=", theirs)) == 2
    nobody = app_client.get("/app/audit", params={"person": "li@buyer.example"}).text
    assert "No audit entries match." in nobody
    zh = app_client.get("/app/audit", headers={"Accept-Language": "zh-CN"}).text
    assert "审计记录" in zh and "删除个人数据" in zh
    bad = app_client.get("/app/audit?action=drop.table")
    assert bad.status_code == 400 and 'data-code="invalid_audit_action"' in bad.text
    assert app_client.get("/app/audit?cursor=nonsense").status_code == 400

    # paged: 60 more entries, 50 a page, every entry once
    for n in range(60):
        record_audit(clickhouse, people.tenant_id, "user:admin@acme.test",
                     AuditAction.ANALYTICS_READ, f"doc_{n:02d}", f"第 {n} 次")  # fmt: skip
    first = app_client.get("/app/audit").text
    assert len(re.findall(r"<tr data-action=", first)) == PAGE_SIZE
    older = re.search(r'rel="next" href="([^"]+)"', first)
    assert older is not None
    second = app_client.get(older.group(1).replace("&amp;", "&")).text
    assert 'rel="next"' not in second and "Newest entries" in second
    subjects = re.findall(r"<td><code>(doc_\d+)</code></td>", first + second)
    assert sorted(subjects) == [f"doc_{n:02d}" for n in range(60)]
    assert re.findall(r'<tr data-action="(person\.[a-z]+)">', second) == [
        "person.erased",
        "person.exported",
    ]
    # done in the web app by the admin: found by the admin's email
    mine = app_client.get("/app/audit", params={"person": people.admin}).text
    assert len(re.findall(r"<tr data-action=", mine)) == PAGE_SIZE
