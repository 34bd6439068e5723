"""The monthly 《预测校准报告》 with known answers: the forecast snapshotted at the period start
against won amount and against cash collected (回款), per rep and per team; the TOP3
deviation reasons; a rep flagged for coaching after two quarters more than 25 % off, not
after one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from scoring import ForecastRule, forecast_calibration, save_rules
from scoring.forecast.snapshot_store import ForecastSnapshot, write_snapshots
from tracker.crm import DealOutcome, Payment, record_outcomes, record_payments
from tracker.stores.clickhouse import ClickHouse

T = "ten_F"


def snap(day: date, key: str, rep: str, amount: float, p: float,
         failing: tuple[str, ...] = ()) -> ForecastSnapshot:  # fmt: skip
    return ForecastSnapshot(day, key, rep, "boss@x.cn", "proposal", amount, p, p, 70.0, 60.0,
                            "yellow", failing, None, "health-1.0")  # fmt: skip


def closed(key: str, outcome: str, amount: int, day: date, reason: str = "") -> DealOutcome:
    at = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    return DealOutcome(key, outcome, Decimal(amount), "CNY", at, reason)


def pay(key: str, account: str, opp: str, amount: int, month: int, day: int) -> Payment:
    return Payment(
        key, account, opp, Decimal(amount), "CNY", datetime(2026, month, day, tzinfo=UTC)
    )


def seed(ch: ClickHouse) -> None:
    sep30, mar31, jun30 = date(2026, 9, 30), date(2026, 3, 31), date(2026, 6, 30)
    write_snapshots(ch, T, [
        snap(sep30, "d1", "a@x.cn", 100_000, 0.8),
        snap(sep30, "d2", "a@x.cn", 50_000, 0.6, ("decision_maker_read", "close_date_pushes")),
        snap(sep30, "d3", "b@x.cn", 200_000, 0.3),
        # earlier quarters: c@x.cn 80 % and 125 % over the won amount; d@x.cn only in Q3
        snap(mar31, "c2", "c@x.cn", 100_000, 0.9), snap(jun30, "c3", "c@x.cn", 100_000, 0.9),
        snap(mar31, "e2", "d@x.cn", 100_000, 0.5), snap(jun30, "e3", "d@x.cn", 100_000, 0.9),
    ])  # fmt: skip
    record_outcomes(ch, T, [
        closed("d1", "won", 100_000, date(2026, 10, 10)),
        closed("d2", "lost", 0, date(2026, 10, 15), "budget_cut"),
        closed("d3", "won", 200_000, date(2026, 10, 25)),
        closed("c2", "won", 50_000, date(2026, 5, 10)),
        closed("c3", "won", 40_000, date(2026, 8, 10)),
        closed("e2", "won", 50_000, date(2026, 5, 10)),
        closed("e3", "won", 50_000, date(2026, 8, 10)),
    ])  # fmt: skip
    record_payments(ch, T, [
        pay("pay-1", "华为技术", "d1", 60_000, 10, 20),
        pay("pay-2", "中兴通讯", "d3", 200_000, 10, 28),
        # the same payment sent again, and one received after the period: neither counts twice
        pay("pay-1", "华为技术", "d1", 60_000, 10, 20),
        pay("pay-3", "华为技术", "d1", 40_000, 11, 3),
    ])  # fmt: skip


async def test_forecast_against_won_and_cash_top3_and_coaching(clickhouse: ClickHouse) -> None:
    seed(clickhouse)
    report = await forecast_calibration(clickhouse, T, "2026-10")
    o = report.overall
    # forecast = 100k×0.8 + 50k×0.6 + 200k×0.3 = 170k; won 300k; cash 60k + 200k = 260k
    assert (o.deals, o.won, o.forecast, o.actual, o.cash) == (3, 2, 170_000, 300_000, 260_000)
    assert o.bias == pytest.approx(-0.4333, abs=1e-4)
    assert o.bias_cash == pytest.approx(-0.3462, abs=1e-4)
    a = report.by_rep["a@x.cn"]
    assert (a.forecast, a.actual, a.cash, a.bias) == (110_000, 100_000, 60_000, 0.1)
    assert a.bias_cash == pytest.approx(0.8333, abs=1e-4)
    assert report.by_team["boss@x.cn"].cash == 260_000
    # TOP3: the low-probability win (|60k − 200k|) first, then the lost deal's reasons (30k each)
    assert [r.code for r in report.top_deviation_reasons] == [
        "won_despite_low_probability", "missing:decision_maker_read",
        "missing:close_date_pushes",
    ]  # fmt: skip
    assert [r.deviation for r in report.top_deviation_reasons] == [140_000, 30_000, 30_000]
    # each names its rule from the library (the defaults until a manager edits them)
    assert all(r.rule for r in report.top_deviation_reasons)
    save_rules(clickhouse, T, [ForecastRule(pattern="missing:close_date_pushes",
                                            treatment="推迟两次以上：移出 commit")])  # fmt: skip
    edited = await forecast_calibration(clickhouse, T, "2026-10")
    assert [r.rule for r in edited.top_deviation_reasons] == ["", "", "推迟两次以上：移出 commit"]
    # coaching: c@x.cn was > 25 % off in 2026-Q2 and 2026-Q3; d@x.cn only in Q3
    (flag,) = report.coaching
    assert flag.rep == "c@x.cn"
    assert flag.quarters == {"2026-Q2": 0.8, "2026-Q3": 1.25}
