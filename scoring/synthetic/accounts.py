"""The account side of the synthetic data (客户健康度's inputs and the finance cross-check):
one account per distinct deal account (keyed by the deal's account name), its finance record
and its deal's service tickets, all drawn from the deal's hidden quality q — from their own
random stream, so the rest of a dataset stays byte-identical to one generated without them.

    annual revenue      lognormal(ln 2·10⁸ + 1.5 (q − ½), 1.0) CNY
    industry growth     N(4 + 12 q, 10) %
    contract start      70 %: years before the deal ~ exponential(mean 0.5 + 4 q); else none
    product lines       1 + Poisson(0.5 + 2 q) of the five-line catalogue
    KOL                 the deal's first contact
    finance (as of the deal's last day in the window)
        on-time payment rate   clamp(N(0.55 + 0.4 q, 0.08), 0, 1)
        payment delay days     max(N(45 (1 − q), 6), 0)
        credit limit           2 × the deal amount; used clamp(N(0.95 − 0.6 q, 0.15), 0, 1.3) of it
        receivables            used × U(0.3, 0.9)
    tickets (service_request activities on the deal, between its creation and its end)
        Poisson(0.3 + 1.2 (1 − q)) per 30 days, × (1 + 3 (1 − q)) in the last 30 days
"""

from __future__ import annotations

import math
import random
from typing import Final

from scoring.synthetic.arrow import Columns
from scoring.synthetic.deals import DAY_MS, Deal, DealTables, activity

__all__ = ["CATALOGUE", "AccountTables", "emit_accounts"]

CATALOGUE: Final = ("MES", "ERP", "PLM", "SCM", "CRM")
_INDUSTRIES: Final = ("制造业", "新能源", "医疗", "零售", "金融")


class AccountTables:
    def __init__(self) -> None:
        self.accounts = Columns("accounts")
        self.finance = Columns("account_finance")


def _poisson(rnd: random.Random, lam: float) -> int:
    threshold, k, p = math.exp(-lam), 0, rnd.random()
    while p > threshold:
        k += 1
        p *= rnd.random()
    return k


def emit_accounts(
    deals: list[Deal], owners: dict[str, str], seed: int, crm: DealTables
) -> AccountTables:
    """Account and finance rows, and tickets appended to `crm`'s activities. `owners`:
    opportunity id → its rep's email."""
    rnd = random.Random(f"accounts-{seed}")
    out, seen = AccountTables(), set()
    for d in deals:
        q, end = d.quality, d.end_ms
        if (d.tenant_id, d.account) not in seen:
            seen.add((d.tenant_id, d.account))
            years = rnd.expovariate(1 / (0.5 + 4 * q)) if rnd.random() < 0.7 else None
            lines = min(1 + _poisson(rnd, 0.5 + 2 * q), len(CATALOGUE))
            out.accounts.add(
                tenant_id=d.tenant_id,
                account_id=d.account,
                name=d.account,
                industry=rnd.choice(_INDUSTRIES),
                annual_revenue=int(rnd.lognormvariate(math.log(2e8) + 1.5 * (q - 0.5), 1.0)),
                currency="CNY",
                industry_growth_pct=round(rnd.gauss(4 + 12 * q, 10), 1),
                contract_start=None
                if years is None
                else (d.created_ms // DAY_MS) - int(365 * years),
                product_lines=list(rnd.sample(CATALOGUE, lines)),
                kol_contact_ids=d.contact_ids[:1],
                owner=owners.get(d.opportunity_id, ""),
                updated_at=d.created_ms,
                version=d.created_ms * 1000 + 2,
            )
            limit = 2 * d.amount
            used = int(limit * min(max(rnd.gauss(0.95 - 0.6 * q, 0.15), 0.0), 1.3))
            out.finance.add(
                tenant_id=d.tenant_id,
                account_id=d.account,
                as_of=end // DAY_MS,
                on_time_payment_rate=round(min(max(rnd.gauss(0.55 + 0.4 * q, 0.08), 0.0), 1.0), 3),
                receivables_outstanding=int(used * rnd.uniform(0.3, 0.9)),
                credit_limit=limit,
                credit_used=used,
                currency="CNY",
                payment_delay_days=round(max(rnd.gauss(45 * (1 - q), 6), 0.0), 1),
                updated_at=end,
                version=end * 1000 + 2,
            )
        rate = 0.3 + 1.2 * (1 - q)
        for window in range(7):  # 7 × 30 days back from the deal's end, newest first
            lam = rate * (1 + 3 * (1 - q)) if window == 0 else rate
            for _ in range(_poisson(rnd, lam)):
                at = end - window * 30 * DAY_MS - int(rnd.random() * 30 * DAY_MS)
                if at >= d.created_ms:  # none before the deal: it did not exist yet
                    activity(crm, d, seed, at, "service_request", subject="工单")
    return out
