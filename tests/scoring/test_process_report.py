"""The weekly 《过程健康度报告》 on a hand-built fortnight with known answers: each deal's first
stage stay counted from when it entered the stage (also after the opportunity rows merged),
the regression rate, touch density over open high-value deals only, and the change from the
week before."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from scoring import process_health
from tracker.crm import Activity, Opportunity, record_activities, upsert_opportunities
from tracker.crm.outcomes import DealOutcome, record_outcomes
from tracker.stores.clickhouse import ClickHouse

T = "ten_W"


def at(day: int, month: int = 12, hour: int = 9) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def opp(key: str, amount: int, stage: str, entered: datetime, updated: datetime) -> Opportunity:
    return Opportunity(
        opportunity_id=key, account=f"客户{key}", amount=Decimal(amount), currency="CNY",
        stage=stage, probability=20, forecast_category="pipeline", owner="rep@x.cn",
        manager="mgr@x.cn", updated_at=updated, stage_entered_at=entered,
    )  # fmt: skip


def build_fortnight(ch: ClickHouse) -> None:
    # opp_a: in prospecting since 11-25, moved on 12-01 (week 2026-W49: 11-30 .. 12-06)
    upsert_opportunities(ch, T, [opp("opp_a", 500_000, "prospecting", at(25, 11), at(25, 11))])
    # opp_b: prospecting since 11-20, qualification 11-28 (W48), discovery 12-02, back 12-03
    upsert_opportunities(ch, T, [opp("opp_b", 400_000, "prospecting", at(20, 11), at(20, 11))])
    for key, amount in (("opp_c", 600_000), ("opp_d", 10_000), ("opp_e", 20_000)):
        upsert_opportunities(ch, T, [opp(key, amount, "proposal", at(1, 11), at(1, 11))])
    record_outcomes(ch, T, [DealOutcome("opp_c", "won", Decimal(600_000), "CNY", at(5, 12))])
    record_activities(
        ch,
        T,
        [
            Activity("a1", "opp_a", "stage_change", at(1), from_stage="prospecting",
                     to_stage="qualification"),
            Activity("b1", "opp_b", "stage_change", at(28, 11), from_stage="prospecting",
                     to_stage="qualification"),
            Activity("b2", "opp_b", "stage_change", at(2), from_stage="qualification",
                     to_stage="discovery"),
            Activity("b3", "opp_b", "stage_change", at(3), from_stage="discovery",
                     to_stage="qualification"),
            # touches: opp_a (open, high value) twice this week, once the week before;
            # opp_c (closed, high value) six times this week — it must not count
            Activity("t1", "opp_a", "email", at(2)),
            Activity("t2", "opp_a", "meeting", at(4)),
            Activity("t0", "opp_a", "email", at(26, 11)),
            *(Activity(f"c{n}", "opp_c", "call", at(1 + n % 4)) for n in range(6)),
        ],
    )  # fmt: skip
    upsert_opportunities(ch, T, [opp("opp_a", 500_000, "qualification", at(1), at(1))])
    upsert_opportunities(ch, T, [opp("opp_b", 400_000, "qualification", at(3), at(3))])


@pytest.mark.parametrize("merged", [False, True])
async def test_the_weekly_metrics_on_a_hand_built_week(
    clickhouse: ClickHouse, merged: bool
) -> None:
    build_fortnight(clickhouse)
    if merged:  # only the newest opportunity rows survive: the change log keeps creation
        clickhouse.command(f"OPTIMIZE TABLE {clickhouse.database}.opportunities FINAL")
    report = await process_health(clickhouse, T, "2026-W49")
    assert (report.start, report.end) == (date(2026, 11, 30), date(2026, 12, 7))
    (team,) = report.teams
    assert team.team == "mgr@x.cn"
    days = {s.stage: (s.avg_days, s.stays) for s in team.stage_times}
    assert days == {"prospecting": (6.0, 1), "qualification": (4.0, 1), "discovery": (1.0, 1)}
    assert (team.stage_changes, team.regressions, team.regression_rate) == (3, 1, 0.3333)
    assert report.high_value_threshold == 500_000
    # open high-value deals only: opp_a's 2 touches; closed opp_c's 6 calls are left out
    assert (team.high_value_deals, team.high_value_touches, team.touch_density) == (1, 2, 2.0)
    # the week before: opp_b's first stay in prospecting (11-20 .. 11-28), one touch
    assert report.previous_week == "2026-W48" and team.change is not None
    assert team.change.stage_days == {"prospecting": -2.0, "qualification": None,
                                      "discovery": None}  # fmt: skip
    assert team.change.regression_rate == 0.3333 and team.change.touch_density == 1.0
