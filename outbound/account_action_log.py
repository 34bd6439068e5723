"""The log of account band actions: one row per action taken, its id derived from the band
change and the kind, so an action is recognised as done however often its change is
published. Tenant-scoped reads, newest first."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import pyarrow as pa

from tracker.clock import TS
from tracker.stores import ClickHouse, EntityTable

__all__ = ["AccountAction", "action_id_of", "find_action", "list_actions", "log_action"]


@dataclass(frozen=True)
class AccountAction:
    tenant_id: str
    account_id: str
    action_id: str
    change_key: str
    kind: str  # nurture | joint_visit | escalation | freeze | unfreeze
    band: str
    detail: str
    people: tuple[str, ...]
    todo_ids: tuple[str, ...]
    link_ids: tuple[str, ...]
    notices: int
    created_at: datetime


_IDS: Final = pa.list_(pa.string())
ACTIONS: Final = EntityTable(
    "account_actions",
    AccountAction,
    {
        "people": _IDS,
        "todo_ids": _IDS,
        "link_ids": _IDS,
        "notices": pa.uint32(),
        "created_at": TS,
    },
)


def action_id_of(tenant_id: str, change_key: str, kind: str) -> str:
    return "act_" + hashlib.sha256(f"{tenant_id}|{change_key}|{kind}".encode()).hexdigest()[:24]


def find_action(ch: ClickHouse, tenant_id: str, action_id: str) -> AccountAction | None:
    return ACTIONS.find(ch, tenant_id, action_id=action_id)


def log_action(ch: ClickHouse, action: AccountAction) -> None:
    ACTIONS.write(ch, [action])


def list_actions(
    ch: ClickHouse, tenant_id: str, account_id: str, *, limit: int = 200
) -> list[AccountAction]:
    return ACTIONS.select(
        ch,
        tenant_id,
        equals={"account_id": account_id},
        order_by="created_at DESC, action_id",
        limit=limit,
    )
