"""Health, forecast, stall and report endpoints over the real app, with tenant isolation."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient

from tests.api.conftest import bearer, make_key
from tests.scoring.support import Events, add_document, add_link
from tracker.clock import utcnow
from tracker.crm.activities import Activity, record_activities
from tracker.crm.opportunities import Contact, Opportunity, upsert_opportunities
from tracker.stores.clickhouse import ClickHouse
from tracker.tenant_settings import put_tenant_settings
from tracker.types import Scope


def seed(ch: ClickHouse, tenant: str) -> None:
    now = utcnow()
    upsert_opportunities(ch, tenant, [Opportunity(
        opportunity_id="opp_1", account="华为技术", amount=Decimal("100000"),
        currency="CNY", stage="proposal", probability=50, forecast_category="commit",
        owner="rep@x.cn", manager="boss@x.cn", updated_at=now - timedelta(days=10),
        stage_entered_at=now - timedelta(days=10),
        expected_close_date=now.date() + timedelta(days=5),
        contacts=(Contact("c_wang", "王总", "w@x.cn", "CTO", True),),
    )])  # fmt: skip
    add_document(ch, tenant, "doc_1", "ver_1", title="报价单")
    link = add_link(
        ch, tenant, "lnk_1", "doc_1", "ver_1", "opp_1", contact_id="c_wang", name="王总"
    )
    events = Events()
    events.read(link, now - timedelta(days=4), {1: 60_000, 2: 60_000, 3: 60_000})
    events.insert(ch)
    record_activities(ch, tenant, [
        Activity("a1", "opp_1", "stage_change", now - timedelta(days=30), from_stage="discovery",
                 to_stage="proposal"),
        Activity("a2", "opp_1", "meeting", now - timedelta(days=4), attendees=("c_wang",)),
        Activity("a3", "opp_1", "stage_change", now - timedelta(days=10), from_stage="negotiation",
                 to_stage="proposal"),
    ])  # fmt: skip


def test_endpoints_answer_for_the_owner_tenant_only(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    tenant, key = make_key(clickhouse, "Acme", Scope.CRM)
    _, other = make_key(clickhouse, "Other", Scope.REPS)
    seed(clickhouse, tenant)
    h = client.get("/api/v1/opportunities/opp_1/health", headers=bearer(key))
    assert h.status_code == 200, h.text
    body = h.json()
    assert set(body["pillars"]) == {"commercial", "cooperation", "relationship", "risk"}
    assert body["band"] in {"blue", "yellow", "red"} and 0 <= body["value"] <= 100
    assert body["model_version"] == "health-1.0" and body["scored_at"] and len(body["actions"]) == 3
    f = client.get("/api/v1/opportunities/opp_1/forecast", headers=bearer(key)).json()
    items = {i["code"]: i for i in f["evidence"]}
    assert items["decision_maker_read"]["holds"]
    assert items["proposal_depth"]["holds"] and items["proposal_depth"]["event_ids"]
    inputs = f["inputs"]
    attendance = inputs["decision_maker_attendance_rate_30d"]
    assert Decimal(attendance["raw_value"]) == 1 and Decimal(attendance["score"]) == 100
    assert [(p["id"], p["decision_makers"]) for p in attendance["proof"]] == [("a2", ["王总"])]
    assert Decimal(inputs["customer_initiated_contacts_30d"]["score"]) == 0
    assert Decimal(inputs["proposal_revisions_30d"]["score"]) == 0
    # (0 + 100 + 0) / 3 = 33.3 < 60 → × 0.7; the proposal stage lacks its signed NDA, so the
    # deal is forecast at prospecting's 10 %: 100 000 × 0.1 × 0.7
    assert Decimal(f["credibility_index"]) == Decimal("33.3") and f["haircut_applied"]
    assert f["forecast_stage"] == "prospecting" and f["crm_probability"] == 50
    assert Decimal(f["amount"]) == 100_000 and Decimal(f["crm_forecast"]) == 10_000
    assert Decimal(f["adjusted_forecast"]) == 7_000
    assert [p["name"] for p in f["buyer_reading"]] == ["王总"]
    period = f"{date.today().year}"
    roll = client.get(f"/api/v1/forecast?period={period}", headers=bearer(key)).json()
    total = next(line for line in roll["lines"] if line["scope"] == "total")
    p10, p50, p90 = (Decimal(total[q]) for q in ("p10", "p50", "p90"))  # money: strings
    assert total["open_deals"] == 1 and p10 <= p50 <= p90
    assert Decimal(total["adjusted_forecast"]) == 7_000 and total["discounted_deals"] == 1
    assert {ln["key"] for ln in roll["lines"] if ln["scope"] == "rep"} == {"rep@x.cn"}
    week = date.today().isocalendar()
    report = client.get(f"/api/v1/reports/process-health?week={week.year}-W{week.week:02d}",
                        headers=bearer(key))  # fmt: skip
    assert report.status_code == 200, report.text
    cal = client.get(f"/api/v1/reports/forecast-calibration?period={period}", headers=bearer(key))
    assert cal.status_code == 200 and cal.json()["overall"]["deals"] == 0
    assert client.get("/api/v1/stalls", headers=bearer(key)).json() == []

    for path in ("health", "forecast"):
        miss = client.get(f"/api/v1/opportunities/opp_1/{path}", headers=bearer(other))
        assert miss.status_code == 404 and miss.json()["error"]["code"] == "opportunity_not_found"
    empty = client.get(f"/api/v1/forecast?period={period}", headers=bearer(other)).json()
    assert empty["lines"] == []
    assert client.get("/api/v1/forecast?period=soon", headers=bearer(key)).status_code == 400
    assert client.get("/api/v1/opportunities/opp_1/health").status_code == 401


def test_tenant_settings_change_bands(client: TestClient, clickhouse: ClickHouse) -> None:
    tenant, admin = make_key(clickhouse, "Acme", Scope.ADMIN)
    seed(clickhouse, tenant)
    before = client.get("/api/v1/opportunities/opp_1/health", headers=bearer(admin)).json()
    bands = {"health": {"blue_threshold": 0.0, "yellow_threshold": 0.0}}
    put = client.put("/api/v1/settings/scoring", headers=bearer(admin), json=bands)
    assert put.status_code == 200
    after = client.get("/api/v1/opportunities/opp_1/health", headers=bearer(admin)).json()
    assert after["band"] == "blue" and after["value"] == before["value"]
    for bad_body in ({"nope": 1}, {"health": {"nope": 1}}, {"health": 3}):
        bad = client.put("/api/v1/settings/scoring", headers=bearer(admin), json=bad_body)
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "unknown_setting"
    costly = {"forecast": {"simulations": 10_000_000}, "warm": {"batch": 10_000}}
    refused = client.put("/api/v1/settings/scoring", headers=bearer(admin), json=costly)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "deployment_setting"
    assert refused.json()["error"]["details"]["reserved"] == ["forecast.simulations", "warm"]
    invalid = {"health": {"blue_threshold": "high"}}
    refused = client.put("/api/v1/settings/scoring", headers=bearer(admin), json=invalid)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_setting"


def test_stored_deployment_settings_are_not_shown(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    tenant, admin = make_key(clickhouse, "Acme", Scope.ADMIN)
    # stored flat, as before the settings were nested, and around the API's refusal
    stored = {"forecast_simulations": 10_000_000, "health_blue_threshold": 0.0}
    put_tenant_settings(clickhouse, tenant, "scoring", stored)
    shown = client.get("/api/v1/settings/scoring", headers=bearer(admin))
    assert shown.status_code == 200 and shown.json() == {"health": {"blue_threshold": 0.0}}


def test_an_admin_runs_a_job_for_their_own_tenant_only(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    tenant, admin = make_key(clickhouse, "Acme", Scope.ADMIN)
    other, other_admin = make_key(clickhouse, "Other", Scope.ADMIN)
    seed(clickhouse, tenant)
    seed(clickhouse, other)  # stalled too: last activity four days ago
    jobs = client.get("/api/v1/jobs", headers=bearer(admin)).json()
    assert "stalls" in {job["name"] for job in jobs}
    ran = client.post("/api/v1/jobs/stalls/run", headers=bearer(admin))
    assert ran.status_code == 200, ran.text
    assert [
        s["opportunity_id"] for s in client.get("/api/v1/stalls", headers=bearer(admin)).json()
    ] == ["opp_1"]
    assert client.get("/api/v1/stalls", headers=bearer(other_admin)).json() == []
    missing = client.post("/api/v1/jobs/nope/run", headers=bearer(admin))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "job_not_found"
    _, reps = make_key(clickhouse, "Acme reps", Scope.REPS)
    assert client.post("/api/v1/jobs/stalls/run", headers=bearer(reps)).status_code == 403
    # the weekly process report is a scheduled job an admin can run while the server runs
    assert {"process-report", "notify-briefing"} <= {job["name"] for job in jobs}
    report = client.post("/api/v1/jobs/process-report/run", headers=bearer(admin))
    assert report.status_code == 200, report.text


def test_an_admin_cannot_run_a_job_in_a_loop_or_for_every_tenant(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    _, admin = make_key(clickhouse, "Acme", Scope.ADMIN)
    _, other_admin = make_key(clickhouse, "Other", Scope.ADMIN)
    assert client.post("/api/v1/jobs/stalls/run", headers=bearer(admin)).status_code == 200
    again = client.post("/api/v1/jobs/stalls/run", headers=bearer(admin))
    assert again.status_code == 429 and again.json()["error"]["code"] == "job_cooldown"
    assert client.post("/api/v1/jobs/stalls/run", headers=bearer(other_admin)).status_code == 200
    pump = client.post("/api/v1/jobs/notify-pump/run", headers=bearer(admin))
    assert pump.status_code == 400 and pump.json()["error"]["code"] == "job_not_tenant_scoped"
