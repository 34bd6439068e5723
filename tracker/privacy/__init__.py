"""The people being tracked: a person's records found by email and pseudonymised on
erasure (`people`), and the audit trail of who looked at whom (`audit`)."""

from __future__ import annotations

from tracker.privacy.audit import AuditAction, AuditEntry, list_audit, record_audit
from tracker.privacy.people import (
    ERASED_NAME,
    PersonRecords,
    email_digest,
    find_person,
    pseudonymise,
)
from tracker.privacy.retention import (
    Retention,
    enforce_retention,
    get_retention,
    put_retention,
    retention_job,
)
from tracker.privacy.rollups import EVENT_ROLLUPS, rebuild_link_rollups

__all__ = [
    "ERASED_NAME",
    "EVENT_ROLLUPS",
    "AuditAction",
    "AuditEntry",
    "PersonRecords",
    "Retention",
    "email_digest",
    "enforce_retention",
    "find_person",
    "get_retention",
    "list_audit",
    "pseudonymise",
    "put_retention",
    "rebuild_link_rollups",
    "record_audit",
    "retention_job",
]
