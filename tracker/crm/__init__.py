"""The CRM's entities as the CRM pushes them: the vocabulary (stages, forecast categories,
activity types, outcomes, currencies, the id format), accounts with their finance records
and freezes, opportunities with their contacts, activities and outcomes."""

from __future__ import annotations

from tracker.crm.account_freezes import (
    FreezeEntry,
    check_not_frozen,
    freeze_history,
    frozen_accounts,
    record_freeze,
)
from tracker.crm.accounts import (
    Account,
    AccountFinance,
    account_opportunity_ids,
    get_account,
    get_finance,
    latest_finance,
    list_accounts,
    put_account,
    put_finance,
)
from tracker.crm.activities import Activity, list_activities, record_activities
from tracker.crm.opportunities import (
    Contact,
    Opportunity,
    OpportunityRow,
    get_opportunity,
    known_opportunity_ids,
    list_opportunities,
    opportunity_exists,
    tenants_with_opportunities,
    upsert_opportunities,
    version_of,
)
from tracker.crm.outcomes import DealOutcome, get_outcome, record_outcomes
from tracker.crm.vocabulary import (
    COMMUNICATION_TYPES,
    CRM_ID_PATTERN,
    CURRENCIES,
    ActivityType,
    Direction,
    ForecastCategory,
    Outcome,
    Stage,
)

__all__ = [
    "COMMUNICATION_TYPES",
    "CRM_ID_PATTERN",
    "CURRENCIES",
    "Account",
    "AccountFinance",
    "Activity",
    "ActivityType",
    "Contact",
    "DealOutcome",
    "Direction",
    "ForecastCategory",
    "FreezeEntry",
    "Opportunity",
    "OpportunityRow",
    "Outcome",
    "Stage",
    "account_opportunity_ids",
    "check_not_frozen",
    "freeze_history",
    "frozen_accounts",
    "get_account",
    "get_finance",
    "get_opportunity",
    "get_outcome",
    "known_opportunity_ids",
    "latest_finance",
    "list_accounts",
    "list_activities",
    "list_opportunities",
    "opportunity_exists",
    "put_account",
    "put_finance",
    "record_activities",
    "record_freeze",
    "record_outcomes",
    "tenants_with_opportunities",
    "upsert_opportunities",
    "version_of",
]
