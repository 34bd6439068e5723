"""Early warnings over the API: the CRM pushes a recurring series with two cancellations, the
deal's health carries the signal with its proof; the tenant tunes the rule through
PUT /api/v1/settings/scoring (three cancellations: the lapse is what remains), and a bad
time zone or tag is refused with nothing stored."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from tests.api.conftest import bearer, make_key
from tests.api.test_forecast_api import OPP, push
from tests.scoring.support import Events, add_document, add_link
from tracker.clock import utcnow
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope


def test_series_cancellations_reach_the_health_api_and_the_tenant_tunes_them(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    _, admin = make_key(clickhouse, "华东", Scope.ADMIN)
    auth = bearer(admin)
    body = {**OPP, "updated_at": utcnow().isoformat()}
    assert client.put("/api/v1/opportunities/opp_w", json=body, headers=auth).status_code == 200
    now = utcnow()
    push(client, auth, [
        {"id": f"w{i}", "opportunity_id": "opp_w", "type": "meeting", "held": i < 2,
         "series_id": "weekly-1", "occurred_at": (now - timedelta(days=7 * (3 - i), hours=1))
         .isoformat()}
        for i in range(4)
    ])  # fmt: skip
    health = client.get("/api/v1/opportunities/opp_w/health", headers=auth).json()
    (signal,) = health["signals"]
    assert signal["code"] == "recurring_meetings_cancelled"
    assert signal["params"] == {"series": "weekly-1", "cancelled": 2, "days": "30"}
    assert signal["activity_ids"] == ["w2", "w3"]
    risk = {f["code"]: f["contribution"] for f in health["pillars"]["risk"]["factors"]}
    assert risk["recurring_meetings_cancelled"] == -20.0

    tuning = {"early_warning": {"series_cancellations": 3, "time_zone": "Europe/Berlin"},
              "engagement": {"page_tags": {"competitor_comparison": {"weight": 8}}}}  # fmt: skip
    assert client.put("/api/v1/settings/scoring", json=tuning, headers=auth).status_code == 200
    health = client.get("/api/v1/opportunities/opp_w/health", headers=auth).json()
    # not "cancelled" any more, but the last held meeting is 2 weeks + 1 h old: twice the
    # weekly interval, so the series has lapsed (its proof: that meeting and the two since)
    (signal,) = health["signals"]
    assert signal["code"] == "recurring_meetings_lapsed"
    assert signal["params"] == {"series": "weekly-1", "days": 14.0, "usual_days": 7.0}
    assert signal["activity_ids"] == ["w1", "w2", "w3"]

    for bad in ({"early_warning": {"time_zone": "Mars/Base"}},
                {"early_warning": {"workday_start": 18, "workday_end": 9}},
                {"engagement": {"page_tags": {"Pricing Page": {"weight": 5}}}}):  # fmt: skip
        refused = client.put("/api/v1/settings/scoring", json=bad, headers=auth)
        assert refused.status_code == 400, refused.text
    assert client.get("/api/v1/settings/scoring", headers=auth).json() == tuning


def test_all_three_warnings_in_the_health_api(client: TestClient, clickhouse: ClickHouse) -> None:
    """The customer waiting, the CFO reading the competitor comparison three times this week
    (a warning tag the tenant set over the API) and the cancelled series, each with its proof
    and its cost in the risk pillar."""
    tenant, admin = make_key(clickhouse, "华南", Scope.ADMIN)
    auth = bearer(admin)
    tag = "competitor_comparison"
    warning = {"meaning": "竞品对比", "risk_penalty": 12}
    tuning = {"early_warning": {"high_potential_bands": ["blue", "yellow", "red"]},
              "engagement": {"page_tags": {tag: warning}}}  # fmt: skip
    assert client.put("/api/v1/settings/scoring", json=tuning, headers=auth).status_code == 200
    now = utcnow()
    contacts = [{"id": "c_chen", "name": "陈静", "role": "CFO", "is_decision_maker": True}]
    body = {**OPP, "contacts": contacts, "updated_at": (now - timedelta(days=40)).isoformat()}
    assert client.put("/api/v1/opportunities/opp_3", json=body, headers=auth).status_code == 200
    push(client, auth, [
        *({"id": f"w{i}", "opportunity_id": "opp_3", "type": "meeting", "held": i < 2,
           "series_id": "weekly-1",
           "occurred_at": (now - timedelta(days=7 * (3 - i), hours=1)).isoformat()}
          for i in range(4)),
        {"id": "in1", "opportunity_id": "opp_3", "type": "email", "direction": "inbound",
         "occurred_at": (now - timedelta(days=3)).isoformat()},
    ])  # fmt: skip
    add_document(clickhouse, tenant, "doc_3", "ver_3", page_tags=[[], [tag], ["pricing"]])
    link = add_link(clickhouse, tenant, "lnk_3", "doc_3", "ver_3", "opp_3", contact_id="c_chen")
    events = Events()
    for days in (5, 3, 1):
        events.read(link, now - timedelta(days=days), {2: 60_000})
    events.insert(clickhouse)

    health = client.get("/api/v1/opportunities/opp_3/health", headers=auth).json()
    found = {s["code"]: s for s in health["signals"]}
    assert set(found) == {"customer_unanswered", "page_interest", "recurring_meetings_cancelled"}
    interest = found["page_interest"]
    assert interest["summary"] == "陈静 (CFO) read the 竞品对比 pages 3 times in 7 days"
    assert interest["params"]["count"] == 3 and interest["person"] == "c:c_chen"
    assert len(interest["event_ids"]) == 3
    assert found["customer_unanswered"]["activity_ids"] == ["in1"]
    risk = {f["code"]: f["contribution"] for f in health["pillars"]["risk"]["factors"]}
    assert risk["page_interest"] == -12.0
    assert health["actions"][0]["code"] == "answer_tag_interest"
    assert health["actions"][0]["params"]["who"] == "陈静 (CFO)"
