"""Freezes of new opportunities for an account (the red band's 冻结新商机创建权限).

Every freeze and unfreeze is an entry in the account's audit list (who, why, when); the
newest entry says whether the account is frozen now. A frozen account refuses opportunities
it does not have yet (409 `account_frozen`); its existing ones still update. Red-band freezes
and their automatic lifting are written by `outbound`'s band actions (actor `system`), an
admin's unfreeze by the API with the admin's reason."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import pyarrow as pa

from tracker.clock import TS, utcnow
from tracker.crm.opportunities import known_opportunity_ids
from tracker.errors import Conflict
from tracker.ids import new_id
from tracker.stores.clickhouse import ClickHouse
from tracker.stores.entities import EntityTable

__all__ = [
    "FreezeEntry",
    "check_not_frozen",
    "freeze_history",
    "frozen_accounts",
    "record_freeze",
]


@dataclass(frozen=True)
class FreezeEntry:
    tenant_id: str
    account_id: str
    entry_id: str
    frozen: bool
    reason: str
    actor: str
    at: datetime


FREEZES: Final = EntityTable("account_freezes", FreezeEntry, {"at": TS, "frozen": pa.uint8()})


def record_freeze(
    ch: ClickHouse,
    tenant_id: str,
    account_id: str,
    *,
    frozen: bool,
    reason: str,
    actor: str,
    source: str = "",
) -> FreezeEntry:
    """Append an entry. `source` (e.g. a band change key) makes the entry's id derived, so
    the same automatic freeze recorded twice is one entry."""
    if source:
        raw = f"{tenant_id}|{account_id}|{source}|{int(frozen)}".encode()
        entry_id = "frz_" + hashlib.sha256(raw).hexdigest()[:24]
    else:
        entry_id = new_id("freeze")
    entry = FreezeEntry(tenant_id, account_id, entry_id, frozen, reason, actor, utcnow())
    FREEZES.write(ch, [entry])
    return entry


def freeze_history(ch: ClickHouse, tenant_id: str, account_id: str) -> list[FreezeEntry]:
    """The audit list, newest first."""
    return FREEZES.select(
        ch, tenant_id, equals={"account_id": account_id}, order_by="at DESC, entry_id DESC"
    )


def frozen_accounts(ch: ClickHouse, tenant_id: str, account_ids: Sequence[str]) -> set[str]:
    """Those of `account_ids` whose newest entry is a freeze."""
    if not account_ids:
        return set()
    rows = ch.query(
        "SELECT account_id, argMax(frozen, (at, entry_id)) AS frozen "
        f"FROM {ch.database}.account_freezes FINAL "
        "WHERE tenant_id = {tenant_id:String} "
        "AND has(splitByChar(',', {ids:String}), account_id) GROUP BY account_id",
        {"tenant_id": tenant_id, "ids": ",".join(sorted(set(account_ids)))},
    )
    return {str(r["account_id"]) for r in rows if r["frozen"]}


def check_not_frozen(
    ch: ClickHouse, tenant_id: str, opportunities: Sequence[tuple[str, str]]
) -> None:
    """Refuse (409 `account_frozen`, nothing written) when any (opportunity id, account id)
    pair is an opportunity the tenant does not have yet for a frozen account."""
    frozen = frozen_accounts(ch, tenant_id, [a for _, a in opportunities])
    if not frozen:
        return
    known = known_opportunity_ids(ch, tenant_id, [o for o, a in opportunities if a in frozen])
    refused = sorted(o for o, a in opportunities if a in frozen and o not in known)
    if refused:
        raise Conflict(
            "new opportunities are frozen for this account while its health is red",
            code="account_frozen",
            accounts=sorted({a for o, a in opportunities if o in refused}),
            opportunities=refused,
        )
