"""Accounts: customer health (客户健康度) per account — four pillars, bands, the band
changes scoring publishes — and the finance cross-check (财务穿透) of forecasts."""

from __future__ import annotations

from scoring.accounts.finance_risk import (
    DealTerms,
    RiskFlag,
    RiskReason,
    finance_flags,
    finance_risk,
)

__all__ = ["DealTerms", "RiskFlag", "RiskReason", "finance_flags", "finance_risk"]
