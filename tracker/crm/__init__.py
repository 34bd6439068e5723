"""The CRM's entities as the CRM pushes them: the vocabulary (stages, forecast categories,
activity types, outcomes, currencies, the id format), opportunities with their contacts,
activities, outcomes and stage evidence."""

from __future__ import annotations

from tracker.crm.activities import Activity, list_activities, record_activities
from tracker.crm.changes import CHANGE_FIELDS, CrmChange, last_changes
from tracker.crm.evidence import (
    StageEvidence,
    evidence_kinds,
    list_evidence,
    record_evidence,
    withdraw_evidence,
)
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
from tracker.crm.stage_gate import refuse_unverified_stages
from tracker.crm.stages import (
    BUILTIN_KINDS,
    DEFAULT_STAGES,
    EvidenceForm,
    EvidenceKind,
    StageCheck,
    StageDefinition,
    StageSettings,
    check_stage,
    get_stage_settings,
    put_stage_settings,
)
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
    "BUILTIN_KINDS",
    "CHANGE_FIELDS",
    "COMMUNICATION_TYPES",
    "CRM_ID_PATTERN",
    "CURRENCIES",
    "DEFAULT_STAGES",
    "Activity",
    "ActivityType",
    "Contact",
    "CrmChange",
    "DealOutcome",
    "Direction",
    "EvidenceForm",
    "EvidenceKind",
    "ForecastCategory",
    "Opportunity",
    "OpportunityRow",
    "Outcome",
    "Stage",
    "StageCheck",
    "StageDefinition",
    "StageEvidence",
    "StageSettings",
    "check_stage",
    "evidence_kinds",
    "get_opportunity",
    "get_outcome",
    "get_stage_settings",
    "last_changes",
    "list_activities",
    "list_evidence",
    "list_opportunities",
    "opportunity_exists",
    "put_stage_settings",
    "record_activities",
    "record_evidence",
    "record_outcomes",
    "refuse_unverified_stages",
    "tenants_with_opportunities",
    "upsert_opportunities",
    "version_of",
    "withdraw_evidence",
]
