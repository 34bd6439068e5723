"""What the rest of the service calls to notify people.

- `notify_link_event(...)`: first real view (delayed, with read time), download, forward
  (called by `outbound.alert_listener` for each human event, deduped like the
  webhook events).
- `notify_stall(...)`: a stall alert to the rep and manager plus one manager to-do; the same
  episode twice (or from two schedulers) is one message per channel and one to-do.
- `resolve_stall(...)`: the stall cleared — its to-dos resolve automatically.
- `notify_health_red(...)`: the deal's health band turned red.
- `notify_unanswered(...)`: a high-potential customer waiting for a reply; past the second
  threshold `escalate_waiting(...)` puts it on the manager's board (a to-do, reusing the
  stall's) and `resolve_waiting(...)` clears it when the reply came.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import outbound.notify.facts_store as facts
from outbound.notify.model import Audience, ManagerTodo, NotifyEvent, TodoStatus
from outbound.notify.outbox import Notifier
from outbound.notify.phrases import reason_text, signal_text
from outbound.notify.todo_store import (
    cleared_stall_todos,
    create_todo_once,
    list_todos,
    open_todos_from,
    resolve_todo,
    todo_id_of,
)
from scoring import CustomerAnswered, CustomerWaiting, StallEpisode
from tracker.clock import utcnow
from tracker.stores import ClickHouse

__all__ = [
    "StallNotice",
    "escalate_waiting",
    "notify_health_red",
    "notify_link_event",
    "notify_stall",
    "notify_unanswered",
    "resolve_cleared_todos",
    "resolve_stall",
    "resolve_waiting",
]

WAITING = "customer_waiting"  # the to-do kind of an escalated wait


@dataclass(frozen=True)
class StallNotice:
    notices: int  # messages queued now (0 when this stall was notified before)
    todo_id: str  # the manager's to-do ('' when the deal has no manager)
    todo_created: bool


async def notify_link_event(
    notifier: Notifier,
    tenant_id: str,
    event: NotifyEvent,
    *,
    link_id: str,
    dedupe_key: str,
    visit_id: str = "",
) -> int:
    """A human view / download / forward on a link. Views are sent `view_delay_seconds`
    after the visit starts, with the read time measured then."""
    found = await asyncio.to_thread(facts.link_facts, notifier.ch, tenant_id, link_id)
    if found is None:
        return 0
    data: dict[str, Any] = {
        "link_id": link_id,
        "visit_id": visit_id,
        "document_title": found.document_title,
        "recipient_name": found.recipient_name or found.recipient_email,
        "account": found.account,
    }
    delay = notifier.ns.view_delay_seconds if event is NotifyEvent.DOCUMENT_VIEWED else 0.0
    return await notifier.publish(
        tenant_id,
        event,
        data,
        dedupe_key=dedupe_key,
        opportunity_id=found.opportunity_id,
        owner=found.owner,
        manager=found.manager,
        delay_seconds=delay,
    )


async def _manager_todo(
    ch: ClickHouse,
    tenant_id: str,
    kind: str,
    source_id: str,
    people: tuple[str, str],  # (manager, owner)
    opportunity_id: str,
    title: str,
    detail: str,
) -> tuple[str, bool]:
    """One to-do on the manager's board per source (its id derives from it): (id, created)."""
    manager, owner = people
    todo_id = todo_id_of(tenant_id, kind, source_id, manager)
    todo = ManagerTodo(
        tenant_id=tenant_id,
        todo_id=todo_id,
        manager=manager,
        owner=owner,
        opportunity_id=opportunity_id,
        kind=kind,
        source_id=source_id,
        title=title,
        detail=detail,
        status=TodoStatus.OPEN,
        resolved_by="",
        created_at=utcnow(),
    )
    return todo_id, await asyncio.to_thread(create_todo_once, ch, todo)


async def notify_stall(notifier: Notifier, tenant_id: str, episode: StallEpisode) -> StallNotice:
    ch = notifier.ch
    recipients = await notifier.recipients(
        tenant_id, episode.opportunity_id, episode.owner, episode.manager
    )
    owner = (recipients[Audience.REP] or [episode.owner])[0]
    manager = (recipients[Audience.MANAGER] or [""])[0]
    deal = await asyncio.to_thread(facts.deal_facts, ch, tenant_id, episode.opportunity_id)
    account = deal.account if deal and deal.account else episode.opportunity_id
    names = await asyncio.to_thread(facts.people, ch, tenant_id, [owner, manager])
    todo_id, created = "", False
    # the to-do's detail is read on the manager's board: the reasons in the tenant's language
    locale = await notifier.tenant_locale(tenant_id)
    zone = ZoneInfo(notifier.ns.default_time_zone)
    detail = "；".join(reason_text(locale, r, zone) for r in episode.reason_list())
    if not locale.startswith("zh"):
        detail = detail.replace("；", "; ")
    if manager:
        todo_id, created = await _manager_todo(
            ch, tenant_id, "stall", episode.episode_id, (manager, owner),
            episode.opportunity_id, account, detail or episode.summary,
        )  # fmt: skip
    data = {
        "account": account,
        "summary": episode.summary,
        "reasons": episode.reason_list(),
        "time_zone": notifier.ns.default_time_zone,
        "owner_name": names[owner].name if owner in names else owner,
        "manager_name": names[manager].name if manager in names else manager,
        "episode_id": episode.episode_id,
        "todo_id": todo_id,
    }
    notices = await notifier.publish(
        tenant_id,
        NotifyEvent.OPPORTUNITY_STALLED,
        data,
        dedupe_key=episode.episode_id,
        opportunity_id=episode.opportunity_id,
        owner=owner,
        manager=manager or None,
    )
    return StallNotice(notices, todo_id, created)


