"""客户健康度: each pillar, the weighted value and the bands on hand-built signals with known
answers (pure functions; the SQL behind the signals is tested in tests/api/test_account_health)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from scoring import AccountBand
from scoring.accounts import AccountSignals, health_of
from tracker.crm import Account, AccountFinance
from tracker.scoring_settings import AccountHealthSettings

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
T = AccountHealthSettings()
BARE = Account("ten_A", "acc_1", "宁德时代", NOW)


def finance(delay: float | None) -> AccountFinance:
    return AccountFinance("ten_A", "acc_1", date(2025, 3, 1), 0.9, Decimal(0), Decimal(100),
                          Decimal(0), "CNY", NOW, delay)  # fmt: skip


def signals(account: Account = BARE, **kw: object) -> AccountSignals:
    return AccountSignals(account=account, as_of=NOW, **kw)  # type: ignore[arg-type]


def pillar(s: AccountSignals, code: str, t: AccountHealthSettings = T) -> float | None:
    return next(p.value for p in health_of(s, t).pillars if p.code == code)


def test_commercial_potential_known_answers() -> None:
    assert pillar(signals(), "commercial_potential") is None
    # 1 M revenue → 0; +20 % growth → 100; mean 50
    a = replace(BARE, annual_revenue=Decimal(1_000_000), industry_growth_pct=20.0)
    assert pillar(signals(a), "commercial_potential") == 50.0
    # 31.62 M = 10^7.5: half-way on the log scale (50); 0 % growth: 50
    a = replace(BARE, annual_revenue=Decimal("31622776.6"), industry_growth_pct=0.0)
    assert pillar(signals(a), "commercial_potential") == 50.0
    # only revenue known: 1 B and beyond is full, the pillar is that part alone
    assert (
        pillar(signals(replace(BARE, annual_revenue=Decimal("5e9"))), "commercial_potential") == 100
    )
    assert pillar(signals(replace(BARE, industry_growth_pct=-30.0)), "commercial_potential") == 0


def test_partnership_depth_known_answers() -> None:
    assert pillar(signals(), "partnership_depth") is None
    # 2.5 years of 5 → 50; 3 product lines of 3 → 100
    a = replace(BARE, contract_start=date(2022, 9, 1), product_lines=("MES", "ERP", "PLM"))
    assert pillar(signals(a), "partnership_depth") == pytest.approx(75.0, abs=0.1)
    # a catalogue of 4 lines: MES and ERP bought (plus one not in it) → 50; 10 years → 100
    t = AccountHealthSettings(product_catalogue=["MES", "ERP", "PLM", "SCM"])
    a = replace(BARE, contract_start=date(2015, 1, 1), product_lines=("MES", "ERP", "其他"))
    assert pillar(signals(a), "partnership_depth", t) == 75.0
    # a contract signed today, nothing bought yet: data, and it is 0
    assert pillar(signals(replace(BARE, contract_start=NOW.date())), "partnership_depth") == 0.0


def test_relationship_quality_known_answers() -> None:
    assert pillar(signals(), "relationship_quality") is None
    # 3 of 4 meetings held → 75; no KOL named → that part has no data
    assert pillar(signals(meetings_decided=4, meetings_held=3), "relationship_quality") == 75.0
    kol = replace(BARE, kol_contact_ids=("c_wang",))
    # KOL: 1 meeting + 1 document visit = 2 of 4 → 50; attendance 1/2 → 50
    s = signals(kol, meetings_decided=2, meetings_held=1, kol_activities=1, kol_visits=1)
    assert pillar(s, "relationship_quality") == 50.0
    assert pillar(signals(kol), "relationship_quality") == 0.0  # a KOL named, never engaged
    assert pillar(signals(kol, kol_activities=9), "relationship_quality") == 100.0


def test_risk_signals_known_answers() -> None:
    assert pillar(signals(), "risk_signals") is None
    assert pillar(signals(finance=finance(None)), "risk_signals") is None  # no delay figure
    assert pillar(signals(finance=finance(15.0)), "risk_signals") == 75.0  # 1 − 15/60
    assert pillar(signals(finance=finance(90.0)), "risk_signals") == 0.0
    # 6 tickets over the 180-day baseline = 1 per 30 days; 2 now → ratio 2 → 1 − 1/2 = 50
    s = signals(tickets_recent=2, tickets_baseline=6, tickets_ever=8)
    assert pillar(s, "risk_signals") == 50.0
    # no baseline: at least one ticket a month is normal — 1 ticket is 100, 3 tickets 0
    assert pillar(signals(tickets_recent=1, tickets_ever=1), "risk_signals") == 100.0
    assert pillar(signals(tickets_recent=3, tickets_ever=3), "risk_signals") == 0.0
    both = signals(finance=finance(30.0), tickets_recent=2, tickets_baseline=6, tickets_ever=8)
    assert pillar(both, "risk_signals") == 50.0  # mean of 50 and 50


def full(**kw: object) -> AccountSignals:
    a = replace(BARE, annual_revenue=Decimal("1e9"), industry_growth_pct=20.0,
                contract_start=date(2015, 1, 1), product_lines=("MES", "ERP", "PLM"),
                kol_contact_ids=("c_wang",))  # fmt: skip
    base: dict[str, object] = {"meetings_decided": 4, "meetings_held": 4, "kol_activities": 4,
                               "finance": finance(0.0)}  # fmt: skip
    base.update(kw)
    return signals(a, **base)


def test_weighted_value_and_documented_defaults() -> None:
    h = health_of(full(), T)
    assert [p.name for p in h.pillars] == ["商业潜力", "合作深度", "关系质量", "风险信号"]
    assert {p.code: p.weight for p in h.pillars} == {
        "commercial_potential": 0.25, "partnership_depth": 0.25,
        "relationship_quality": 0.2, "risk_signals": 0.3,
    }  # fmt: skip
    assert h.value == 100.0 and h.band is AccountBand.BLUE
    # risk signals at 0 (90 days late): 100 × 0.7 = 70 → still blue at the threshold
    assert health_of(full(finance=finance(90.0)), T).value == 70.0
    # relationship at 0 as well: 100 × 0.5 = 50 → yellow
    late = full(finance=finance(90.0), meetings_held=0, kol_activities=0)
    assert health_of(late, T).value == 50.0 and health_of(late, T).band is AccountBand.YELLOW
    # the brief's recalibration: relationship quality 20 → 35 (of 25 + 25 + 35 + 30)
    t = AccountHealthSettings(weight_relationship_quality=35.0)
    weights = {p.code: p.weight for p in health_of(full(), t).pillars}
    assert weights["relationship_quality"] == round(35 / 115, 4)


@pytest.mark.parametrize(
    ("delay", "held", "band"),
    # 50 from the full commercial and partnership pillars, + 0.2 × relationship (KOL part
    # full) + 0.3 × risk
    [(0.0, 4, "blue"), (30.0, 2, "blue"), (45.0, 0, "yellow"), (60.0, 0, "yellow")],
)
def test_bands(delay: float, held: int, band: str) -> None:
    assert health_of(full(finance=finance(delay), meetings_held=held), T).band.value == band


def test_red_and_the_tenants_thresholds() -> None:
    weak = replace(BARE, annual_revenue=Decimal("1e6"), industry_growth_pct=-20.0,
                   contract_start=NOW.date())  # fmt: skip
    h = health_of(signals(weak, finance=finance(60.0)), T)
    assert h.value == 0.0 and h.band is AccountBand.RED
    ok = health_of(full(), AccountHealthSettings(blue_threshold=101.0, yellow_threshold=100.0))
    assert ok.band is AccountBand.YELLOW


def test_a_new_account_is_insufficient_data_not_red() -> None:
    h = health_of(signals(), T)
    assert h.value is None and h.band is AccountBand.INSUFFICIENT_DATA
    assert "payment_delay" in h.missing and "revenue_scale" in h.missing
    # a new customer: small, just signed, nothing bought — but no risk signal yet
    new = replace(BARE, annual_revenue=Decimal("1e6"), industry_growth_pct=-20.0,
                  contract_start=NOW.date())  # fmt: skip
    h = health_of(signals(new, meetings_decided=1), T)
    assert h.value == 0.0 and h.band is AccountBand.INSUFFICIENT_DATA
    # three pillars with data including risk: judged
    assert health_of(signals(new, finance=finance(0.0)), T).band is not (
        AccountBand.INSUFFICIENT_DATA
    )
