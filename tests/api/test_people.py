"""A person's export and erasure, on the real stores (chDB, Redis, blobs on disk): after the
erasure nothing in any ClickHouse table, Redis key or blob names them; other people's data
and the forwardee's reading on their link stay; a leaked copy now names the erased recipient;
the audit trail records who did what."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import redis
from fastapi.testclient import TestClient

from tests.api.conftest import bearer, make_key
from tests.pdfs import proposal
from tests.person_records import insert_reading, table_mentions
from tracker import redis_keys
from tracker.config import Settings
from tracker.privacy import ERASED_NAME
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope

EMAIL, NAME = "wang@buyer.example", "王总"
OTHER_EMAIL, OTHER_NAME = "li@buyer.example", "李工"
OPPORTUNITY = {
    "account": "华为技术有限公司", "amount": "100000", "currency": "CNY", "stage": "proposal",
    "owner": "rep@seller.example", "probability": 40, "forecast_category": "pipeline",
    "expected_close_date": "2026-12-31", "updated_at": "2026-11-01T00:00:00Z",
    "contacts": [
        {"id": "c-wang", "name": NAME, "email": EMAIL.upper(), "role": "CTO",
         "is_decision_maker": True},
        {"id": "c-li", "name": OTHER_NAME, "email": OTHER_EMAIL, "role": "架构师"},
    ],
}  # fmt: skip


def _events(ch: ClickHouse, tenant: str, doc: dict[str, Any], link: str, n: int,
            forwarded: int, age_days: int = 0) -> None:  # fmt: skip
    insert_reading(
        ch, tenant, document_id=doc["document_id"], version_id=doc["current_version_id"],
        link_id=link, opportunity_id="opp-1", n=n, forwarded=forwarded, age_days=age_days,
    )  # fmt: skip


def _redis_mentions(url: str, needle: str) -> list[str]:
    client = redis.Redis.from_url(url)
    found = []
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        values: list[bytes] = [key]
        if kind == b"string":
            values.append(client.get(key) or b"")
        elif kind == b"hash":
            values += [v for pair in client.hgetall(key).items() for v in pair]
        if any(needle.encode() in value for value in values):
            found.append(key.decode())
    client.close()
    return found


def test_export_then_erase_leaves_nothing_that_names_the_person(
    client: TestClient, clickhouse: ClickHouse, settings: Settings, redis_url: str
) -> None:
    tenant, admin = make_key(clickhouse, "隐私", Scope.ADMIN)
    auth = bearer(admin)
    assert client.put("/api/v1/opportunities/opp-1", json=OPPORTUNITY, headers=auth).is_success
    doc = client.post(
        "/api/v1/documents", headers=auth, data={"title": "报价单", "opportunity_id": "opp-1"},
        files={"file": ("p.pdf", proposal(2), "application/pdf")},
    ).json()  # fmt: skip
    people = [{"email": EMAIL, "name": NAME}, {"email": OTHER_EMAIL, "name": OTHER_NAME}]
    links = client.post(
        "/api/v1/links", headers=auth,
        json={"document_id": doc["document_id"], "recipients": people},
    ).json()["links"]  # fmt: skip
    mine, theirs = links[0]["id"], links[1]["id"]
    leaked = client.get(f"/api/v1/links/{mine}/pdf", headers=auth).content
    client.get(f"/api/v1/links/{theirs}/pdf", headers=auth)
    _events(clickhouse, tenant, doc, mine, 5, forwarded=0)  # the person's own reading
    _events(clickhouse, tenant, doc, mine, 3, forwarded=1)  # a forwardee's, on their link
    _events(clickhouse, tenant, doc, theirs, 4, forwarded=0)  # someone else's
    sync = redis.Redis.from_url(redis_url)
    sync.hset(redis_keys.gate_email(tenant, mine), "vwr_0", EMAIL)
    sync.hset(redis_keys.viewer_state(tenant, mine, "vwr_0"), "v", "vis_0")
    sync.hset(redis_keys.viewer_consent(tenant, mine), "vwr_0", "declined 1764720000000")

    exported = client.get(f"/api/v1/people/{EMAIL}/export", headers=auth)
    assert exported.status_code == 200, exported.text
    bundle = exported.json()
    assert [link["link_id"] for link in bundle["links"]] == [mine]
    assert [c["contact_id"] for c in bundle["contacts"]] == ["c-wang"]
    assert len(bundle["events"]) == 5 and bundle["gate_emails"] == {mine: {"vwr_0": EMAIL}}
    assert bundle["privacy_answers"] == {mine: {"vwr_0": "declined 1764720000000"}}
    csv_text = client.get(f"/api/v1/people/{EMAIL}/export?format=csv", headers=auth).text
    assert csv_text.splitlines()[0].startswith("event_id,") and len(csv_text.splitlines()) == 6

    assert table_mentions(clickhouse, EMAIL) and table_mentions(
        clickhouse, NAME
    )  # the scan can see
    erased = client.delete(f"/api/v1/people/{EMAIL}", headers=auth)
    assert erased.status_code == 200, erased.text
    receipt = erased.json()
    assert receipt["events_deleted"] == 5 and receipt["links_pseudonymised"] == 1
    assert receipt["contacts_pseudonymised"] == 1 and receipt["blobs_deleted"] >= 1
    assert EMAIL not in erased.text

    assert not sync.exists(redis_keys.viewer_consent(tenant, mine))  # their notice answers
    sync.close()
    for needle in (EMAIL, NAME):
        assert table_mentions(clickhouse, needle) == [], needle
        assert _redis_mentions(redis_url, needle) == [], needle
    for blob in (settings.data_dir / "blobs").rglob("*"):
        assert not blob.is_file() or EMAIL.encode() not in blob.read_bytes()
    kept = clickhouse.query(
        f"SELECT link_id, forwarded, count() AS n FROM {clickhouse.database}.events "
        "GROUP BY link_id, forwarded ORDER BY link_id, forwarded"
    )
    assert {(r["link_id"], r["forwarded"], r["n"]) for r in kept} == {(mine, 1, 3), (theirs, 0, 4)}
    rollup = clickhouse.query(
        f"SELECT link_id, sum(dwell_ms) AS dwell FROM {clickhouse.database}.page_dwell_daily "
        "GROUP BY link_id ORDER BY link_id"
    )
    assert {(r["link_id"], r["dwell"]) for r in rollup} == {(mine, 3000), (theirs, 4000)}
    scores_rollup = clickhouse.query(
        f"SELECT link_id, sum(read_ms) AS dwell FROM {clickhouse.database}.engagement_visit_pages "
        "GROUP BY link_id ORDER BY link_id"
    )
    assert {(r["link_id"], r["dwell"]) for r in scores_rollup} == {(mine, 3000), (theirs, 4000)}
    other = client.get(f"/api/v1/people/{OTHER_EMAIL}/export", headers=auth).json()
    assert len(other["events"]) == 4 and other["person"]["names"] == [OTHER_NAME]

    identified = client.post(
        "/api/v1/identify", headers=auth, files={"file": ("leak.pdf", leaked, "application/pdf")}
    ).json()
    assert identified["links"][0]["link_id"] == mine
    assert identified["links"][0]["recipient_name"] == ERASED_NAME
    again = client.delete(f"/api/v1/people/{EMAIL}", headers=auth)
    assert again.status_code == 404 and again.json()["error"]["code"] == "person_not_found"

    actions = [e["action"] for e in client.get("/api/v1/audit", headers=auth).json()["items"]]
    assert {"copy.downloaded", "person.exported", "person.erased", "identify"} <= set(actions)
    about = client.get("/api/v1/audit", params={"person": EMAIL}, headers=auth).json()
    assert {e["action"] for e in about["items"]} == {"person.exported", "person.erased"}
    paged, cursor = [], None
    while True:  # one entry a page, following the cursor to the end
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/audit", params=params, headers=auth).json()
        paged += [e["action"] for e in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert paged == actions
    unknown = client.get("/api/v1/audit", params={"action": "nope"}, headers=auth)
    assert unknown.status_code == 422


def test_people_routes_are_admin_only_and_tenant_scoped(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    _, admin = make_key(clickhouse, "甲", Scope.ADMIN)
    _, reps = make_key(clickhouse, "甲-reps", Scope.REPS)
    _, stranger = make_key(clickhouse, "乙", Scope.ADMIN)
    body = copy.deepcopy(OPPORTUNITY)
    assert client.put("/api/v1/opportunities/opp-1", json=body, headers=bearer(admin)).is_success
    refused = client.delete(f"/api/v1/people/{EMAIL}", headers=bearer(reps))
    assert refused.status_code == 403
    assert client.get("/api/v1/audit", headers=bearer(reps)).status_code == 403
    foreign = client.delete(f"/api/v1/people/{EMAIL}", headers=bearer(stranger))
    assert foreign.status_code == 404
    assert client.get(f"/api/v1/people/{EMAIL}/export", headers=bearer(admin)).status_code == 200
    bad = client.get("/api/v1/people/not-an-address/export", headers=bearer(admin))
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_email"


def test_nothing_is_written_for_an_unknown_person(client: TestClient, clickhouse: ClickHouse,
                                                  tmp_path: Path) -> None:  # fmt: skip
    _, admin = make_key(clickhouse, "丙", Scope.ADMIN)
    missing = client.delete("/api/v1/people/nobody@buyer.example", headers=bearer(admin))
    assert missing.status_code == 404
    assert client.get("/api/v1/audit", headers=bearer(admin)).json()["items"] == []


def test_retention_per_tenant_deletes_what_is_older_than_its_limit(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    tenant, admin = make_key(clickhouse, "留存", Scope.ADMIN)
    other, _ = make_key(clickhouse, "别家", Scope.ADMIN)
    auth = bearer(admin)
    assert client.get("/api/v1/settings/retention", headers=auth).json()["events_days"] == 730
    too_long = client.put("/api/v1/settings/retention", headers=auth, json={"events_days": 3650})
    assert too_long.status_code == 400
    assert too_long.json()["error"]["code"] == "retention_over_deployment_limit"
    unknown = client.put("/api/v1/settings/retention", headers=auth, json={"keep": 1})
    assert unknown.status_code == 422
    assert client.put(
        "/api/v1/settings/retention", headers=auth, json={"events_days": 30, "audit_days": 30}
    ).json() == {"events_days": 30, "audit_days": 30, "copies_days": 730}
    changed = client.get("/api/v1/audit", params={"action": "settings.changed"}, headers=auth)
    assert [(e["subject"], e["actor"].split(":")[0]) for e in changed.json()["items"]] == [
        ("retention", "key")  # the refused changes left no entry
    ]

    doc = {"document_id": "doc-r", "current_version_id": "ver-r"}
    for owner in (tenant, other):
        _events(clickhouse, owner, doc, "lnk-old", 2, forwarded=0, age_days=40)
        _events(clickhouse, owner, doc, "lnk-new", 3, forwarded=0)
    ran = client.post("/api/v1/jobs/retention/run", headers=auth)
    assert ran.status_code == 200, ran.text
    left = clickhouse.query(
        f"SELECT tenant_id, link_id, count() AS n FROM {clickhouse.database}.events "
        "GROUP BY tenant_id, link_id ORDER BY tenant_id, link_id"
    )
    assert {(r["tenant_id"], r["link_id"], r["n"]) for r in left} == {
        (other, "lnk-new", 3), (other, "lnk-old", 2), (tenant, "lnk-new", 3),
    }  # fmt: skip
    rolled = clickhouse.query(
        "SELECT tenant_id, link_id, sum(read_events) AS n "
        f"FROM {clickhouse.database}.engagement_visit_pages "
        "GROUP BY tenant_id, link_id HAVING n > 0 ORDER BY tenant_id, link_id"
    )  # the scores' rollup keeps only what the events still hold
    assert {(r["tenant_id"], r["link_id"], r["n"]) for r in rolled} == {
        (r["tenant_id"], r["link_id"], r["n"]) for r in left
    }
