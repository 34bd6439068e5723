"""The people being tracked: a person's records found by email and pseudonymised on
erasure (`people`), the audit trail of who looked at whom (`audit`), retention per tenant
(`retention`) and the notice shown to them with what it lets a viewer record (`notice`)."""

from __future__ import annotations

from tracker.privacy.audit import AuditAction, AuditEntry, list_audit, record_audit
from tracker.privacy.copies import CopyKind, expire_copies, record_copy
from tracker.privacy.notice import (
    PrivacyMode,
    PrivacyNotice,
    get_privacy_notice,
    put_privacy_notice,
    set_privacy_notice,
    tracking_for,
)
from tracker.privacy.people import (
    ERASED_NAME,
    PersonRecords,
    email_digest,
    find_person,
    pseudonymise,
    pseudonymise_sql,
)
from tracker.privacy.retention import (
    Retention,
    enforce_retention,
    get_retention,
    put_retention,
    retention_job,
    set_retention,
)
from tracker.privacy.rollups import (
    EVENT_ROLLUPS,
    LINK_SCOPE,
    rebuild_link_rollups,
    rollup_rebuild_sql,
    rollup_selects,
)

__all__ = [
    "ERASED_NAME",
    "EVENT_ROLLUPS",
    "LINK_SCOPE",
    "AuditAction",
    "AuditEntry",
    "CopyKind",
    "PersonRecords",
    "PrivacyMode",
    "PrivacyNotice",
    "Retention",
    "email_digest",
    "enforce_retention",
    "expire_copies",
    "find_person",
    "get_privacy_notice",
    "get_retention",
    "list_audit",
    "pseudonymise",
    "pseudonymise_sql",
    "put_privacy_notice",
    "put_retention",
    "rebuild_link_rollups",
    "record_audit",
    "record_copy",
    "retention_job",
    "rollup_rebuild_sql",
    "rollup_selects",
    "set_privacy_notice",
    "set_retention",
    "tracking_for",
]
