"""Accounts (客户) and their finance records (财务穿透), as the CRM and the finance system push
them. An opportunity belongs to the account whose id its `account` field holds.

    Account        name, industry, annual revenue, industry growth, contract start, product
                   lines bought, KOL / champion contact ids, the account's rep (owner)
    AccountFinance one record per as-of day: on-time payment rate, receivables outstanding,
                   credit limit and used, average payment delay; the newest is current

The newest write of an account wins; every read is scoped by tenant."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Final

import pyarrow as pa

from tracker.clock import TS
from tracker.crm.opportunities import Contact
from tracker.errors import NotFound
from tracker.stores.clickhouse import ClickHouse
from tracker.stores.entities import EntityTable

__all__ = [
    "Account",
    "AccountDeals",
    "AccountFinance",
    "account_contacts",
    "account_deals",
    "account_opportunity_ids",
    "get_account",
    "get_finance",
    "latest_finance",
    "list_accounts",
    "put_account",
    "put_finance",
    "tenants_with_accounts",
]

_MONEY: Final = pa.decimal128(18, 4)
_IDS: Final = pa.list_(pa.string())


@dataclass(frozen=True)
class Account:
    tenant_id: str
    account_id: str
    name: str
    updated_at: datetime
    industry: str = ""
    annual_revenue: Decimal | None = None
    currency: str = ""
    industry_growth_pct: float | None = None
    contract_start: date | None = None
    product_lines: tuple[str, ...] = ()
    kol_contact_ids: tuple[str, ...] = ()
    owner: str = ""


@dataclass(frozen=True)
class AccountFinance:
    tenant_id: str
    account_id: str
    as_of: date
    on_time_payment_rate: float
    receivables_outstanding: Decimal
    credit_limit: Decimal
    credit_used: Decimal
    currency: str
    updated_at: datetime
    payment_delay_days: float | None = None


ACCOUNTS: Final = EntityTable(
    "accounts",
    Account,
    {
        "updated_at": TS,
        "annual_revenue": _MONEY,
        "industry_growth_pct": pa.float64(),
        "contract_start": pa.date32(),
        "product_lines": _IDS,
        "kol_contact_ids": _IDS,
    },
)
FINANCE: Final = EntityTable(
    "account_finance",
    AccountFinance,
    {
        "as_of": pa.date32(),
        "on_time_payment_rate": pa.float64(),
        "receivables_outstanding": _MONEY,
        "credit_limit": _MONEY,
        "credit_used": _MONEY,
        "payment_delay_days": pa.float64(),
        "updated_at": TS,
    },
)


def put_account(ch: ClickHouse, account: Account) -> None:
    ACCOUNTS.write(ch, [account])


def get_account(ch: ClickHouse, tenant_id: str, account_id: str) -> Account:
    found = ACCOUNTS.find(ch, tenant_id, account_id=account_id)
    if found is None:
        raise NotFound("unknown account", code="account_not_found")
    return found


def list_accounts(
    ch: ClickHouse,
    tenant_id: str,
    *,
    after: str = "",
    limit: int = 100,
    ids: Sequence[str] | None = None,
) -> list[Account]:
    """By id, those after `after` (keyset paging); only `ids` when given."""
    where, params = "account_id > {after:String}", {"after": after}
    if ids is not None:
        where += " AND has(splitByChar(',', {ids:String}), account_id)"
        params["ids"] = ",".join(ids)  # CRM ids never contain commas
    return ACCOUNTS.select(
        ch, tenant_id, where=where, params=params, order_by="account_id", limit=limit
    )


def put_finance(ch: ClickHouse, finance: AccountFinance) -> None:
    FINANCE.write(ch, [finance])


def get_finance(ch: ClickHouse, tenant_id: str, account_id: str) -> AccountFinance | None:
    """The newest record (by `as_of`), None when finance never sent one."""
    found = FINANCE.select(
        ch, tenant_id, equals={"account_id": account_id}, order_by="as_of DESC", limit=1
    )
    return found[0] if found else None


def latest_finance(
    ch: ClickHouse, tenant_id: str, account_ids: Sequence[str]
) -> dict[str, AccountFinance]:
    """The newest record of each of `account_ids` that has one."""
    if not account_ids:
        return {}
    rows = ch.query(
        f"SELECT {', '.join(FINANCE.columns)} FROM {ch.database}.account_finance FINAL "
        "WHERE tenant_id = {tenant_id:String} "
        "AND has(splitByChar(',', {ids:String}), account_id) "
        "ORDER BY account_id, as_of DESC LIMIT 1 BY account_id",
        {"tenant_id": tenant_id, "ids": ",".join(sorted(set(account_ids)))},
    )
    return {str(r["account_id"]): FINANCE.entity_of(r) for r in rows}


def account_opportunity_ids(ch: ClickHouse, tenant_id: str, account_id: str) -> list[str]:
    rows = ch.query(
        f"SELECT opportunity_id FROM {ch.database}.opportunities FINAL "
        "WHERE tenant_id = {tenant_id:String} AND account = {account:String} AND deleted = 0 "
        "ORDER BY opportunity_id",
        {"tenant_id": tenant_id, "account": account_id},
    )
    return [str(r["opportunity_id"]) for r in rows]


@dataclass(frozen=True)
class AccountDeals:
    """The account's newest opportunity (by the CRM's `updated_at`): its id, rep and manager."""

    opportunity_id: str
    owner: str
    manager: str


def account_deals(
    ch: ClickHouse, tenant_id: str, account_ids: Sequence[str]
) -> dict[str, AccountDeals]:
    if not account_ids:
        return {}
    rows = ch.query(
        "SELECT account, argMax(opportunity_id, updated_at) AS opportunity_id, "
        "argMax(owner, updated_at) AS owner, argMax(manager, updated_at) AS manager "
        f"FROM {ch.database}.opportunities FINAL "
        "WHERE tenant_id = {tenant_id:String} AND deleted = 0 "
        "AND has(splitByChar(',', {ids:String}), account) GROUP BY account",
        {"tenant_id": tenant_id, "ids": ",".join(sorted(set(account_ids)))},
    )
    return {
        str(r["account"]): AccountDeals(r["opportunity_id"], r["owner"], r["manager"]) for r in rows
    }


def account_contacts(ch: ClickHouse, tenant_id: str, account_id: str) -> list[Contact]:
    """The current contacts of the account's opportunities, one per contact id (the newest
    opportunity's copy), by id."""
    rows = ch.query(
        "SELECT c.contact_id AS contact_id, argMax(c.name, c.version) AS name, "
        "argMax(c.email, c.version) AS email, argMax(c.role, c.version) AS role, "
        "argMax(c.is_decision_maker, c.version) AS is_decision_maker "
        f"FROM {ch.database}.contacts AS c FINAL "
        "INNER JOIN (SELECT opportunity_id, version "
        f"  FROM {ch.database}.opportunities FINAL WHERE tenant_id = {{tenant_id:String}} "
        "  AND deleted = 0 AND account = {account:String}) AS o "
        "ON o.opportunity_id = c.opportunity_id AND o.version = c.version "
        "WHERE c.tenant_id = {tenant_id:String} GROUP BY c.contact_id ORDER BY c.contact_id",
        {"tenant_id": tenant_id, "account": account_id},
    )
    return [
        Contact(r["contact_id"], r["name"], r["email"], r["role"], bool(r["is_decision_maker"]))
        for r in rows
    ]


def tenants_with_accounts(ch: ClickHouse) -> list[str]:
    rows = ch.query(f"SELECT DISTINCT tenant_id FROM {ch.database}.accounts ORDER BY tenant_id")
    return [str(r["tenant_id"]) for r in rows]
