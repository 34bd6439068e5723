"""A buyer as a person: everything a tenant holds that names them, found by email, and the
erasure of their name and address from the tracked-document domain.

A person's records are the links sent to their address and the CRM contacts with it (and
the links made for those contacts). Erasure pseudonymises them rather than deleting them, so
the deal's history still counts the link — only nobody can tell whom it was for any more:
the email becomes empty, the name `ERASED_NAME`, and the older row versions that held them
are deleted (lightweight DELETE, so no query reads them again; the engine drops the bytes at
its next merge of those parts)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from tracker.errors import BadRequest
from tracker.stores import ClickHouse, delete_rows

__all__ = [
    "ERASED_NAME",
    "PersonRecords",
    "email_digest",
    "find_person",
    "pseudonymise",
    "pseudonymise_sql",
]

ERASED_NAME = "已删除的收件人 (erased recipient)"


def _normalised(email: str) -> str:
    value = email.strip().lower()
    if "@" not in value or len(value) > 320 or any(c in value for c in "\n\r\t,"):
        raise BadRequest("not an email address", code="invalid_email")
    return value


def email_digest(email: str) -> str:
    """What the audit trail and receipts keep instead of the address."""
    return hashlib.sha256(_normalised(email).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class PersonRecords:
    email: str
    names: tuple[str, ...]  # how links and contacts called them
    link_ids: tuple[str, ...]
    opportunity_ids: tuple[str, ...]
    contacts: tuple[tuple[str, str], ...]  # (opportunity_id, contact_id)

    @property
    def found(self) -> bool:
        return bool(self.link_ids or self.contacts)


def find_person(ch: ClickHouse, tenant_id: str, email: str) -> PersonRecords:
    address = _normalised(email)
    db, params = ch.database, {"tenant": tenant_id, "email": address}
    contacts = ch.query(
        f"SELECT opportunity_id, contact_id, name FROM {db}.contacts FINAL "
        "WHERE tenant_id = {tenant:String} AND lower(email) = {email:String}",
        params,
    )
    contact_ids = ",".join(str(c["contact_id"]) for c in contacts)
    links = ch.query(
        f"SELECT link_id, opportunity_id, recipient_name FROM {db}.links FINAL "
        "WHERE tenant_id = {tenant:String} AND (lower(recipient_email) = {email:String} "
        "OR (contact_id != '' AND has(splitByChar(',', {contacts:String}), contact_id))) "
        "ORDER BY link_id",
        {**params, "contacts": contact_ids},
    )
    names = {str(r["recipient_name"]) for r in links} | {str(c["name"]) for c in contacts}
    names.discard("")
    names.discard(ERASED_NAME)
    opportunities = {str(r["opportunity_id"]) for r in links}
    opportunities |= {str(c["opportunity_id"]) for c in contacts}
    opportunities.discard("")
    return PersonRecords(
        email=address,
        names=tuple(sorted(names)),
        link_ids=tuple(str(r["link_id"]) for r in links),
        opportunity_ids=tuple(sorted(opportunities)),
        contacts=tuple((str(c["opportunity_id"]), str(c["contact_id"])) for c in contacts),
    )


_LINKS = "tenant_id = {tenant:String} AND has(splitByChar(',', {links:String}), link_id)"
_CONTACTS = "tenant_id = {tenant:String} AND has(splitByChar(',', {contacts:String}), contact_id)"


def _held_copies(db: str, kind: str, ids: str, cluster: str | None) -> str:
    """The older versions of the rows copied into `detail_entities` (migration 0060): its
    views copied the new versions in; the ones still holding the name go."""
    where = (
        f"tenant_id = {{tenant:String}} AND kind = '{kind}' "
        f"AND has(splitByChar(',', {{{ids}:String}}), entity_id) "
        "AND (email != '' OR name != {erased:String})"
    )
    return delete_rows(db, "detail_entities", where, cluster)


def pseudonymise_sql(
    database: str, cluster: str | None = None, *, links: bool = True, contacts: bool = True
) -> list[str]:
    """The statements of `pseudonymise` (parameters `tenant`, `links`, `contacts`,
    `erased`): a new version of each row without the name and address, then the older
    versions that held them deleted (in cluster mode from the `_local` tables ON CLUSTER)."""
    db, statements = database, []
    if links:
        statements += [
            f"INSERT INTO {db}.links SELECT * REPLACE ('' AS recipient_email, "
            "{erased:String} AS recipient_name, version + 1 AS version) "
            f"FROM {db}.links FINAL WHERE {_LINKS}",
            delete_rows(
                db,
                "links",
                f"{_LINKS} AND (recipient_email != '' OR recipient_name != {{erased:String}})",
                cluster,
            ),
            _held_copies(db, "link", "links", cluster),
        ]
    if contacts:
        statements += [
            f"INSERT INTO {db}.contacts SELECT * REPLACE ('' AS email, {{erased:String}} AS name, "
            f"version + 1 AS version) FROM {db}.contacts FINAL WHERE {_CONTACTS}",
            delete_rows(
                db,
                "contacts",
                f"{_CONTACTS} AND (email != '' OR name != {{erased:String}})",
                cluster,
            ),
            _held_copies(db, "contact", "contacts", cluster),
        ]
    return statements


def pseudonymise(
    ch: ClickHouse, tenant_id: str, person: PersonRecords, *, cluster: str | None = None
) -> None:
    """New versions of the person's links and contacts without their name and address; then
    the older versions that held them are deleted."""
    links = ",".join(person.link_ids)
    contacts = ",".join(contact for _, contact in person.contacts)
    params = {"tenant": tenant_id, "links": links, "contacts": contacts, "erased": ERASED_NAME}
    for statement in pseudonymise_sql(
        ch.database, cluster, links=bool(links), contacts=bool(contacts)
    ):
        ch.command(statement, params)
