"""客户健康度 band actions: what `outbound` does when scoring publishes `AccountBandChanged`.

    blue    nurture: tracked links to the tenant's nurture documents for the account's
            industry, one per document and contact of the account; a to-do for the rep to
            send them (due in `nurture_due_days`) and an `account.nurture` message
    yellow  joint visit: a to-do each for the rep and the tenant's presales person, due in
            `joint_visit_due_days`, and an `account.joint_visit` message to both
    red     escalation: a to-do for the team's VP (the rep's manager when no VP is
            configured) and an `account.escalated` message to the VP and the rep; and a
            freeze of new opportunities for the account (409 `account_frozen`)
    leaving red   the freeze is lifted (unless an admin already did) and the VP's open
            escalation to-dos for the account resolve themselves

Each action runs once per band change: its id is derived from the change key and the kind,
it is skipped when the log (`outbound.account_action_log`) already holds it, and to-dos,
notices and freeze entries carry derived ids too. `insufficient_data` takes no action."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta

from outbound.account_action_log import (
    AccountAction,
    action_id_of,
    find_action,
    list_actions,
    log_action,
)
from outbound.notify import (
    ManagerTodo,
    Notifier,
    NotifyEvent,
    TodoStatus,
    create_todo_once,
    resolve_todo,
    todo_id_of,
)
from scoring import AccountBandChanged
from tracker.clock import utcnow
from tracker.crm import account_contacts, account_deals, frozen_accounts, record_freeze
from tracker.documents import Document, get_document
from tracker.errors import NotFound
from tracker.links import LinkOptions, Recipient, create_links
from tracker.stores import ClickHouse

__all__ = ["react_account_band"]

log = logging.getLogger("dealsignal.accounts")

Perform = Callable[[str], Awaitable[AccountAction]]


async def react_account_band(
    ch: ClickHouse, notifier: Notifier | None, event: AccountBandChanged
) -> list[AccountAction]:
    """The actions taken now (empty when they were all taken before)."""
    steps: list[tuple[str, Perform]] = []
    if event.previous_band == "red" and event.band != "red":
        steps.append(("unfreeze", lambda aid: _unfreeze(ch, event, aid)))
    if event.band == "blue":
        steps.append(("nurture", lambda aid: _nurture(ch, notifier, event, aid)))
    elif event.band == "yellow":
        steps.append(("joint_visit", lambda aid: _joint_visit(ch, notifier, event, aid)))
    elif event.band == "red":
        steps.append(("escalation", lambda aid: _escalate(ch, notifier, event, aid)))
        steps.append(("freeze", lambda aid: _freeze(ch, event, aid)))
    done = []
    for kind, perform in steps:
        action_id = action_id_of(event.tenant_id, event.change_key, kind)
        if await asyncio.to_thread(find_action, ch, event.tenant_id, action_id) is not None:
            continue
        action = await perform(action_id)
        await asyncio.to_thread(log_action, ch, action)
        log.info(
            "account %s %s -> %s: %s (%s)", event.account_id, event.previous_band or "new",
            event.band, kind, action.detail,
        )  # fmt: skip
        done.append(action)
    return done


def _action(
    event: AccountBandChanged,
    action_id: str,
    kind: str,
    detail: str,
    *,
    people: tuple[str, ...] = (),
    todo_ids: tuple[str, ...] = (),
    link_ids: tuple[str, ...] = (),
    notices: int = 0,
) -> AccountAction:
    return AccountAction(
        tenant_id=event.tenant_id,
        account_id=event.account_id,
        action_id=action_id,
        change_key=event.change_key,
        kind=kind,
        band=event.band,
        detail=detail,
        people=people,
        todo_ids=todo_ids,
        link_ids=link_ids,
        notices=notices,
        created_at=utcnow(),
    )


async def _todos(
    ch: ClickHouse,
    event: AccountBandChanged,
    kind: str,
    people: tuple[str, ...],
    detail: str,
    due_days: float,
    opportunity_id: str = "",
) -> tuple[str, ...]:
    """One to-do per person on their own board, ids derived from the change."""
    now = utcnow()
    ids = []
    for person in people:
        todo = ManagerTodo(
            tenant_id=event.tenant_id,
            todo_id=todo_id_of(event.tenant_id, kind, event.change_key, person),
            manager=person,
            owner=event.owner,
            opportunity_id=opportunity_id,
            kind=kind,
            source_id=event.change_key,
            title=event.account_name,
            detail=detail,
            status=TodoStatus.OPEN,
            resolved_by="",
            created_at=now,
            due_at=now + timedelta(days=due_days),
        )
        await asyncio.to_thread(create_todo_once, ch, todo)
        ids.append(todo.todo_id)
    return tuple(ids)


async def _notify(
    notifier: Notifier | None,
    event: AccountBandChanged,
    kind: NotifyEvent,
    facts: Mapping[str, object],
    action_id: str,
    second: str | None,
) -> int:
    if notifier is None or (not event.owner and not second):
        return 0
    return await notifier.publish(
        event.tenant_id,
        kind,
        {"account": event.account_name, **facts},
        dedupe_key=action_id,
        owner=event.owner,
        manager=second,
    )


def _documents(ch: ClickHouse, tenant_id: str, ids: tuple[str, ...]) -> list[Document]:
    found = []
    for document_id in ids:
        try:
            found.append(get_document(ch, tenant_id, document_id))
        except NotFound:  # a mapping may name a deleted document: skip it, say so in the log
            continue
    return found


async def _nurture(
    ch: ClickHouse, notifier: Notifier | None, event: AccountBandChanged, action_id: str
) -> AccountAction:
    plan, tenant = event.plan, event.tenant_id
    docs = await asyncio.to_thread(_documents, ch, tenant, plan.nurture_document_ids)
    contacts = [c for c in await asyncio.to_thread(account_contacts, ch, tenant, event.account_id)
                if c.email]  # fmt: skip
    deal = (await asyncio.to_thread(account_deals, ch, tenant, [event.account_id])).get(
        event.account_id
    )
    opportunity_id = deal.opportunity_id if deal else ""
    recipients = [Recipient(c.email, c.name, c.role, c.contact_id) for c in contacts]
    link_ids: list[str] = []
    for doc in docs if recipients else []:
        links = await asyncio.to_thread(
            create_links, ch, tenant, doc.document_id, recipients, LinkOptions(),
            opportunity_id=opportunity_id, created_by="system:nurture",
        )  # fmt: skip
        link_ids += [link.link_id for link in links]
    titles = [d.title for d in docs]
    if not link_ids:
        why = "no nurture documents for this industry" if not docs else "no contacts with email"
        return _action(event, action_id, "nurture", f"nothing to send: {why}")
    detail = f"send {'、'.join(titles)} to {len(contacts)} contact(s) ({len(link_ids)} link(s))"
    people = (event.owner,) if event.owner else ()
    todos = await _todos(
        ch, event, "account_nurture", people, detail, plan.nurture_due_days, opportunity_id
    )
    due = (utcnow() + timedelta(days=plan.nurture_due_days)).date().isoformat()
    facts = {"contacts": len(contacts), "documents": titles, "due": due}
    notices = await _notify(notifier, event, NotifyEvent.ACCOUNT_NURTURE, facts, action_id, None)
    return _action(
        event, action_id, "nurture", detail,
        people=people, todo_ids=todos, link_ids=tuple(link_ids), notices=notices,
    )  # fmt: skip


async def _joint_visit(
    ch: ClickHouse, notifier: Notifier | None, event: AccountBandChanged, action_id: str
) -> AccountAction:
    plan = event.plan
    people = tuple(p for p in (event.owner, plan.presales) if p)
    detail = "joint visit (sales + presales): " + "; ".join(event.reasons)
    todos = await _todos(
        ch, event, "account_joint_visit", people, detail, plan.joint_visit_due_days
    )
    due = (utcnow() + timedelta(days=plan.joint_visit_due_days)).date().isoformat()
    notices = await _notify(
        notifier, event, NotifyEvent.ACCOUNT_JOINT_VISIT, {"due": due}, action_id,
        plan.presales or None,
    )  # fmt: skip
    return _action(event, action_id, "joint_visit", detail, people=people, todo_ids=todos,
                   notices=notices)  # fmt: skip


async def _escalate(
    ch: ClickHouse, notifier: Notifier | None, event: AccountBandChanged, action_id: str
) -> AccountAction:
    plan = event.plan
    vp = plan.vp or event.manager  # no VP configured: the rep's manager
    people = (vp,) if vp else ()
    detail = f"escalated to {vp or 'nobody (no VP or manager known)'}: " + "; ".join(event.reasons)
    todos = await _todos(ch, event, "account_escalation", people, detail, plan.escalation_due_days)
    due = (utcnow() + timedelta(days=plan.escalation_due_days)).date().isoformat()
    weakest = [[code, score] for code, score in event.weakest]
    facts = {"value": event.value, "weakest": weakest, "due": due}
    notices = await _notify(
        notifier, event, NotifyEvent.ACCOUNT_ESCALATED, facts, action_id, vp or None
    )
    return _action(event, action_id, "escalation", detail, people=people, todo_ids=todos,
                   notices=notices)  # fmt: skip


async def _freeze(ch: ClickHouse, event: AccountBandChanged, action_id: str) -> AccountAction:
    reason = f"health band red ({event.value})"
    await asyncio.to_thread(
        record_freeze, ch, event.tenant_id, event.account_id,
        frozen=True, reason=reason, actor="system", source=event.change_key,
    )  # fmt: skip
    return _action(event, action_id, "freeze", f"new opportunities frozen: {reason}")


async def _unfreeze(ch: ClickHouse, event: AccountBandChanged, action_id: str) -> AccountAction:
    taken = await asyncio.to_thread(list_actions, ch, event.tenant_id, event.account_id)
    for todo_id in {t for a in taken if a.kind == "escalation" for t in a.todo_ids}:
        await asyncio.to_thread(resolve_todo, ch, event.tenant_id, todo_id, "auto")
    frozen = await asyncio.to_thread(frozen_accounts, ch, event.tenant_id, [event.account_id])
    if not frozen:
        return _action(event, action_id, "unfreeze", "already unfrozen by an admin")
    reason = f"health band left red (now {event.band})"
    await asyncio.to_thread(
        record_freeze, ch, event.tenant_id, event.account_id,
        frozen=False, reason=reason, actor="system", source=event.change_key,
    )  # fmt: skip
    return _action(event, action_id, "unfreeze", reason)
