"""Point-in-time features from ClickHouse on a hand-built deal: what the SQL finds, and that
a feature computed as of D ignores events, activities and CRM updates after D."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from scoring import assess, features_as_of, load_tenant_scoring
from tests.scoring.support import NOW, Events, add_document, add_link, add_opportunity
from tracker.config import ScoringSettings
from tracker.crm.activities import Activity, record_activities
from tracker.crm.opportunities import Contact, upsert_opportunities
from tracker.stores.clickhouse import ClickHouse
from tracker.tenant_settings import put_tenant_settings

T = "ten_A"
TUNING = ScoringSettings()
D = NOW - timedelta(days=5)


def build(ch: ClickHouse) -> None:
    add_document(ch, T, "doc_1", "ver_1", title="报价单", page_tags=[[], ["pricing"]])
    opp = add_opportunity(
        ch, T, "opp_1", updated_at=NOW - timedelta(days=20),
        contacts=[Contact("c_wang", "王总", "w@x.cn", "CTO", True),
                  Contact("c_li", "李工", "l@x.cn", "engineer")],
    )  # fmt: skip
    link = add_link(ch, T, "lnk_1", "doc_1", "ver_1", "opp_1", contact_id="c_li", name="李工")
    events = Events()
    events.read(link, NOW - timedelta(days=8), {1: 60_000, 2: 12_000})  # before D
    events.read(link, NOW - timedelta(days=1), {3: 60_000, 4: 60_000})  # after D
    events.add(link, "download", NOW - timedelta(days=1))
    events.insert(ch)
    record_activities(ch, T, [
        Activity("a_stage", "opp_1", "stage_change", NOW - timedelta(days=12),
                 from_stage="discovery", to_stage="proposal"),
        Activity("a_mail", "opp_1", "email", NOW - timedelta(days=9)),
        Activity("a_reply", "opp_1", "email", NOW - timedelta(days=7), customer_initiated=True),
        Activity("a_meet", "opp_1", "meeting", NOW - timedelta(days=2), attendees=("c_wang",)),
        Activity("a_push", "opp_1", "close_date_change", NOW - timedelta(days=2),
                 old_close_date=date(2025, 3, 20), new_close_date=date(2025, 4, 30)),
        Activity("a_back", "opp_1", "stage_change", NOW - timedelta(days=1),
                 from_stage="proposal", to_stage="discovery"),
    ])  # fmt: skip
    # a CRM update after D: more money, a new close date
    upsert_opportunities(ch, T, [replace(opp, amount=opp.amount * 2, probability=80,
                                         expected_close_date=date(2025, 4, 30),
                                         updated_at=NOW - timedelta(days=1))])  # fmt: skip


def test_features_now_see_everything(clickhouse: ClickHouse) -> None:
    build(clickhouse)
    f = features_as_of(clickhouse, T, ["opp_1"], NOW, TUNING)["opp_1"]
    assert f.amount == 240_000.0 and f.probability == 80 and f.stage == "discovery"
    assert f.pushes == 1 and f.push_ids == ("a_push",)
    assert f.regressions == 1 and f.regression_ids == ("a_back",)
    assert f.customer_contact_ids == ("a_reply",) and f.meetings_30d == 1
    assert {p.name for p in f.people} == {"王总", "李工"}
    assert next(p for p in f.people if p.name == "王总").is_decision_maker
    assert f.downloads == 1 and f.best_doc is not None
    assert f.best_doc.depth == (1 + 12 / 60 + 1 + 1) / 4


def test_features_as_of_d_ignore_what_happened_later(clickhouse: ClickHouse) -> None:
    build(clickhouse)
    f = features_as_of(clickhouse, T, ["opp_1"], D, TUNING)["opp_1"]
    assert f.amount == 120_000.0 and f.probability == 40  # the CRM row as of D
    assert f.stage == "proposal" and f.stage_activity_id == "a_stage"
    assert f.expected_close_date is None and f.pushes == 0 and f.regressions == 0
    assert [p.name for p in f.people] == ["李工"] and f.meetings_30d == 0
    assert f.downloads == 0 and f.last_event_at is not None and f.last_event_at < D
    assert f.best_doc is not None and f.best_doc.depth == (1 + 12 / 60) / 4
    assert f.last_buyer_at is not None and f.last_buyer_at <= D


def test_health_and_evidence_as_of_d_are_stable_when_later_data_arrives(
    clickhouse: ClickHouse,
) -> None:
    build(clickhouse)
    scoring = load_tenant_scoring(clickhouse, T, TUNING)
    first = assess(clickhouse, scoring, T, ["opp_1"], D, now=NOW, with_engagement=False)["opp_1"]
    link = add_link(clickhouse, T, "lnk_2", "doc_1", "ver_1", "opp_1", contact_id="c_wang")
    later = Events()
    later.read(link, NOW - timedelta(hours=2), {1: 60_000, 2: 60_000, 3: 60_000, 4: 60_000})
    later.insert(clickhouse)
    again = assess(clickhouse, scoring, T, ["opp_1"], D, now=NOW, with_engagement=False)["opp_1"]
    assert again.health.value == first.health.value
    assert again.evidence.model_dump() == first.evidence.model_dump()
    live = assess(clickhouse, scoring, T, ["opp_1"], NOW, now=NOW)["opp_1"]
    assert live.evidence.credibility_index > first.evidence.credibility_index


def test_tenant_isolation_of_features(clickhouse: ClickHouse) -> None:
    build(clickhouse)
    assert features_as_of(clickhouse, "ten_B", None, NOW, TUNING) == {}
    assert features_as_of(clickhouse, "ten_B", ["opp_1"], NOW, TUNING) == {}


def test_stored_deployment_settings_are_not_applied_to_a_tenant(clickhouse: ClickHouse) -> None:
    # Written around the API (or before it refused deployment settings).
    overrides = {"forecast_simulations": 10_000_000, "warm_batch": 10_000}
    put_tenant_settings(clickhouse, T, "scoring", {**overrides, "health_blue_threshold": 80.0})
    tuning = load_tenant_scoring(clickhouse, T, TUNING).tuning
    assert tuning.health_blue_threshold == 80.0
    assert (tuning.forecast_simulations, tuning.warm_batch) == (
        TUNING.forecast_simulations,
        TUNING.warm_batch,
    )
