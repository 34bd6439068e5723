"""财务穿透 — the finance cross-check of a forecast: the deal's account's newest finance record
against the tenant's thresholds (`ScoringSettings.finance`). Any rule crossed gives the
forecast `risk_flag: "red"` with one reason per rule:

    late_payer               on-time payment rate < min_on_time_payment_rate (0.8)
    payment_delays           average payment delay > max_payment_delay_days (30)
    credit_exhausted         credit used / credit limit > max_credit_utilisation (0.9)
    receivables_over_limit   receivables outstanding > max_receivables_to_credit_limit (1.0)
                             × credit limit
    forecast_exceeds_credit  the deal's amount > credit limit − credit used (same currency)

No finance record, no flag: the cross-check is evidence, not a guess."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from tracker.crm import AccountFinance, latest_finance
from tracker.scoring_settings import FinanceSettings
from tracker.stores import ClickHouse

__all__ = ["DealTerms", "RiskFlag", "RiskReason", "finance_flags", "finance_risk"]

# (opportunity id, account id, amount, currency) of a forecast deal.
DealTerms = tuple[str, str, Decimal, str]


class RiskReason(BaseModel):
    code: str
    summary: str
    value: float
    threshold: float


class RiskFlag(BaseModel):
    flag: Literal["red"] = "red"
    account_id: str
    finance_as_of: str
    reasons: list[RiskReason]


def finance_risk(
    finance: AccountFinance | None, amount: Decimal, currency: str, rules: FinanceSettings
) -> RiskFlag | None:
    if finance is None:
        return None
    f, found = finance, []
    if (t := rules.min_on_time_payment_rate) is not None and f.on_time_payment_rate < t:
        found.append(
            RiskReason(
                code="late_payer",
                summary=f"On-time payment rate {f.on_time_payment_rate:.0%} is below {t:.0%}",
                value=f.on_time_payment_rate,
                threshold=t,
            )
        )
    delay = f.payment_delay_days
    if (t := rules.max_payment_delay_days) is not None and delay is not None and delay > t:
        found.append(
            RiskReason(
                code="payment_delays",
                summary=f"Invoices paid {delay:g} days late on average (limit {t:g})",
                value=delay,
                threshold=t,
            )
        )
    limit, used = f.credit_limit, f.credit_used
    if (t := rules.max_credit_utilisation) is not None and used > 0:
        share = float(used / limit) if limit > 0 else float("inf")
        if share > t:
            found.append(
                RiskReason(
                    code="credit_exhausted",
                    summary=f"Credit used {used:,.0f} of {limit:,.0f} {f.currency} (over {t:.0%})",
                    value=round(share, 4) if limit > 0 else -1.0,
                    threshold=t,
                )
            )
    t = rules.max_receivables_to_credit_limit
    if t is not None and f.receivables_outstanding > limit * Decimal(str(t)):
        found.append(
            RiskReason(
                code="receivables_over_limit",
                summary=f"Receivables outstanding {f.receivables_outstanding:,.0f} {f.currency} "
                f"exceed {t:g} × the credit limit",
                value=float(f.receivables_outstanding),
                threshold=float(limit * Decimal(str(t))),
            )
        )
    headroom = limit - used
    if rules.check_credit_headroom and currency == f.currency and amount > headroom:
        found.append(
            RiskReason(
                code="forecast_exceeds_credit",
                summary=f"Deal amount {amount:,.0f} exceeds the remaining credit "
                f"{max(headroom, Decimal(0)):,.0f} {f.currency}",
                value=float(amount),
                threshold=float(headroom),
            )
        )
    if not found:
        return None
    return RiskFlag(account_id=f.account_id, finance_as_of=f.as_of.isoformat(), reasons=found)


def finance_flags(
    ch: ClickHouse, tenant_id: str, deals: Sequence[DealTerms], rules: FinanceSettings
) -> dict[str, RiskFlag]:
    """The red flags of these deals, by opportunity id (one finance read for all)."""
    records = latest_finance(ch, tenant_id, sorted({account for _, account, _, _ in deals}))
    found: dict[str, RiskFlag] = {}
    for opportunity_id, account, amount, currency in deals:
        flag = finance_risk(records.get(account), amount, currency, rules)
        if flag is not None:
            found[opportunity_id] = flag
    return found
