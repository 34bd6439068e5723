"""Stall rules with known answers, episodes in ClickHouse, auto-clear, and two schedulers
racing: each alert reaches a real local HTTP receiver once."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import orjson
import pytest
import redis.asyncio as aioredis

from outbound import scoring_listener
from outbound.webhooks import (
    WEBHOOK_CHANNEL,
    DeliveryQueue,
    WebhookDispatcher,
    WebhookEmitter,
    create_subscription,
)
from scoring import detect_stall, run_stall_detection, stall_job
from scoring.health.features import OpportunityFeatures, TenantStats
from scoring.stall.store import StallStatus, list_stalls
from tests.outbound.webhooks.conftest import Receiver, drain
from tests.scoring.support import NOW, add_opportunity
from tracker.config import ScoringSettings, Settings
from tracker.crm.activities import Activity, record_activities
from tracker.scheduler import Scheduler
from tracker.stores.clickhouse import ClickHouse

T = ScoringSettings()
STATS = TenantStats(NOW, 10.0, 12, {"proposal": (20.0, 8), "discovery": (5.0, 2)}, 1.0)


def feats(**kw: object) -> OpportunityFeatures:
    base: dict[str, object] = {"opportunity_id": "o", "as_of": NOW, "stage": "proposal",
                               "stage_entered_at": NOW - timedelta(days=3)}  # fmt: skip
    base.update(kw)
    return OpportunityFeatures(**base)  # type: ignore[arg-type]


def rules(f: OpportunityFeatures, tuning: ScoringSettings = T) -> tuple[str, ...]:
    found = detect_stall(f, STATS, tuning, NOW)
    return found.rules if found else ()


def test_no_activity_for_48_hours_with_per_stage_override() -> None:
    assert rules(feats(last_event_at=NOW - timedelta(hours=47))) == ()
    quiet = feats(last_event_at=NOW - timedelta(hours=49))
    assert rules(quiet) == ("no_activity",)
    found = detect_stall(quiet, STATS, T, NOW)
    assert found is not None and found.onset == NOW - timedelta(hours=1)
    longer = T.merged({"stall": {"stage_inactivity_hours": {"proposal": 72.0}}})
    assert rules(quiet, longer) == ()
    shorter = T.merged({"stall": {"stage_inactivity_hours": {"proposal": 24.0}}})
    assert rules(feats(last_event_at=NOW - timedelta(hours=25)), shorter) == ("no_activity",)


def test_ghosted_beyond_k_times_the_median_reply_time() -> None:
    # median reply 10 h (12 samples) × k 3 = 30 h since our unanswered outreach
    asked = feats(
        last_event_at=NOW - timedelta(hours=40), last_seller_activity_at=NOW - timedelta(hours=29)
    )
    assert rules(asked) == ()
    ghosted = feats(
        last_event_at=NOW - timedelta(hours=40), last_seller_activity_at=NOW - timedelta(hours=31)
    )
    assert rules(ghosted) == ("ghosted",)
    answered = feats(
        last_event_at=NOW - timedelta(hours=30), last_seller_activity_at=NOW - timedelta(hours=31)
    )
    assert rules(answered) == ()
    few = TenantStats(NOW, 10.0, 2, {}, 1.0)  # too few replies: default 24 h × 3 = 72 h
    assert detect_stall(ghosted, few, T, NOW) is None


def test_overdue_close_date_and_stage_age_beyond_p75() -> None:
    recent = {"last_event_at": NOW - timedelta(hours=1)}
    assert rules(feats(expected_close_date=NOW.date(), **recent)) == ()
    overdue = feats(expected_close_date=NOW.date() - timedelta(days=1), **recent)
    assert rules(overdue) == ("close_date_overdue",)
    assert rules(feats(stage_entered_at=NOW - timedelta(days=21), **recent)) == ("stage_age",)
    assert rules(feats(stage_entered_at=NOW - timedelta(days=19), **recent)) == ()
    # discovery has only 2 finished stays: no stage-age rule yet
    assert (
        rules(feats(stage="discovery", stage_entered_at=NOW - timedelta(days=60), **recent)) == ()
    )


@pytest.fixture
def hook_settings(settings: Settings) -> Settings:
    hooks = settings.webhooks
    hooks.allow_private, hooks.subscription_cache_seconds = ["127.0.0.1"], 0.0
    hooks.first_retry_seconds, hooks.poll_seconds = 0.01, 0.01
    return settings


@pytest.fixture
def receiver() -> object:
    r = Receiver().start()
    yield r
    r.stop()


async def test_episode_alerts_once_and_clears_when_activity_resumes(
    hook_settings: Settings, clickhouse: ClickHouse, redis_client: aioredis.Redis,
    receiver: Receiver,
) -> None:  # fmt: skip
    create_subscription(clickhouse, hook_settings, "ten_A", url=receiver.url,
                        event_types=["opportunity.stalled", "opportunity.unstalled"])  # fmt: skip
    add_opportunity(clickhouse, "ten_A", "opp_q", updated_at=NOW - timedelta(days=10))
    add_opportunity(clickhouse, "ten_B", "opp_b", updated_at=NOW - timedelta(days=10))
    old = NOW - timedelta(days=3)
    record_activities(clickhouse, "ten_A", [Activity("a1", "opp_q", "email", old)])
    record_activities(clickhouse, "ten_B", [Activity("b1", "opp_b", "call", old)])
    emitter = WebhookEmitter(hook_settings, redis_client, clickhouse)
    clock = [NOW]
    react = (scoring_listener(emitter, None),)
    job = stall_job(clickhouse, hook_settings, clock=lambda: clock[0], listeners=react)
    # without the lock (say it lapsed), two runs race: the episode key keeps it at one alert
    await asyncio.gather(
        *(
            run_stall_detection(clickhouse, hook_settings, "ten_A", now=NOW, listeners=react)
            for _ in "ab"
        )
    )
    schedulers = [Scheduler(redis_client, [job]), Scheduler(redis_client, [job])]
    ran = await asyncio.gather(*(s.run_due() for s in schedulers))
    assert sorted(map(len, ran)) == [0, 1]  # the Redis lock: one scheduler ran the job
    queue = DeliveryQueue(redis_client, hook_settings.webhooks.queue, WEBHOOK_CHANNEL)
    await drain([WebhookDispatcher(hook_settings, redis_client, clickhouse)], queue)
    (alert,) = [orjson.loads(r.body) for r in receiver.requests]
    assert alert["type"] == "opportunity.stalled" and alert["tenant_id"] == "ten_A"
    assert alert["data"]["opportunity_id"] == "opp_q" and alert["data"]["rules"] == ["no_activity"]
    assert alert["data"]["recipients"] == ["rep@example.com"]
    (episode,) = list_stalls(clickhouse, "ten_A")
    assert episode.episode_id == alert["data"]["episode_id"]
    assert [s.opportunity_id for s in list_stalls(clickhouse, "ten_B")] == ["opp_b"]

    resumed = NOW + timedelta(hours=1)
    record_activities(clickhouse, "ten_A", [Activity("a2", "opp_q", "email", resumed)])
    later = NOW + timedelta(hours=2)
    run = await run_stall_detection(clickhouse, hook_settings, "ten_A", now=later, listeners=react)
    assert [c.opportunity_id for c in run.cleared] == ["opp_q"]
    await drain([WebhookDispatcher(hook_settings, redis_client, clickhouse)], queue)
    cleared = orjson.loads(receiver.requests[-1].body)
    assert cleared["type"] == "opportunity.unstalled"
    assert cleared["data"]["episode_id"] == episode.episode_id
    assert list_stalls(clickhouse, "ten_A") == []
    (done,) = list_stalls(clickhouse, "ten_A", status=StallStatus.CLEARED)
    assert done.cleared_at is not None and len(receiver.requests) == 2


def test_onset_is_deterministic() -> None:
    f = feats(
        last_event_at=datetime(2025, 2, 20, tzinfo=UTC),
        expected_close_date=date(2025, 2, 25),
        stage_entered_at=datetime(2025, 2, 10, tzinfo=UTC),
    )
    a, b = detect_stall(f, STATS, T, NOW), detect_stall(f, STATS, T, NOW + timedelta(minutes=5))
    assert (
        a is not None and b is not None and a.onset == b.onset == datetime(2025, 2, 22, tzinfo=UTC)
    )
