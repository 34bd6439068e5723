"""The background work of the service, assembled once for both shapes: embedded mode runs
all of it inside `serve`; server mode runs `dealsignal writer` and `dealsignal worker`."""

from __future__ import annotations

from api.prerender import RenderPool
from api.services import Services
from ingest import BatchListener, Writer
from outbound import (
    briefing_job,
    forecast_report_job,
    make_alert_listener,
    make_webhook_listener,
    notification_channels,
    process_report_job,
    pump_job,
    scoring_briefing_source,
    scoring_listener,
    todo_job,
)
from outbound.notify import Notifier
from outbound.webhooks import WebhookDispatcher, WebhookEmitter
from scoring import (
    account_band_job,
    calibration_job,
    make_epoch_listener,
    snapshot_job,
    stall_job,
    unanswered_job,
    warm_job,
)
from tracker.privacy import retention_job
from tracker.scheduler import PeriodicJob, Scheduler

__all__ = [
    "batch_listeners",
    "jobs",
    "make_dispatcher",
    "make_render_pool",
    "make_scheduler",
    "make_writer",
]


def notifier(services: Services) -> Notifier:
    return Notifier(services.settings, services.redis.client, services.clickhouse)


def batch_listeners(services: Services) -> list[BatchListener]:
    """What reacts to each batch of events landing in ClickHouse: score caches go stale,
    subscribed webhooks fire, people are told of first views, downloads and forwards (all
    idempotent: a batch may be seen twice)."""
    settings, redis, ch = services.settings, services.redis.client, services.clickhouse
    return [
        make_epoch_listener(redis),
        make_webhook_listener(settings, redis, ch),
        make_alert_listener(settings, redis, ch, notifier=notifier(services)),
    ]


def make_writer(services: Services, consumer: str) -> Writer:
    return Writer(
        services.settings,
        services.redis.client,
        services.clickhouse,
        consumer=consumer,
        listeners=batch_listeners(services),
    )


def make_dispatcher(services: Services) -> WebhookDispatcher:
    """Signed webhooks plus the people channels (WeCom, Feishu, Slack, email)."""
    settings, redis, ch = services.settings, services.redis.client, services.clickhouse
    return WebhookDispatcher(
        settings, redis, ch, extra_channels=notification_channels(settings, redis, ch)
    )


def jobs(services: Services) -> list[PeriodicJob]:
    """Periodic jobs; each runs in one process at a time however many schedulers run."""
    ch, redis, settings = services.clickhouse, services.redis.client, services.settings
    people = notifier(services)
    react = (scoring_listener(WebhookEmitter(settings, redis, ch), people),)
    return [
        stall_job(ch, settings, listeners=react),
        unanswered_job(ch, settings, listeners=react),
        snapshot_job(ch, settings, listeners=react),
        account_band_job(ch, settings, listeners=react),
        pump_job(people),
        briefing_job(people, ch, source=scoring_briefing_source(ch, settings)),
        process_report_job(people, ch),
        forecast_report_job(people, ch),
        todo_job(ch),
        warm_job(ch, redis, settings.scoring.warm, services.scoring),
        retention_job(ch, blobs=services.blobs, cluster=settings.clickhouse_cluster),
        calibration_job(ch, settings),
    ]


def make_scheduler(services: Services) -> Scheduler:
    return Scheduler(services.redis.client, jobs(services))


def make_render_pool(services: Services) -> RenderPool:
    """Page images of new links and revisions, rendered before the buyer asks."""
    return RenderPool(services)
