"""What `api.workers` wires from outbound: the dispatcher's extra channels and the
scheduler's notification jobs.

WebhookDispatcher(settings, redis, ch, extra_channels=notification_channels(settings, redis, ch))
Scheduler(redis, [..., pump_job(...), briefing_job(...), todo_job(...)])
"""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis

from outbound.notify.alerts import resolve_cleared_todos
from outbound.notify.briefing import BriefingSource, run_briefings
from outbound.notify.cache import ChannelCache
from outbound.notify.model import ChannelKind
from outbound.notify.outbox import Notifier
from outbound.notify.senders import RobotChannel
from outbound.notify.smtp import EmailChannel
from outbound.reports import run_forecast_reports, run_process_reports
from outbound.webhooks import Channel, SecretBox
from tracker.config import Settings, resolve_secret_keys
from tracker.crm import tenants_with_opportunities
from tracker.notify_settings import NotifySettings
from tracker.scheduler import PeriodicJob
from tracker.stores import ClickHouse

__all__ = [
    "briefing_job",
    "forecast_report_job",
    "notification_channels",
    "process_report_job",
    "pump_job",
    "todo_job",
]


def notification_channels(
    settings: Settings,
    redis: aioredis.Redis,
    ch: ClickHouse,
    *,
    notify: NotifySettings | None = None,
) -> list[Channel]:
    """WeCom, Feishu, Slack and email senders for `WebhookDispatcher(extra_channels=…)`."""
    del redis  # the dispatcher owns the queues
    ns = notify or settings.notify
    cache = ChannelCache(ch, ns.cache_seconds)
    box = SecretBox(resolve_secret_keys(settings))
    robots: list[Channel] = [
        RobotChannel(kind, settings, cache, box)
        for kind in (ChannelKind.WECOM, ChannelKind.FEISHU, ChannelKind.SLACK)
    ]
    return [
        *robots,
        EmailChannel(cache, box, settings.webhooks.allow_private, timeout=ns.smtp_timeout_seconds),
    ]


def pump_job(notifier: Notifier, *, interval_seconds: float = 1.0) -> PeriodicJob:
    """Moves due notices from the outbox to the channel queues (until none is due). Never
    run for one tenant: it moves every tenant's notices (and is due every few seconds)."""

    async def run() -> None:
        while await notifier.pump_once() >= notifier.ns.outbox_batch:
            await asyncio.sleep(0)

    return PeriodicJob("notify-pump", interval_seconds, run, timeout_seconds=120.0)


def briefing_job(
    notifier: Notifier, ch: ClickHouse, *, source: BriefingSource | None = None
) -> PeriodicJob:
    async def run() -> int:
        return await run_briefings(notifier, ch, source=source)

    async def for_tenant(tenant_id: str) -> int:
        return await run_briefings(notifier, ch, source=source, tenant_ids=[tenant_id])

    return PeriodicJob(
        "notify-briefing", notifier.ns.briefing_interval_seconds, run, for_tenant=for_tenant
    )


def process_report_job(notifier: Notifier, ch: ClickHouse) -> PeriodicJob:
    """The weekly 《过程健康度报告》 to each team's manager, due Monday at
    `process_report_hour` in their time zone (deduped per manager and week)."""

    async def run() -> int:
        return await run_process_reports(notifier, ch)

    async def for_tenant(tenant_id: str) -> int:
        return await run_process_reports(notifier, ch, tenant_ids=[tenant_id])

    return PeriodicJob(
        "process-report",
        notifier.ns.process_report_interval_seconds,
        run,
        for_tenant=for_tenant,
        timeout_seconds=600.0,
    )


def forecast_report_job(notifier: Notifier, ch: ClickHouse) -> PeriodicJob:
    """The monthly 《预测校准报告》 and coaching to-dos, due from the 1st in each manager's
    time zone (deduped per manager and month)."""

    async def run() -> int:
        return await run_forecast_reports(notifier, ch)

    async def for_tenant(tenant_id: str) -> int:
        return await run_forecast_reports(notifier, ch, tenant_ids=[tenant_id])

    return PeriodicJob(
        "forecast-report",
        notifier.ns.process_report_interval_seconds,
        run,
        for_tenant=for_tenant,
        timeout_seconds=600.0,
    )


def todo_job(ch: ClickHouse, *, interval_seconds: float = 300.0) -> PeriodicJob:
    """Resolves managers' stall to-dos once the stall has cleared."""

    async def for_tenant(tenant_id: str) -> int:
        return await resolve_cleared_todos(ch, tenant_id)

    async def run() -> int:
        done = 0
        for tenant_id in await asyncio.to_thread(tenants_with_opportunities, ch):
            done += await for_tenant(tenant_id)
        return done

    return PeriodicJob("notify-todos", interval_seconds, run, for_tenant=for_tenant)
