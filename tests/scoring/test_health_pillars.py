"""Health pillars, bands, next actions and the evidence chain on hand-built features with
known answers (pure functions; the SQL that builds features is tested in test_health_sql)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from scoring.forecast.evidence import build_evidence
from scoring.health.actions import next_actions
from scoring.health.assess import _assess_one as assess_one
from scoring.health.assess import health_band
from scoring.health.features import DocRead, EngagedContact, OpportunityFeatures, TenantStats
from scoring.health.pillars import PillarInputs, compute_pillars
from scoring.tenant import TenantScoring
from tracker.config import ScoringSettings

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


def pillars(f: OpportunityFeatures, engagement: float | None = None) -> dict[str, float]:
    return {k: p.value for k, p in compute_pillars(PillarInputs(f, STATS, engagement, NOW)).items()}


def test_commercial_pillar_known_answers() -> None:
    # amount = median → 0.25 of 50 points (amount / (2 × median) = 0.5); rescaled to 100
    assert pillars(features())["commercial"] == 50.0
    full = features(amount=400_000.0, account_employees=10_000, account_growth_pct=20.0)
    assert pillars(full)["commercial"] == 100.0
    shrinking = features(amount=200_000.0, account_employees=100, account_growth_pct=-20.0)
    # 50 × 1 + 25 × log10(100)/4 + 25 × 0 = 62.5
    assert pillars(shrinking)["commercial"] == 62.5


def test_cooperation_pillar_known_answers() -> None:
    assert pillars(features())["cooperation"] == 0.0
    assert pillars(features(product_lines=3, won_before=1))["cooperation"] == 75.0
    assert pillars(features(product_lines=6, won_before=5))["cooperation"] == 100.0


def test_relationship_pillar_known_answers() -> None:
    three = [person("c:a", "王总", dm=True, meet=1), person("c:b", "李工"), person("c:c", "张三")]
    f = features(people=three, meetings_30d=2, docs=[doc(0.8)])
    # engagement 40 × 0.5 + stakeholders 25 + decision-maker 20 + meetings 15 = 80
    assert pillars(f, engagement=50.0)["relationship"] == 80.0
    # historical (no live engagement score): best read depth 0.8 stands in → 32 + 60 = 92
    assert pillars(f)["relationship"] == 92.0
    lone = features(people=[person("c:b", "李工")])
    # 0 + 25 / 3 + 0 + 0
    assert pillars(lone, engagement=0.0)["relationship"] == pytest.approx(8.3, abs=0.05)


def test_risk_pillar_known_answers() -> None:
    assert pillars(features())["risk"] == 100.0
    risky = features(
        pushes=4, regressions=1, payment_issues=True, support_escalations=1,
        last_event_at=NOW - timedelta(days=15), expected_close_date=date(2025, 2, 1),
    )  # fmt: skip
    # pushes 45 (capped) + regression 20 + silence 15 + payment 25 + escalation 10 + overdue 20
    assert pillars(risky)["risk"] == 0.0
    some = features(pushes=1, last_event_at=NOW - timedelta(days=30))
    assert pillars(some)["risk"] == 55.0  # 100 − 15 − 30


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
    f = features(product_lines=3, won_before=2)  # commercial 50, cooperation 100
    got = assess_one(f, STATS, TenantScoring(T), 0.0, NOW).health
    p = {k: v.value for k, v in got.pillars.items()}
    expected = (20 * p["commercial"] + 15 * p["cooperation"] + 40 * p["relationship"]
                + 25 * p["risk"]) / 100  # fmt: skip
    assert got.value == pytest.approx(expected, abs=0.05)
    equal = T.merged({"health": {f"weight_{n}": 1.0 for n in p}})
    assert assess_one(f, STATS, TenantScoring(equal), 0.0, NOW).health.value == pytest.approx(
        sum(p.values()) / 4, abs=0.05
    )


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
    assert not any(weak.values())
    people = [person("c:a", "王总", dm=True, meet=1), person("c:b", "李工"), person("c:c", "张三")]
    strong_f = features(
        people=people, docs=[doc(0.6), doc(0.2, revision=2, version="ver_2")],
        stage_activity_id="a_st",
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
