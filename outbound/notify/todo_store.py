"""ClickHouse access for the manager's to-do list (one row per to-do, ReplacingMergeTree).
A to-do's id is derived from its source (a stall episode), so creating it twice is one
to-do; a resolved to-do is never re-opened by a late duplicate. Every query is tenant-scoped."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Final

from outbound.notify.model import ManagerTodo, TodoStatus
from tracker.clock import TS, utcnow
from tracker.errors import NotFound
from tracker.stores import ClickHouse, EntityTable

__all__ = [
    "cleared_stall_todos",
    "create_todo_once",
    "get_todo",
    "list_todos",
    "open_todos_from",
    "resolve_todo",
    "todo_id_of",
]


def todo_id_of(tenant_id: str, kind: str, source_id: str, manager: str) -> str:
    raw = f"{tenant_id}|{kind}|{source_id}|{manager}".encode()
    return "tdo_" + hashlib.sha256(raw).hexdigest()[:24]


TODOS: Final = EntityTable(
    "manager_todos", ManagerTodo, {"created_at": TS, "resolved_at": TS, "due_at": TS}
)


def _find(ch: ClickHouse, tenant_id: str, todo_id: str) -> ManagerTodo | None:
    return TODOS.find(ch, tenant_id, todo_id=todo_id)


def create_todo_once(ch: ClickHouse, todo: ManagerTodo) -> bool:
    """Insert unless a to-do with this id exists (open or resolved); True if inserted. Two
    racing creators insert identical rows with the same id, which FINAL reads as one."""
    if _find(ch, todo.tenant_id, todo.todo_id) is not None:
        return False
    TODOS.write(ch, [todo])
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
    equals = {} if manager is None else {"manager": manager}
    if status is not None:
        equals["status"] = status.value
    return TODOS.select(
        ch, tenant_id, equals=equals, order_by="created_at DESC, todo_id", limit=limit
    )


def open_todos_from(ch: ClickHouse, tenant_id: str, kind: str, source_id: str) -> list[ManagerTodo]:
    """The open to-dos one source (a stall episode, a customer's wait) created."""
    equals = {"kind": kind, "source_id": source_id, "status": TodoStatus.OPEN.value}
    return TODOS.select(ch, tenant_id, equals=equals, order_by="created_at DESC, todo_id")


def resolve_todo(ch: ClickHouse, tenant_id: str, todo_id: str, by: str) -> ManagerTodo:
    """Mark resolved (`by`: an email, or `auto`); resolving twice keeps the first."""
    todo = get_todo(ch, tenant_id, todo_id)
    if todo.status is TodoStatus.RESOLVED:
        return todo
    done = replace(todo, status=TodoStatus.RESOLVED, resolved_by=by, resolved_at=utcnow())
    TODOS.write(ch, [done])
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
