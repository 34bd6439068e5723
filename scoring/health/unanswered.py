"""高潜客户等待响应超4小时 — a high-potential customer waiting for a reply.

The customer is waiting from the first inbound conversation (email, call, meeting with
`direction: inbound`) after our last outbound one; our next outbound activity answers it and
clears the wait. The wait is counted in working hours (`workday_start`–`workday_end`,
Monday–Friday, in `time_zone`: the tenant's, through its scoring settings): an email at
Friday 17:00 has waited one working hour on Monday at 09:00, not 64. Public holidays are not
known and count as working days.

Whether the deal is high-potential is the caller's question (`scoring.health.assess`: the
account's 商业潜力 or the deal's health band); this module only measures the wait."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from scoring.health.risk_signals import RiskSignal
from tracker.crm import Direction
from tracker.scoring_settings import EarlyWarningSettings

__all__ = [
    "Answered",
    "Exchange",
    "Waiting",
    "answered_waits",
    "unanswered_signal",
    "waiting_since",
    "working_hours",
]


@dataclass(frozen=True)
class Exchange:
    """One conversation activity with a known direction."""

    activity_id: str
    activity_type: str
    direction: str
    occurred_at: datetime


@dataclass(frozen=True)
class Waiting:
    first: Exchange  # the inbound activity the customer has been waiting on a reply to
    inbound_ids: tuple[str, ...]  # every inbound one since our last outbound


def working_hours(
    start: datetime, end: datetime, zone: ZoneInfo, day_start: int, day_end: int
) -> float:
    """Hours of [start, end) inside working time (Monday–Friday, day_start–day_end local)."""
    if end <= start:
        return 0.0
    total = 0.0
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    while day <= last:
        if day.weekday() < 5:
            midnight = datetime.combine(day, time(0), tzinfo=zone)
            opens, closes = (
                midnight + timedelta(hours=day_start),
                midnight + timedelta(hours=day_end),
            )
            lo, hi = max(start, opens), min(end, closes)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return total / 3600


@dataclass(frozen=True)
class Answered:
    first: Exchange  # the inbound activity the customer waited on
    reply: Exchange  # our first outbound activity after it
    hours: float  # working hours waited


def answered_waits(
    exchanges: Sequence[Exchange], as_of: datetime, settings: EarlyWarningSettings
) -> list[Answered]:
    """Waits that lasted at least `manager_reply_hours` working hours (escalated) and were
    answered by `as_of`, oldest first."""
    zone = ZoneInfo(settings.time_zone)
    found: list[Answered] = []
    first: Exchange | None = None
    for e in sorted(
        (e for e in exchanges if e.occurred_at <= as_of),
        key=lambda e: (e.occurred_at, e.activity_id),
    ):
        if e.direction == Direction.INBOUND.value and first is None:
            first = e
        elif e.direction == Direction.OUTBOUND.value and first is not None:
            hours = working_hours(
                first.occurred_at, e.occurred_at, zone, settings.workday_start,
                settings.workday_end,
            )  # fmt: skip
            if hours >= settings.manager_reply_hours:
                found.append(Answered(first, e, round(hours, 1)))
            first = None
    return found


def waiting_since(exchanges: Sequence[Exchange], as_of: datetime) -> Waiting | None:
    """The customer's unanswered inbound activities as of `as_of`, or None when answered."""
    seen = sorted(
        (e for e in exchanges if e.occurred_at <= as_of),
        key=lambda e: (e.occurred_at, e.activity_id),
    )
    pending: list[Exchange] = []
    for e in seen:
        if e.direction == Direction.OUTBOUND.value:
            pending = []
        elif e.direction == Direction.INBOUND.value:
            pending.append(e)
    return Waiting(pending[0], tuple(e.activity_id for e in pending)) if pending else None


def unanswered_signal(
    exchanges: Sequence[Exchange], as_of: datetime, settings: EarlyWarningSettings
) -> RiskSignal | None:
    """The open signal when the wait reached `reply_hours` working hours (the boundary
    included), else None."""
    wait = waiting_since(exchanges, as_of)
    if wait is None:
        return None
    zone = ZoneInfo(settings.time_zone)
    hours = working_hours(
        wait.first.occurred_at, as_of, zone, settings.workday_start, settings.workday_end
    )
    if hours < settings.reply_hours:
        return None
    shown = round(hours, 1)
    return RiskSignal(
        code="customer_unanswered",
        params={
            "kind": wait.first.activity_type,
            # in the tenant's time zone: readers without one of their own see its local time
            "at": wait.first.occurred_at.astimezone(zone).isoformat(),
            "hours": f"{shown:g}",  # shown as is: "4", "4.5"
        },
        summary=f"A high-potential customer's {wait.first.activity_type} has waited "
        f"{shown:g} working hours for a reply",
        penalty=settings.unanswered_penalty,
        activity_ids=list(wait.inbound_ids),
    )
