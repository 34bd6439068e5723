"""Health pillars, bands, next actions and the evidence chain on hand-built features with
known answers (pure functions; the SQL that builds features is tested in test_health_sql)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from scoring.accounts import AccountHealth, AccountSignals, health_of
from scoring.forecast.evidence import build_evidence
from scoring.health.actions import next_actions
from scoring.health.assess import _assess_one as assess_one
from scoring.health.assess import health_band
from scoring.health.features import DocRead, EngagedContact, OpportunityFeatures, TenantStats
from scoring.health.pillars import PillarInputs, compute_pillars
from scoring.tenant import TenantScoring
from tracker.config import ScoringSettings
from tracker.crm import Account, AccountFinance

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
T = ScoringSettings()
STATS = TenantStats(NOW, 24.0, 10, {"proposal": (20.0, 10)}, median_amount=100_000.0)


def person(key: str, name: str, *, dm: bool = False, read: int = 60_000, meet: int = 0,
           role: str = "") -> EngagedContact:  # fmt: skip
    return EngagedContact(
        key,
        name,
        role,
        dm,
        False,
        read,
        meet,
        NOW - timedelta(days=1) if read else None,
        NOW - timedelta(days=2) if meet else None,
        (f"evt_{key}",) if read else (),
        (f"act_{key}",) if meet else (),
    )


def doc(depth: float, *, revision: int = 1, version: str = "ver_1") -> DocRead:
    return DocRead(version, "doc_1", "年度采购方案", revision, depth, 120_000, 0, None, "",
                   NOW - timedelta(days=1), (f"evt_{version}_a", f"evt_{version}_b"))  # fmt: skip


def features(**kw: object) -> OpportunityFeatures:
    base: dict[str, object] = {
        "opportunity_id": "opp_1", "as_of": NOW, "account": "华为技术", "amount": 100_000.0,
        "currency": "CNY", "stage": "proposal", "probability": 50, "owner": "rep@x.cn",
        "stage_entered_at": NOW - timedelta(days=10), "last_event_at": NOW - timedelta(hours=3),
    }  # fmt: skip
    base.update(kw)
    return OpportunityFeatures(**base)  # type: ignore[arg-type]


def pillars(
    f: OpportunityFeatures, engagement: float | None = None, account: AccountHealth | None = None
) -> dict[str, float]:
    inputs = PillarInputs(f, STATS, engagement, NOW, account)
    return {k: p.value for k, p in compute_pillars(inputs).items()}


def customer(delay: float = 30.0, held: int = 1) -> AccountHealth:
    """An account whose pillars are 商业潜力 100, 合作深度 100, 关系质量 held × 50 and
    风险信号 100 − delay × 100 / 60 (scoring.accounts' curves)."""
    a = Account("ten_A", "acc_1", "华为技术", NOW, annual_revenue=Decimal("1e9"),
                industry_growth_pct=20.0, contract_start=date(2015, 1, 1),
                product_lines=("MES", "ERP", "PLM"))  # fmt: skip
    money = Decimal(0)
    finance = AccountFinance("ten_A", "acc_1", NOW.date(), 0.9, money, money, money, "CNY", NOW,
                             delay)  # fmt: skip
    s = AccountSignals(a, NOW, finance, meetings_decided=2, meetings_held=held)
    return health_of(s, T.accounts)


def test_commercial_pillar_known_answers() -> None:
    # amount = median → 0.25 of 50 points (amount / (2 × median) = 0.5); rescaled to 100
    assert pillars(features())["commercial"] == 50.0
    # the CRM's old per-deal stand-ins are scored nowhere
    assert pillars(features(account_employees=10_000, account_growth_pct=20.0))["commercial"] == 50
    # with the account's 商业潜力 (100): 25 + 50
    assert pillars(features(), account=customer())["commercial"] == 75.0
    assert pillars(features(amount=400_000.0), account=customer())["commercial"] == 100.0


def test_cooperation_pillar_is_the_accounts_partnership_depth() -> None:
    assert pillars(features(product_lines=6, won_before=5))["cooperation"] == 50.0  # neutral
    assert pillars(features(), account=customer())["cooperation"] == 100.0


def test_relationship_pillar_known_answers() -> None:
    three = [person("c:a", "王总", dm=True, meet=1), person("c:b", "李工"), person("c:c", "张三")]
    f = features(people=three, meetings_30d=2, docs=[doc(0.8)])
    # engagement 40 × 0.5 + stakeholders 25 + decision-maker 20 = 65 of 85
    assert pillars(f, engagement=50.0)["relationship"] == pytest.approx(76.5, abs=0.05)
    # with the account's 关系质量 50 (1 of 2 meetings held): 65 + 7.5 = 72.5 of 100
    assert pillars(f, engagement=50.0, account=customer())["relationship"] == 72.5
    # historical (no live engagement score): best read depth 0.8 stands in → 32 + 45 of 85
    assert pillars(f)["relationship"] == pytest.approx(90.6, abs=0.05)
    lone = features(people=[person("c:b", "李工")])
    assert pillars(lone, engagement=0.0)["relationship"] == pytest.approx(9.8, abs=0.05)


def test_risk_pillar_known_answers() -> None:
    assert pillars(features())["risk"] == 100.0
    assert pillars(features(payment_issues=True, support_escalations=3))["risk"] == 100.0
    risky = features(
        pushes=4, regressions=1, last_event_at=NOW - timedelta(days=15),
        expected_close_date=date(2025, 2, 1),
    )  # fmt: skip
    # pushes 45 (capped) + regression 20 + silence 15 + overdue 20
    assert pillars(risky)["risk"] == 0.0
    some = features(pushes=1, last_event_at=NOW - timedelta(days=30))
    assert pillars(some)["risk"] == 55.0  # 100 − 15 − 30
    # the account's 风险信号 50 (30 days late on average): 40 × 0.5 = 20 more
    assert pillars(some, account=customer(delay=30.0))["risk"] == 35.0
    assert pillars(some, account=customer(delay=0.0))["risk"] == 55.0


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (100.0, "blue"),
        (70.0, "blue"),
        (69.9, "yellow"),
        (45.0, "yellow"),
        (44.9, "red"),
        (0, "red"),
    ],
)
def test_band_boundaries(value: float, band: str) -> None:
    assert health_band(value, T) == band


