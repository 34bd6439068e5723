"""Opportunities and their contacts, as pushed by the CRM.

Upserts are idempotent and order-proof: the row version is the CRM's `updated_at` in
microseconds, so the same payload twice is one row and an older payload arriving late loses.
Contacts carry their opportunity payload's version; the current contacts are those whose
version equals the opportunity's (see migration 0004). `list_opportunities` is the short
listing (`OpportunityRow`) the web app's deal lists show, documents' opportunities included."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa

from tracker.clock import TS, utcnow
from tracker.crm.changes import OpportunityState, record_changes
from tracker.errors import NotFound
from tracker.stores.clickhouse import ClickHouse

__all__ = [
    "Contact",
    "Opportunity",
    "OpportunityRow",
    "get_opportunity",
    "known_opportunity_ids",
    "list_opportunities",
    "opportunity_exists",
    "tenants_with_opportunities",
    "upsert_opportunities",
    "version_of",
]

AMOUNT = pa.decimal128(18, 4)


def version_of(moment: datetime) -> int:
    """Entity version from the CRM's clock: microseconds since the epoch."""
    return int(moment.timestamp() * 1_000_000)


@dataclass(frozen=True)
class Contact:
    contact_id: str
    name: str
    email: str
    role: str = ""
    is_decision_maker: bool = False


@dataclass(frozen=True)
class Opportunity:
    opportunity_id: str
    account: str
    amount: Decimal
    currency: str
    stage: str
    probability: int
    forecast_category: str
    owner: str
    updated_at: datetime
    manager: str = ""
    stage_entered_at: datetime | None = None
    expected_close_date: date | None = None
    account_employees: int | None = None
    account_growth_pct: float | None = None
    payment_issues: bool | None = None
    support_escalations: int | None = None
    product_lines: int = 0
    contacts: tuple[Contact, ...] = field(default=())
    received_at: datetime | None = None


_SCALARS = (
    "opportunity_id",
    "account",
    "currency",
    "stage",
    "forecast_category",
    "owner",
    "manager",
)


def upsert_opportunities(ch: ClickHouse, tenant_id: str, items: Sequence[Opportunity]) -> None:
    """One insert for the contacts, then one for the opportunities (so an opportunity row
    never names a version whose contacts are missing)."""
    if not items:
        return
    now = utcnow()
    record_changes(
        ch,
        tenant_id,
        [
            OpportunityState(
                o.opportunity_id, o.stage, o.expected_close_date, o.amount, o.updated_at
            )
            for o in items
        ],
    )
    contacts = [(o, c) for o in items for c in o.contacts]
    if contacts:
        ch.insert(
            "contacts",
            pa.table(
                {
                    "tenant_id": [tenant_id] * len(contacts),
                    "opportunity_id": [o.opportunity_id for o, _ in contacts],
                    "contact_id": [c.contact_id for _, c in contacts],
                    "name": [c.name for _, c in contacts],
                    "email": [c.email for _, c in contacts],
                    "role": [c.role for _, c in contacts],
                    "is_decision_maker": pa.array(
                        [int(c.is_decision_maker) for _, c in contacts], pa.uint8()
                    ),
                    "version": pa.array(
                        [version_of(o.updated_at) for o, _ in contacts], pa.uint64()
                    ),
                }
            ),
        )
    columns: dict[str, Any] = {"tenant_id": [tenant_id] * len(items)}
    columns.update({name: [getattr(o, name) for o in items] for name in _SCALARS})
    columns.update(
        {
            "amount": pa.array([o.amount for o in items], AMOUNT),
            "stage_entered_at": pa.array([o.stage_entered_at for o in items], TS),
            "expected_close_date": pa.array([o.expected_close_date for o in items], pa.date32()),
            "probability": pa.array([o.probability for o in items], pa.uint8()),
            "account_employees": pa.array([o.account_employees for o in items], pa.uint32()),
            "account_growth_pct": pa.array([o.account_growth_pct for o in items], pa.float64()),
            "payment_issues": pa.array(
                [None if o.payment_issues is None else int(o.payment_issues) for o in items],
                pa.uint8(),
            ),
            "support_escalations": pa.array([o.support_escalations for o in items], pa.uint32()),
            "product_lines": pa.array([o.product_lines for o in items], pa.uint16()),
            "updated_at": pa.array([o.updated_at for o in items], TS),
            "received_at": pa.array([now] * len(items), TS),
            "version": pa.array([version_of(o.updated_at) for o in items], pa.uint64()),
        }
    )
    ch.insert("opportunities", pa.table(columns))


_COLUMNS = (
    "opportunity_id, account, amount, currency, stage, probability, forecast_category, owner, "
    "updated_at, manager, stage_entered_at, expected_close_date, account_employees, "
    "account_growth_pct, payment_issues, support_escalations, product_lines, received_at, "
    "version"
)