async def resolve_stall(ch: ClickHouse, tenant_id: str, episode_id: str) -> int:
    """Resolve the open to-dos of a cleared stall episode; the number resolved."""
    todos = await asyncio.to_thread(list_todos, ch, tenant_id)
    done = 0
    for todo in todos:
        if todo.kind == "stall" and todo.source_id == episode_id:
            await asyncio.to_thread(resolve_todo, ch, tenant_id, todo.todo_id, "auto")
            done += 1
    return done


async def resolve_cleared_todos(ch: ClickHouse, tenant_id: str) -> int:
    """Resolve every open stall to-do whose episode the stall detector has cleared."""
    ids = await asyncio.to_thread(cleared_stall_todos, ch, tenant_id)
    for todo_id in ids:
        await asyncio.to_thread(resolve_todo, ch, tenant_id, todo_id, "auto")
    return len(ids)


async def notify_health_red(
    notifier: Notifier,
    tenant_id: str,
    opportunity_id: str,
    *,
    value: float,
    previous_band: str,
    actions: Sequence[Mapping[str, Any]] = (),
    change_id: str = "",
) -> int:
    """The deal's health band changed to red. `change_id` identifies this change (e.g. the
    scoring run's timestamp); by default at most one red alert per deal per UTC day."""
    deal = await asyncio.to_thread(facts.deal_facts, notifier.ch, tenant_id, opportunity_id)
    data = {
        "account": deal.account if deal and deal.account else opportunity_id,
        "value": round(value),
        "previous_band": previous_band,
        "actions": [dict(a) for a in actions][:3],  # {code, params, text}: rendered per reader
        "now": utcnow().isoformat(),
    }
    key = change_id or f"{opportunity_id}:{utcnow().date().isoformat()}"
    return await notifier.publish(
        tenant_id,
        NotifyEvent.HEALTH_RED,
        data,
        dedupe_key=f"{opportunity_id}:{key}",
        opportunity_id=opportunity_id,
    )


async def notify_unanswered(notifier: Notifier, event: CustomerWaiting) -> int:
    """高潜客户等待响应超4小时: tell the rep; at the `manager` level the manager too. One
    message per wait and level (`alert_key`), however often the job finds it."""
    names = await asyncio.to_thread(facts.people, notifier.ch, event.tenant_id, [event.owner])
    data = {
        "account": event.account or event.opportunity_id,
        "signal": event.signal,  # {code, params}: rendered per reader
        "level": event.level,
        "manager_hours": f"{event.manager_hours:g}",
        "owner_name": names[event.owner].name if event.owner in names else event.owner,
    }
    return await notifier.publish(
        event.tenant_id,
        NotifyEvent.CUSTOMER_UNANSWERED,
        data,
        dedupe_key=event.alert_key,
        opportunity_id=event.opportunity_id,
        owner=event.owner,
        manager=event.manager if event.level == "manager" else None,
    )


def wait_key(event: CustomerWaiting | CustomerAnswered) -> str:
    """One customer's wait: the deal and the first unanswered inbound activity."""
    return f"{event.opportunity_id}:{event.activity_id}"


async def escalate_waiting(notifier: Notifier, event: CustomerWaiting) -> str:
    """The wait reached the second threshold: a to-do on the manager's board, worded in the
    tenant's language (once per wait); its id, '' when the deal has no manager."""
    recipients = await notifier.recipients(
        event.tenant_id, event.opportunity_id, event.owner, event.manager
    )
    manager = (recipients[Audience.MANAGER] or [""])[0]
    if not manager:
        return ""
    owner = (recipients[Audience.REP] or [event.owner])[0]
    locale = await notifier.tenant_locale(event.tenant_id)
    detail = signal_text(locale, event.signal, ZoneInfo(notifier.ns.default_time_zone))
    todo_id, _ = await _manager_todo(
        notifier.ch, event.tenant_id, WAITING, wait_key(event), (manager, owner),
        event.opportunity_id, event.account or event.opportunity_id, detail,
    )  # fmt: skip
    return todo_id


async def resolve_waiting(ch: ClickHouse, event: CustomerAnswered) -> list[str]:
    """The reply came: the wait's open to-dos resolve automatically; their ids."""
    todos = await asyncio.to_thread(open_todos_from, ch, event.tenant_id, WAITING, wait_key(event))
    for todo in todos:
        await asyncio.to_thread(resolve_todo, ch, event.tenant_id, todo.todo_id, "auto")
    return [t.todo_id for t in todos]
