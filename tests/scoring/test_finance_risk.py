"""财务穿透 rules on hand-built finance records with known answers (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from scoring import finance_risk
from tracker.crm import AccountFinance
from tracker.scoring_settings import FinanceSettings

RULES = FinanceSettings()


def record(**kw: object) -> AccountFinance:
    base: dict[str, object] = {
        "tenant_id": "ten_A", "account_id": "acc_1", "as_of": date(2025, 3, 1),
        "on_time_payment_rate": 0.95, "receivables_outstanding": Decimal("100000"),
        "credit_limit": Decimal("1000000"), "credit_used": Decimal("300000"), "currency": "CNY",
        "updated_at": datetime(2025, 3, 1, tzinfo=UTC), "payment_delay_days": 5.0,
    }  # fmt: skip
    base.update(kw)
    return AccountFinance(**base)  # type: ignore[arg-type]


def codes(f: AccountFinance | None, amount: str = "100000", currency: str = "CNY") -> list[str]:
    flag = finance_risk(f, Decimal(amount), currency, RULES)
    return [] if flag is None else [r.code for r in flag.reasons]


def test_a_good_payer_with_headroom_is_not_flagged() -> None:
    assert codes(record()) == []
    assert codes(None) == []  # no finance record: no flag, never a guess


def test_each_rule_at_its_boundary() -> None:
    assert codes(record(on_time_payment_rate=0.8)) == []
    assert codes(record(on_time_payment_rate=0.79)) == ["late_payer"]
    assert codes(record(payment_delay_days=30.0)) == []
    assert codes(record(payment_delay_days=30.5)) == ["payment_delays"]
    # 900 000 of 1 000 000 used = 0.9: at the limit; the deal (50 000) still fits
    assert codes(record(credit_used=Decimal("900000")), amount="50000") == []
    assert codes(record(credit_used=Decimal("900001")), amount="50000") == ["credit_exhausted"]
    assert codes(record(receivables_outstanding=Decimal("1000000"))) == []
    assert codes(record(receivables_outstanding=Decimal("1000000.01"))) == [
        "receivables_over_limit"
    ]


def test_the_deal_must_fit_in_the_remaining_credit() -> None:
    assert codes(record(), amount="700000") == []  # headroom 1 000 000 − 300 000
    assert codes(record(), amount="700000.01") == ["forecast_exceeds_credit"]
    assert codes(record(), amount="9000000", currency="USD") == []  # other currency: not compared


def test_thresholds_are_the_tenants() -> None:
    strict = FinanceSettings(min_on_time_payment_rate=0.99, check_credit_headroom=False)
    flag = finance_risk(record(), Decimal("9000000"), "CNY", strict)
    assert flag is not None and [r.code for r in flag.reasons] == ["late_payer"]
    assert flag.flag == "red" and flag.account_id == "acc_1" and flag.finance_as_of == "2025-03-01"
    off = FinanceSettings(min_on_time_payment_rate=None)
    assert finance_risk(record(on_time_payment_rate=0.1), Decimal(1), "CNY", off) is None
