"""Notifications to people where sales teams live: WeCom and Feishu group robots, Slack
incoming webhooks and email — routed per event type to a deal's rep and the rep's manager,
in their language (zh_CN / en), held during their quiet hours, skipped for deals they muted,
paced to each channel's rate limits, and delivered with retries and a delivery log by the
webhook dispatcher (`outbound.webhooks`).

Producers: `Notifier(settings, redis, ch)` with `notify_link_event`, `notify_stall`,
`notify_health_red`, `run_briefings`. Wiring: `outbound.wiring`."""

from __future__ import annotations

from outbound.notify.alerts import (
    StallNotice,
    escalate_waiting,
    notify_health_red,
    notify_link_event,
    notify_stall,
    notify_unanswered,
    resolve_cleared_todos,
    resolve_stall,
    resolve_waiting,
)
from outbound.notify.briefing import (
    BriefingDeal,
    BriefingSource,
    default_briefing_deals,
    run_briefings,
)
from outbound.notify.formats import feishu_sign
from outbound.notify.messages import LOCALES, Message
from outbound.notify.model import (
    Audience,
    ChannelConfig,
    ChannelKind,
    ManagerTodo,
    Notice,
    NotifyEvent,
    Preferences,
    RoutingRule,
    TodoStatus,
)
from outbound.notify.outbox import Notifier, read_mute_token
from outbound.notify.phrases import (
    action_text,
    band_name,
    code_label,
    reason_text,
    signal_text,
    stage_name,
    tag_label,
)
from outbound.notify.preferences import check_time_zone, parse_hhmm, quiet_until
from outbound.notify.rates import RateLimiter
from outbound.notify.rendering import render
from outbound.notify.routing import DEFAULT_AUDIENCES, Route, plan_routes
from outbound.notify.service import create_channel, create_rule, delete_channel, delete_rule
from outbound.notify.store import (
    get_channel,
    list_channels,
    list_preferences,
    list_rules,
    muted_deals,
    reseal_channel_configs,
    write_mute,
    write_preferences,
)
from outbound.notify.todo_store import (
    create_todo_once,
    get_todo,
    list_todos,
    resolve_todo,
    todo_id_of,
)
from tracker.notify_settings import NotifySettings, RateLimit

__all__ = [
    "DEFAULT_AUDIENCES",
    "LOCALES",
    "Audience",
    "BriefingDeal",
    "BriefingSource",
    "ChannelConfig",
    "ChannelKind",
    "ManagerTodo",
    "Message",
    "Notice",
    "Notifier",
    "NotifyEvent",
    "NotifySettings",
    "Preferences",
    "RateLimit",
    "RateLimiter",
    "Route",
    "RoutingRule",
    "StallNotice",
    "TodoStatus",
    "action_text",
    "band_name",
    "check_time_zone",
    "code_label",
    "create_channel",
    "create_rule",
    "create_todo_once",
    "default_briefing_deals",
    "delete_channel",
    "delete_rule",
    "escalate_waiting",
    "feishu_sign",
    "get_channel",
    "get_todo",
    "list_channels",
    "list_preferences",
    "list_rules",
    "list_todos",
    "muted_deals",
    "notify_health_red",
    "notify_link_event",
    "notify_stall",
    "notify_unanswered",
    "parse_hhmm",
    "plan_routes",
    "quiet_until",
    "read_mute_token",
    "reason_text",
    "render",
    "reseal_channel_configs",
    "resolve_cleared_todos",
    "resolve_stall",
    "resolve_todo",
    "resolve_waiting",
    "run_briefings",
    "signal_text",
    "stage_name",
    "tag_label",
    "todo_id_of",
    "write_mute",
    "write_preferences",
]
