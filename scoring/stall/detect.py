"""Stall detection, run as a scheduled job (tracker.scheduler: a Redis lock per job).

Rules, evaluated on point-in-time features (scoring.health.features) at `now`:

    no_activity          no buyer or seller activity for stall_inactivity_hours (48 h), or the
                         stage's override in stall_stage_inactivity_hours
    ghosted              our last outreach is newer than the buyer's last action and older than
                         k × the tenant's median reply time (k = stall_ghost_factor; the default
                         reply time until stall_min_samples replies are known)
    close_date_overdue   the expected close date has passed
    stage_age            time in the stage beyond the tenant's 75th percentile for it (needs
                         stall_min_samples finished stays in that stage)

One episode per stall: its id comes from (tenant, opportunity, onset = the earliest moment a
holding rule became true), so concurrent runs agree on it; the `opportunity.stalled` webhook
uses the episode id as dedupe key (queued once) and the episode row collapses in ClickHouse.
An episode clears (`opportunity.unstalled`) when no rule holds any more — e.g. activity
resumed — or the deal closed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from scoring.forecast.evidence import stage_age_limit
from scoring.health.assess import load_tenant_scoring
from scoring.health.features import OpportunityFeatures, TenantStats, features_as_of, tenant_stats
from scoring.published import (
    ScoringListener,
    StallCleared,
    StallDeal,
    StallOpened,
    publish_all,
)
from scoring.stall.store import (
    StallEpisode,
    StallStatus,
    episode_id_of,
    open_stalls,
    write_stalls,
)
from tracker.clock import utcnow
from tracker.config import ScoringSettings, Settings
from tracker.crm import tenants_with_opportunities
from tracker.scheduler import PeriodicJob
from tracker.stores import ClickHouse
from tracker.users import list_users

__all__ = ["StallFinding", "StallRun", "detect_stall", "run_stall_detection", "stall_job"]


@dataclass(frozen=True)
class StallFinding:
    rules: tuple[str, ...]
    onset: datetime
    summary: str


@dataclass
class StallRun:
    opened: list[StallEpisode] = field(default_factory=list)
    cleared: list[StallEpisode] = field(default_factory=list)
    still_open: int = 0


def _hours(h: float) -> timedelta:
    return timedelta(hours=h)


def detect_stall(
    f: OpportunityFeatures, stats: TenantStats, tuning: ScoringSettings, now: datetime
) -> StallFinding | None:
    found: list[tuple[str, datetime, str]] = []
    last = f.last_activity_at or f.stage_entered_at or f.first_activity_at
    window = _hours(tuning.stall_stage_inactivity_hours.get(f.stage, tuning.stall_inactivity_hours))
    if last is not None and now - last > window:
        days = (now - last).total_seconds() / 86_400
        found.append(("no_activity", last + window, f"No activity for {days:.1f} days"))
    enough = stats.replies >= tuning.stall_min_samples and stats.median_reply_hours is not None
    reply = stats.median_reply_hours if enough else tuning.stall_default_reply_hours
    ghost = _hours(tuning.stall_ghost_factor * (reply or tuning.stall_default_reply_hours))
    seller, buyer = f.last_seller_at, f.last_buyer_at
    if seller is not None and (buyer is None or seller > buyer) and now - seller > ghost:
        hours = (now - seller).total_seconds() / 3600
        found.append(
            ("ghosted", seller + ghost, f"No reply for {hours:.0f} h to our last outreach")
        )
    close = f.expected_close_date
    if close is not None and close < now.date():
        onset = datetime.combine(close + timedelta(days=1), time(), UTC)
        found.append(("close_date_overdue", onset, f"Close date {close} has passed"))
    sample = stats.stage_age_days.get(f.stage)
    if (
        f.stage_entered_at is not None
        and sample is not None
        and sample[1] >= tuning.stall_min_samples
    ):
        limit = timedelta(days=stage_age_limit(stats, f.stage, tuning.stall_min_samples))
        if now - f.stage_entered_at > limit:
            days = (now - f.stage_entered_at).days
            found.append(("stage_age", f.stage_entered_at + limit, f"{days} days in {f.stage}"))
    if not found:
        return None
    return StallFinding(
        rules=tuple(code for code, _, _ in found),
        onset=min(at for _, at, _ in found),
        summary="; ".join(text for _, _, text in found),
    )


def _deal(f: OpportunityFeatures | None) -> StallDeal:
    if f is None:
        return StallDeal()
    return StallDeal(account=f.account, amount=f.amount, currency=f.currency, stage=f.stage)


def _evaluate(
    ch: ClickHouse, settings: Settings, tenant_id: str, now: datetime
) -> tuple[
    dict[str, OpportunityFeatures], dict[str, StallFinding], dict[str, StallEpisode], dict[str, str]
]:
    tuning = load_tenant_scoring(ch, tenant_id, settings.scoring).tuning
    features = {
        k: f for k, f in features_as_of(ch, tenant_id, None, now, tuning).items() if f.is_open
    }
    stats = tenant_stats(ch, tenant_id, now, tuning)
    findings = {k: s for k, f in features.items() if (s := detect_stall(f, stats, tuning, now))}
    managers = {u.email: u.manager_email for u in list_users(ch, tenant_id)}
    return features, findings, open_stalls(ch, tenant_id), managers


async def run_stall_detection(
    ch: ClickHouse,
    settings: Settings,
    tenant_id: str,
    *,
    now: datetime | None = None,
    listeners: tuple[ScoringListener, ...] = (),
) -> StallRun:
    """Open episodes for new stalls and clear the ones that ended, publishing each to the
    listeners (webhooks, the rep's and manager's messages, the manager's to-do) before the
    row is written: a crash in between publishes again on the next run (listeners dedupe
    on the episode id) and that run writes the row."""
    at = now or utcnow()
    features, findings, current, managers = await asyncio.to_thread(
        _evaluate, ch, settings, tenant_id, at
    )
    run = StallRun()
    for k, finding in sorted(findings.items()):
        if k in current:
            run.still_open += 1
            continue
        f = features[k]
        episode = StallEpisode(
            opportunity_id=k,
            episode_id=episode_id_of(tenant_id, k, finding.onset),
            status=StallStatus.OPEN,
            rules=finding.rules,
            summary=finding.summary,
            owner=f.owner,
            manager=f.manager or managers.get(f.owner.lower(), ""),
            onset_at=finding.onset,
            detected_at=at,
            last_activity_at=f.last_activity_at,
        )
        await publish_all(listeners, StallOpened(tenant_id, episode, _deal(f)))
        run.opened.append(episode)
    for k, episode in sorted(current.items()):
        if k in findings:
            continue
        now_f = features.get(k)
        cleared = StallEpisode(
            **{
                **episode.__dict__,
                "status": StallStatus.CLEARED,
                "cleared_at": at,
                "last_activity_at": now_f.last_activity_at if now_f else episode.last_activity_at,
            }
        )
        reason = "activity_resumed" if now_f else "closed"
        await publish_all(listeners, StallCleared(tenant_id, cleared, _deal(now_f), reason))
        run.cleared.append(cleared)
    await asyncio.to_thread(write_stalls, ch, tenant_id, [*run.opened, *run.cleared])
    return run


def stall_job(
    ch: ClickHouse,
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utcnow,
    listeners: tuple[ScoringListener, ...] = (),
) -> PeriodicJob:
    """The scheduled stall detection over every tenant with opportunities."""

    async def for_tenant(tenant_id: str) -> StallRun:
        return await run_stall_detection(ch, settings, tenant_id, now=clock(), listeners=listeners)

    async def run() -> dict[str, StallRun]:
        tenants = await asyncio.to_thread(tenants_with_opportunities, ch)
        return {t: await for_tenant(t) for t in tenants}

    return PeriodicJob(
        "stalls", settings.scoring.stall_interval_seconds, run, for_tenant=for_tenant
    )
