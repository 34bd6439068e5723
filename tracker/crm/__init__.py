"""The CRM's entities as the CRM pushes them: the vocabulary (stages, forecast categories,
activity types, outcomes, currencies, the id format), opportunities with their contacts,
activities and outcomes."""

from __future__ import annotations

from tracker.crm.activities import Activity, list_activities, record_activities
from tracker.crm.changes import CHANGE_FIELDS, CrmChange, last_changes
from tracker.crm.opportunities import (
    Contact,
    Opportunity,
    OpportunityRow,
    get_opportunity,
    list_opportunities,
    opportunity_exists,
    tenants_with_opportunities,
    upsert_opportunities,
    version_of,
)
from tracker.crm.outcomes import DealOutcome, get_outcome, record_outcomes
from tracker.crm.payments import Payment, cash_in_period, record_payments
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
    "CHANGE_FIELDS",
    "COMMUNICATION_TYPES",
    "CRM_ID_PATTERN",
    "CURRENCIES",
    "Activity",
    "ActivityType",
    "Contact",
    "CrmChange",
    "DealOutcome",
    "Direction",
    "ForecastCategory",
    "Opportunity",
    "OpportunityRow",
    "Outcome",
    "Payment",
    "Stage",
    "cash_in_period",
    "get_opportunity",
    "get_outcome",
    "last_changes",
    "list_activities",
    "list_opportunities",
    "opportunity_exists",
    "record_activities",
    "record_outcomes",
    "record_payments",
    "tenants_with_opportunities",
    "upsert_opportunities",
    "version_of",
]
