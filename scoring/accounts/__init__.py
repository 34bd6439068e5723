"""Accounts: customer health (客户健康度) per account — four pillars, bands and their
record (`scoring.account_bands` publishes the changes; the finance cross-check of forecasts
is `scoring.forecast`'s)."""

from __future__ import annotations

from scoring.accounts.band_store import BandRecord, band_history, current_bands, write_bands
from scoring.accounts.health import (
    AccountBand,
    AccountHealth,
    AccountHealthPage,
    account_band,
    account_health,
    account_health_page,
    assess_accounts,
    health_of,
)
from scoring.accounts.pillars import (
    PILLAR_NAMES,
    AccountPillar,
    AccountSignals,
    PillarPart,
    account_pillars,
)

__all__ = [
    "PILLAR_NAMES",
    "AccountBand",
    "AccountHealth",
    "AccountHealthPage",
    "AccountPillar",
    "AccountSignals",
    "BandRecord",
    "PillarPart",
    "account_band",
    "account_health",
    "account_health_page",
    "account_pillars",
    "assess_accounts",
    "band_history",
    "current_bands",
    "health_of",
    "write_bands",
]