def test_band_thresholds_are_configurable() -> None:
    tuned = T.merged({"health": {"blue_threshold": 80.0, "yellow_threshold": 60.0}})
    assert health_band(79.9, tuned) == "yellow" and health_band(59.9, tuned) == "red"


def test_health_is_the_weighted_mean_of_the_pillars() -> None:
    f = features()
    got = assess_one(f, STATS, TenantScoring(T), 0.0, NOW, customer()).health
    p = {k: v.value for k, v in got.pillars.items()}
    expected = (20 * p["commercial"] + 15 * p["cooperation"] + 40 * p["relationship"]
                + 25 * p["risk"]) / 100  # fmt: skip
    assert got.value == pytest.approx(expected, abs=0.05)
    equal = T.merged({"health": {f"weight_{n}": 1.0 for n in p}})
    assert assess_one(
        f, STATS, TenantScoring(equal), 0.0, NOW, customer()
    ).health.value == pytest.approx(sum(p.values()) / 4, abs=0.05)


def test_a_deal_the_buyer_never_saw_is_insufficient_data_not_red() -> None:
    new = features(last_event_at=None, amount=1.0)
    got = assess_one(new, STATS, TenantScoring(T), None, NOW).health
    assert got.value < 45 and got.band == "insufficient_data"
    seen = features(last_event_at=NOW - timedelta(days=20), amount=1.0)
    assert assess_one(seen, STATS, TenantScoring(T), None, NOW).health.band == "red"
    # never seen, but known for 14 days (health.new_deal_days): judged, and red
    old = features(last_event_at=None, amount=1.0, first_seen_at=NOW - timedelta(days=14))
    assert assess_one(old, STATS, TenantScoring(T), None, NOW).health.band == "red"
    # the account's health is judged: so is the deal
    judged = assess_one(new, STATS, TenantScoring(T), None, NOW, customer(delay=60.0, held=0))
    assert judged.health.band != "insufficient_data"


def test_next_actions_from_recent_signals() -> None:
    cto = person("c:wang", "王总", role="CTO")
    f = features(
        people=[cto], docs=[doc(0.3)],
        last_download=("evt_dl", "c:wang", "ver_1", NOW - timedelta(hours=20)),
    )  # fmt: skip
    actions = next_actions(f, NOW)
    assert len(actions) == 3
    assert actions[0].code == "follow_up_download"
    assert actions[0].text == (
        "王总 (CTO) downloaded 年度采购方案 20 hours ago — send the industry case study within 24 h"
    )
    assert actions[0].params["who"] == "王总 (CTO)" and actions[0].params["doc"] == "年度采购方案"
    # every action names a person, a document or content, and a deadline
    for action in actions:
        assert action.params["who"] and action.due_within_hours
        assert action.params.get("content") or action.params.get("doc")
    assert actions[0].event_ids == ["evt_dl"]
    assert [a.code for a in actions[1:]] == ["reach_decision_maker", "multi_thread"]
    assert "Only one stakeholder engaged (王总)" in actions[2].text


def evidence(f: OpportunityFeatures) -> dict[str, bool]:
    e = build_evidence(f, STATS, settings=T.forecast, min_samples=5)
    return {i.code: i.holds for i in e.evidence}


def test_every_supporting_evidence_item_holds_and_fails_with_its_proof() -> None:
    weak = evidence(
        features(stage_entered_at=NOW - timedelta(days=21), pushes=1, push_ids=("a_p",))
    )
    assert not any(weak.values()) and "unverified_stage" in weak  # proposal without an NDA
    people = [person("c:a", "王总", dm=True, meet=1), person("c:b", "李工"), person("c:c", "张三")]
    strong_f = features(
        people=people, docs=[doc(0.6), doc(0.2, revision=2, version="ver_2")],
        stage_activity_id="a_st", evidence_kinds=frozenset({"nda_signed"}),
    )  # fmt: skip
    assert all(evidence(strong_f).values())
    e = build_evidence(strong_f, STATS, settings=T.forecast, min_samples=5)
    items = {i.code: i for i in e.evidence}
    assert items["decision_maker_read"].event_ids == ["evt_c:a"]
    assert items["stakeholders_engaged"].event_ids == ["evt_c:a", "evt_c:b", "evt_c:c"]
    assert items["proposal_depth"].event_ids == ["evt_ver_1_a", "evt_ver_1_b"]
    assert items["stage_age"].activity_ids == ["a_st"]
    # supporting evidence never moves the index: nothing in the window → 0 and × 0.7
    assert e.credibility_index == 0 and e.haircut_applied
    assert [r.name for r in e.buyer_reading] == ["王总", "李工", "张三"]
