"""客户健康度 of accounts: the four pillars (`scoring.accounts.pillars`) weighted into one
0–100 value and banded

    blue (healthy)   value ≥ blue_threshold (70)
    yellow (watch)   value ≥ yellow_threshold (45)
    red (at risk)    below
    insufficient_data  fewer than `min_pillars` (3) pillars with a value, or no risk signal
                     (neither a finance payment record nor any service-request history)

Thresholds and weights are the tenant's (`ScoringSettings.accounts`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel

from scoring.accounts.pillars import AccountPillar, AccountSignals, account_pillars
from scoring.accounts.signals_repository import account_signals
from tracker.crm import Account, get_account, list_accounts
from tracker.scoring_settings import AccountHealthSettings
from tracker.stores import ClickHouse

__all__ = [
    "AccountBand",
    "AccountHealth",
    "AccountHealthPage",
    "account_band",
    "account_health",
    "account_health_page",
    "assess_accounts",
    "health_of",
]


class AccountBand(StrEnum):
    BLUE = "blue"
    YELLOW = "yellow"
    RED = "red"
    INSUFFICIENT_DATA = "insufficient_data"


class AccountHealth(BaseModel):
    account_id: str
    name: str
    industry: str
    owner: str
    value: float | None
    band: AccountBand
    pillars: list[AccountPillar]
    missing: list[str]  # the parts without data
    blue_threshold: float
    yellow_threshold: float
    opportunities: int
    as_of: datetime


class AccountHealthPage(BaseModel):
    items: list[AccountHealth]
    next_after: str | None


def account_band(
    value: float | None, pillars: Sequence[AccountPillar], t: AccountHealthSettings
) -> AccountBand:
    scored = [p for p in pillars if p.value is not None]
    risk = next(p for p in pillars if p.code == "risk_signals")
    if value is None or len(scored) < t.min_pillars or risk.value is None:
        return AccountBand.INSUFFICIENT_DATA
    if value >= t.blue_threshold:
        return AccountBand.BLUE
    return AccountBand.YELLOW if value >= t.yellow_threshold else AccountBand.RED


def health_of(s: AccountSignals, t: AccountHealthSettings) -> AccountHealth:
    pillars = account_pillars(s, t)
    scored = [p for p in pillars if p.value is not None]
    value = round(sum(p.weight * (p.value or 0.0) for p in scored), 1) if scored else None
    a = s.account
    return AccountHealth(
        account_id=a.account_id,
        name=a.name,
        industry=a.industry,
        owner=a.owner,
        value=value,
        band=account_band(value, pillars, t),
        pillars=pillars,
        missing=[part.code for p in pillars for part in p.parts if part.score is None],
        blue_threshold=t.blue_threshold,
        yellow_threshold=t.yellow_threshold,
        opportunities=s.opportunities,
        as_of=s.as_of,
    )


def assess_accounts(
    ch: ClickHouse,
    tenant_id: str,
    accounts: Sequence[Account],
    as_of: datetime,
    t: AccountHealthSettings,
) -> list[AccountHealth]:
    return [health_of(s, t) for s in account_signals(ch, tenant_id, accounts, as_of, t)]


def account_health(
    ch: ClickHouse, tenant_id: str, account_id: str, as_of: datetime, t: AccountHealthSettings
) -> AccountHealth:
    """One account (404 `account_not_found` for another tenant's or an unknown one)."""
    return assess_accounts(ch, tenant_id, [get_account(ch, tenant_id, account_id)], as_of, t)[0]


def account_health_page(
    ch: ClickHouse,
    tenant_id: str,
    as_of: datetime,
    t: AccountHealthSettings,
    *,
    after: str = "",
    limit: int = 100,
) -> AccountHealthPage:
    found = list_accounts(ch, tenant_id, after=after, limit=limit + 1)
    shown = found[:limit]
    return AccountHealthPage(
        items=assess_accounts(ch, tenant_id, shown, as_of, t),
        next_after=shown[-1].account_id if len(found) > limit else None,
    )
