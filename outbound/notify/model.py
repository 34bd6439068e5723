"""Names and records of the notification package: event types, channel kinds, configured
channels, routing rules, preferences, mutes, manager to-dos, and the queued notice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson

__all__ = [
    "AUDIENCES",
    "Audience",
    "ChannelConfig",
    "ChannelKind",
    "ManagerTodo",
    "Notice",
    "NotifyEvent",
    "Preferences",
    "RoutingRule",
    "TodoStatus",
]


class NotifyEvent(StrEnum):
    DOCUMENT_VIEWED = "document.viewed"  # first real view of a visit, sent after a delay
    LINK_DOWNLOADED = "link.downloaded"
    LINK_FORWARDED = "link.forwarded"
    OPPORTUNITY_STALLED = "opportunity.stalled"
    HEALTH_RED = "health.red"
    # 高潜客户等待响应超4小时: the rep, and the manager past the second threshold
    CUSTOMER_UNANSWERED = "customer.unanswered"
    # Customer-health band actions (客户健康度): blue, yellow and red accounts.
    ACCOUNT_NURTURE = "account.nurture"
    ACCOUNT_JOINT_VISIT = "account.joint_visit"
    ACCOUNT_ESCALATED = "account.escalated"
    DAILY_BRIEFING = "briefing.daily"
    PROCESS_REPORT = "report.process_weekly"  # the weekly 《过程健康度报告》, to managers
    FORECAST_REPORT = "report.forecast_monthly"  # the monthly 《预测校准报告》, to managers


class ChannelKind(StrEnum):
    WECOM = "wecom"
    FEISHU = "feishu"
    SLACK = "slack"
    EMAIL = "email"

    @property
    def is_group(self) -> bool:
        """Robots post to a group: one message per event naming everybody it is for."""
        return self is not ChannelKind.EMAIL


class Audience(StrEnum):
    REP = "rep"
    MANAGER = "manager"


AUDIENCES = frozenset(a.value for a in Audience)


@dataclass(frozen=True)
class ChannelConfig:
    tenant_id: str
    channel_id: str
    kind: ChannelKind
    owner: str  # '' = the tenant's; else the email of the person it belongs to
    name: str
    locale: str
    config_sealed: str = field(repr=False)
    config_hint: str
    created_at: datetime
    deleted: bool = False


@dataclass(frozen=True)
class RoutingRule:
    tenant_id: str
    rule_id: str
    channel_id: str
    event_types: tuple[str, ...]
    audiences: tuple[str, ...]
    created_at: datetime
    deleted: bool = False


@dataclass(frozen=True)
class Preferences:
    """Quiet hours are minutes after local midnight; start == end means none. A window may
    wrap midnight (22:00–08:00)."""

    tenant_id: str
    email: str
    time_zone: str = "Asia/Shanghai"
    quiet_start: int = 0
    quiet_end: int = 0
    locale: str = ""
    briefing: bool = True


class TodoStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class ManagerTodo:
    tenant_id: str
    todo_id: str
    manager: str
    owner: str
    opportunity_id: str
    kind: str
    source_id: str
    title: str
    detail: str
    status: TodoStatus
    resolved_by: str
    created_at: datetime
    resolved_at: datetime | None = None
    due_at: datetime | None = None  # e.g. a joint visit due within days; None: no deadline


@dataclass
class Notice:
    """One message waiting in the outbox: an event for one channel and the people it is
    addressed to (a group robot: everybody; email or a personal channel: one person).
    `facts` are the event's data (names, titles, ids); the text is rendered at send time."""

    notice_id: str
    tenant_id: str
    event: str
    channel_id: str
    addressees: list[str]
    opportunity_id: str
    facts: dict[str, Any]
    locale: str = ""
    not_before_ms: int = 0

    def dumps(self) -> str:
        return orjson.dumps(self.__dict__).decode()

    @classmethod
    def loads(cls, raw: str) -> Notice:
        data: dict[str, Any] = orjson.loads(raw)
        return cls(**data)
