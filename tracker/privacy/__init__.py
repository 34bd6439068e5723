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

__all__ = [
    "ERASED_NAME",
    "AuditAction",
    "AuditEntry",
    "PersonRecords",
    "email_digest",
    "find_person",
    "list_audit",
    "pseudonymise",
    "record_audit",
]