def get_opportunity(ch: ClickHouse, tenant_id: str, opportunity_id: str) -> Opportunity:
    params = {"tenant_id": tenant_id, "opportunity_id": opportunity_id}
    rows = ch.query(
        f"SELECT {_COLUMNS} FROM {ch.database}.opportunities FINAL "
        "WHERE tenant_id = {tenant_id:String} AND opportunity_id = {opportunity_id:String} "
        "AND deleted = 0",
        params,
    )
    if not rows:
        raise NotFound("unknown opportunity", code="opportunity_not_found")
    row = rows[0]
    contacts = ch.query(
        "SELECT contact_id, name, email, role, is_decision_maker "
        f"FROM {ch.database}.contacts FINAL "
        "WHERE tenant_id = {tenant_id:String} AND opportunity_id = {opportunity_id:String} "
        "AND version = {version:UInt64} ORDER BY contact_id",
        {**params, "version": row.pop("version")},
    )
    if row["payment_issues"] is not None:
        row["payment_issues"] = bool(row["payment_issues"])
    return Opportunity(
        **row,
        contacts=tuple(
            Contact(**{**c, "is_decision_maker": bool(c["is_decision_maker"])}) for c in contacts
        ),
    )


def opportunity_exists(ch: ClickHouse, tenant_id: str, opportunity_id: str) -> bool:
    """Known to this tenant: pushed by the CRM, or named by one of its tracked links."""
    rows = ch.query(
        f"SELECT 1 AS hit FROM {ch.database}.opportunities "
        "WHERE tenant_id = {tenant_id:String} AND opportunity_id = {opportunity_id:String} "
        f"UNION ALL SELECT 1 AS hit FROM {ch.database}.links "
        "WHERE tenant_id = {tenant_id:String} AND opportunity_id = {opportunity_id:String} "
        "LIMIT 1",
        {"tenant_id": tenant_id, "opportunity_id": opportunity_id},
    )
    return bool(rows)


def known_opportunity_ids(ch: ClickHouse, tenant_id: str, ids: Sequence[str]) -> set[str]:
    """Those of `ids` the CRM has pushed to this tenant (deleted ones included: re-sending a
    deleted opportunity is not a new one)."""
    if not ids:
        return set()
    rows = ch.query(
        f"SELECT DISTINCT opportunity_id FROM {ch.database}.opportunities "
        "WHERE tenant_id = {tenant_id:String} "
        "AND has(splitByChar(',', {ids:String}), opportunity_id)",
        {"tenant_id": tenant_id, "ids": ",".join(sorted(set(ids)))},
    )
    return {str(r["opportunity_id"]) for r in rows}


@dataclass(frozen=True)
class OpportunityRow:
    """One line of an opportunity list; `in_crm` False: only documents name it."""

    opportunity_id: str
    account: str
    amount: Decimal | None
    currency: str
    stage: str
    probability: int | None
    owner: str
    manager: str
    expected_close_date: date | None
    in_crm: bool


def list_opportunities(
    ch: ClickHouse, tenant_id: str, owners: frozenset[str] | None, *, limit: int = 5000
) -> list[OpportunityRow]:
    """Opportunities owned or managed by one of `owners` (None: the whole tenant), by id, then
    the ids only their documents name (not pushed by the CRM yet; `in_crm` False, owner the
    document's). Emails never contain commas (tracker.users)."""
    params: dict[str, Any] = {
        "tenant_id": tenant_id,
        "owners": ",".join(sorted(owners or ())),
        "all": 1 if owners is None else 0,
        "limit": limit,
    }
    mine = "({all:UInt8} = 1 OR has(splitByChar(',', {owners:String}), lower(%s)))"
    crm = ch.query(
        "SELECT opportunity_id, account, amount, currency, stage, probability, owner, manager, "
        f"expected_close_date FROM {ch.database}.opportunities FINAL "
        "WHERE tenant_id = {tenant_id:String} AND deleted = 0 "
        f"AND ({mine % 'owner'} OR {mine % 'manager'}) "
        "ORDER BY opportunity_id LIMIT {limit:UInt32}",
        params,
    )
    found = [OpportunityRow(**r, in_crm=True) for r in crm]
    known = {o.opportunity_id for o in found}
    docs = ch.query(
        "SELECT opportunity_id, any(owner) AS doc_owner "
        f"FROM {ch.database}.documents FINAL WHERE tenant_id = {{tenant_id:String}} "
        f"AND deleted = 0 AND opportunity_id != '' AND {mine % 'owner'} "
        "AND opportunity_id NOT IN ("
        f"SELECT opportunity_id FROM {ch.database}.opportunities FINAL "
        "WHERE tenant_id = {tenant_id:String} AND deleted = 0) "
        "GROUP BY opportunity_id ORDER BY opportunity_id LIMIT {limit:UInt32}",
        params,
    )
    found += [
        OpportunityRow(r["opportunity_id"], "", None, "", "", None, r["doc_owner"], "", None, False)
        for r in docs
        if r["opportunity_id"] not in known
    ]
    return found


def ever_owned_by(ch: ClickHouse, tenant_id: str, owner: str) -> list[str]:
    """Ids of the tenant's opportunities any stored version of which names `owner` as their
    owner, compared as Python lowers it (ClickHouse's `lower` is ASCII only): a superset of
    the deals `owner` holds as of any moment, whichever version that moment picks."""
    rows = ch.query(
        f"SELECT DISTINCT opportunity_id, owner FROM {ch.database}.opportunities "
        "WHERE tenant_id = {tenant_id:String}",
        {"tenant_id": tenant_id},
    )
    mine = owner.lower()
    return sorted({r["opportunity_id"] for r in rows if str(r["owner"]).lower() == mine})


def tenants_with_opportunities(ch: ClickHouse) -> list[str]:
    rows = ch.query(
        f"SELECT DISTINCT tenant_id FROM {ch.database}.opportunities ORDER BY tenant_id"
    )
    return [str(r["tenant_id"]) for r in rows]
