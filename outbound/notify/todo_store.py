"""ClickHouse access for the manager's to-do list (one row per to-do, ReplacingMergeTree).
A to-do's id is derived from its source (a stall episode), so creating it twice is one
to-do; a resolved to-do is never re-opened by a late duplicate. Every query is tenant-scoped."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import pyarrow as pa

from outbound.notify.model import ManagerTodo, TodoStatus
from tracker.clock import TS, utcnow, version_now
from tracker.errors import NotFound
from tracker.stores import ClickHouse

__all__ = [
    "cleared_stall_todos",
    "create_todo_once",
    "get_todo",
    "list_todos",
    "resolve_todo",
    "todo_id_of",
]

_COLUMNS = (
    "tenant_id, todo_id, manager, owner, opportunity_id, kind, source_id, title, detail, "
    "status, resolved_by, created_at, resolved_at"
)


def todo_id_of(tenant_id: str, kind: str, source_id: str, manager: str) -> str:
    raw = f"{tenant_id}|{kind}|{source_id}|{manager}".encode()
    return "tdo_" + hashlib.sha256(raw).hexdigest()[:24]


def _write(ch: ClickHouse, t: ManagerTodo) -> None:
    ch.insert(
        "manager_todos",
        pa.table(
            {
                **{
                    k: [getattr(t, k)]
                    for k in (
                        "tenant_id",
                        "todo_id",
                        "manager",
                        "owner",
                        "opportunity_id",
                        "kind",
                        "source_id",
                        "title",
                        "detail",
                        "resolved_by",
                    )
                },
                "status": [t.status.value],
                "created_at": pa.array([t.created_at], TS),
                "resolved_at": pa.array([t.resolved_at], TS),
                "version": pa.array([version_now()], pa.uint64()),
            }
        ),
    )


def _todo(row: dict[str, Any]) -> ManagerTodo:
    return ManagerTodo(**{**row, "status": TodoStatus(row["status"])})


def _find(ch: ClickHouse, tenant_id: str, todo_id: str) -> ManagerTodo | None:
    rows = ch.query(
        f"SELECT {_COLUMNS} FROM {ch.database}.manager_todos FINAL "
        "WHERE tenant_id = {tenant_id:String} AND todo_id = {todo_id:String}",
        {"tenant_id": tenant_id, "todo_id": todo_id},
    )
    return _todo(rows[0]) if rows else None


def create_todo_once(ch: ClickHouse, todo: ManagerTodo) -> bool:
    """Insert unless a to-do with this id exists (open or resolved); True if inserted. Two
    racing creators insert identical rows with the same id, which FINAL reads as one."""
    if _find(ch, todo.tenant_id, todo.todo_id) is not None:
        return False
    _write(ch, todo)
    return True


def get_todo(ch: ClickHouse, tenant_id: str, todo_id: str) -> ManagerTodo:
    found = _find(ch, tenant_id, todo_id)
    if found is None:
        raise NotFound("unknown to-do", code="todo_not_found")
    return found


def list_todos(
    ch: ClickHouse,
    tenant_id: str,
    *,
    manager: str | None = None,
    status: TodoStatus | None = TodoStatus.OPEN,
    limit: int = 500,
) -> list[ManagerTodo]:
    """Newest first."""
    where = "tenant_id = {tenant_id:String}"
    if manager is not None:
        where += " AND manager = {manager:String}"
    if status is not None:
        where += " AND status = {status:String}"
    rows = ch.query(
        f"SELECT {_COLUMNS} FROM {ch.database}.manager_todos FINAL WHERE {where} "
        "ORDER BY created_at DESC, todo_id LIMIT {limit:UInt32}",
        {
            "tenant_id": tenant_id,
            "manager": manager or "",
            "status": status.value if status else "",
            "limit": limit,
        },
    )
    return [_todo(r) for r in rows]


def resolve_todo(ch: ClickHouse, tenant_id: str, todo_id: str, by: str) -> ManagerTodo:
    """Mark resolved (`by`: an email, or `auto`); resolving twice keeps the first."""
    todo = get_todo(ch, tenant_id, todo_id)
    if todo.status is TodoStatus.RESOLVED:
        return todo
    done = replace(todo, status=TodoStatus.RESOLVED, resolved_by=by, resolved_at=utcnow())
    _write(ch, done)
    return done


def cleared_stall_todos(ch: ClickHouse, tenant_id: str) -> list[str]:
    """Open stall to-dos whose stall episode has cleared (activity resumed)."""
    rows = ch.query(
        f"SELECT todo_id FROM {ch.database}.manager_todos FINAL "
        "WHERE tenant_id = {tenant_id:String} AND status = 'open' AND kind = 'stall' "
        "AND source_id IN (SELECT episode_id "
        f"  FROM {ch.database}.stalls FINAL "
        "  WHERE tenant_id = {tenant_id:String} AND status = 'cleared')",
        {"tenant_id": tenant_id},
    )
    return [str(r["todo_id"]) for r in rows]
