"""The audit trail: who (an API key or a signed-in person) read analytics about a buyer,
downloaded a watermarked copy, ran identify, exported or erased a person's data, or changed
the privacy notice or the retention limits. Rows are
only ever appended; admins read them per tenant, newest first; the table's TTL keeps them as
long as the events they are about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import pyarrow as pa

from tracker.clock import utcnow
from tracker.cursors import CURSOR_SQL, Cursor
from tracker.ids import new_id
from tracker.privacy.people import email_digest
from tracker.stores import ClickHouse

__all__ = ["AuditAction", "AuditEntry", "list_audit", "record_audit"]

_TS = pa.timestamp("ms", tz="UTC")


class AuditAction(StrEnum):
    ANALYTICS_READ = "analytics.read"
    COPY_DOWNLOADED = "copy.downloaded"
    IDENTIFY = "identify"
    PERSON_EXPORTED = "person.exported"
    PERSON_ERASED = "person.erased"
    SETTINGS_CHANGED = "settings.changed"  # the privacy notice or the retention limits


@dataclass(frozen=True)
class AuditEntry:
    audit_id: str
    at: datetime
    actor: str  # "key:key_…" or "user:<email>"
    action: str
    subject: str  # what it was about: a link, a document, a person's email hash
    detail: str


def record_audit(
    ch: ClickHouse, tenant_id: str, actor: str, action: AuditAction, subject: str, detail: str = ""
) -> None:
    ch.insert(
        "audit_log",
        pa.table(
            {
                "tenant_id": [tenant_id],
                "audit_id": [new_id("audit")],
                "at": pa.array([utcnow()], _TS),
                "actor": [actor],
                "action": [action.value],
                "subject": [subject],
                "detail": [detail],
            }
        ),
    )


def list_audit(
    ch: ClickHouse,
    tenant_id: str,
    *,
    action: str = "",
    involving: str = "",
    after: Cursor | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """The tenant's entries, newest first: optionally one action, optionally the entries
    `involving` one person's email — about them (the subject holds their address's digest,
    never the address) or done by them in the web app (`user:<email>`); `after`: the
    (at, audit_id) of the last entry of the previous page."""
    person = involving.strip().lower()
    params: dict[str, object] = {
        "tenant": tenant_id,
        "action": action,
        "person": person,
        "digest": email_digest(person) if person else "",
        "actor": f"user:{person}",
        "limit": limit,
        **(after.params() if after else {}),
    }
    older = f"AND (at, audit_id) < {CURSOR_SQL} " if after else ""
    rows = ch.query(
        f"SELECT audit_id, at, actor, action, subject, detail FROM {ch.database}.audit_log "
        "WHERE tenant_id = {tenant:String} AND ({action:String} = '' OR action = {action:String}) "
        "AND ({person:String} = '' OR subject = {digest:String} OR lower(actor) = {actor:String}) "
        f"{older}ORDER BY at DESC, audit_id DESC LIMIT {{limit:UInt32}}",
        params,
    )
    return [AuditEntry(**row) for row in rows]  # type: ignore[arg-type]
