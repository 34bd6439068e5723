"""Stall detection, run as a scheduled job (tracker.scheduler: a Redis lock per job).

Rules, evaluated on point-in-time features (scoring.health.features) at `now`:

    no_activity          连续48小时无更新: no update of any kind for stall_inactivity_hours (48 h),
                         or the stage's override in stall_stage_inactivity_hours. An update is
                         a CRM change of the opportunity (stage, close date, amount — recorded
                         by tracker.crm.changes — or a note), any activity, a link we sent or
                         real (human) buyer engagement; a deal with none of these stalls 48 h
                         after it was created. The reason names what was updated last, when.
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

import orjson

from scoring.forecast.evidence import stage_age_limit
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
from scoring.stall.update_repository import DealUpdates, fetch_deal_updates
from scoring.tenant import load_tenant_scoring
from tracker.clock import utcnow
from tracker.config import ScoringSettings, Settings
from tracker.crm import tenants_with_opportunities
from tracker.scheduler import PeriodicJob
from tracker.stores import ClickHouse
from tracker.users import list_users

__all__ = [
    "StallFinding",
    "StallReason",
    "StallRun",
    "detect_stall",
    "last_update",
    "reasons_json",
    "run_stall_detection",
    "stall_job",
]


#: English wording of each reason code, for the webhook's `summary` (a machine-facing
#: contract); what people read is rendered from the codes in their language by `outbound`.
_ENGLISH = {
    "stall.no_update": "No update for {hours} h (last: {last} at {at})",
    "stall.ghosted": "No reply for {hours} h to our last outreach",
    "stall.close_overdue": "Close date {date} has passed",
    "stall.stage_age": "{days} days in {stage}",
}
#: An activity type -> the update it is (stage and close-date changes and notes are CRM
#: changes pushed as activities; meetings, emails and calls are activities).
_ACTIVITY_UPDATE = {
    "stage_change": "crm.stage",
    "close_date_change": "crm.close_date",
    "note": "crm.note",
}


@dataclass(frozen=True)
class StallReason:
    """One holding rule as a message code with its parameters (rendered per reader)."""

    code: str
    params: dict[str, str | int | float]

    def english(self) -> str:
        return _ENGLISH[self.code].format(**self.params)


@dataclass(frozen=True)
class StallFinding:
    rules: tuple[str, ...]
    onset: datetime
    reasons: tuple[StallReason, ...]

    @property
    def summary(self) -> str:
        return "; ".join(r.english() for r in self.reasons)


@dataclass
class StallRun:
    opened: list[StallEpisode] = field(default_factory=list)
    cleared: list[StallEpisode] = field(default_factory=list)
    still_open: int = 0


def _hours(h: float) -> timedelta:
    return timedelta(hours=h)


def last_update(f: OpportunityFeatures, u: DealUpdates | None) -> tuple[str, datetime] | None:
    """The newest update of the deal — (what, when) — or its creation when nothing else
    happened; None when not even that is known."""
    u = u or DealUpdates()
    kind = u.activity_type
    # on a tie the first, most specific name wins
    candidates: list[tuple[str, datetime | None]] = [
        (_ACTIVITY_UPDATE.get(kind, f"activity.{kind}"), u.activity_at),
        (f"crm.{u.crm_field}", u.crm_at),
        ("engagement", f.last_event_at),
        ("link_sent", f.last_sent_at),
        ("crm.stage", f.stage_entered_at),
        ("activity", f.last_buyer_activity_at),
        ("activity", f.last_seller_activity_at),
    ]
    found = [(at, what) for what, at in candidates if at is not None]
    if found:
        at, what = max(found, key=lambda x: x[0])
        return what, at
    created = u.created_at or f.first_activity_at
    return ("created", created) if created is not None else None


def detect_stall(
    f: OpportunityFeatures,
    stats: TenantStats,
    tuning: ScoringSettings,
    now: datetime,
    updates: DealUpdates | None = None,
) -> StallFinding | None:
    found: list[tuple[str, datetime, StallReason]] = []
    last = last_update(f, updates)
    window = _hours(tuning.stall.stage_inactivity_hours.get(f.stage, tuning.stall.inactivity_hours))
    if last is not None and now - last[1] > window:
        what, at = last
        hours = int((now - at).total_seconds() // 3600)
        params: dict[str, str | int | float] = {
            "hours": hours,
            "last": what,
            "at": at.astimezone(UTC).isoformat(timespec="minutes"),
        }
        found.append(("no_activity", at + window, StallReason("stall.no_update", params)))
    enough = stats.replies >= tuning.stall.min_samples and stats.median_reply_hours is not None
    reply = stats.median_reply_hours if enough else tuning.stall.default_reply_hours
    ghost = _hours(tuning.stall.ghost_factor * (reply or tuning.stall.default_reply_hours))
    seller, buyer = f.last_seller_at, f.last_buyer_at
    if seller is not None and (buyer is None or seller > buyer) and now - seller > ghost:
        hours = round((now - seller).total_seconds() / 3600)
        reason = StallReason("stall.ghosted", {"hours": hours})
        found.append(("ghosted", seller + ghost, reason))
    close = f.expected_close_date
    if close is not None and close < now.date():
        onset = datetime.combine(close + timedelta(days=1), time(), UTC)
        reason = StallReason("stall.close_overdue", {"date": close.isoformat()})
        found.append(("close_date_overdue", onset, reason))
    sample = stats.stage_age_days.get(f.stage)
    if (
        f.stage_entered_at is not None
        and sample is not None
        and sample[1] >= tuning.stall.min_samples
    ):
        limit = timedelta(days=stage_age_limit(stats, f.stage, tuning.stall.min_samples))
        if now - f.stage_entered_at > limit:
            days = (now - f.stage_entered_at).days
            reason = StallReason("stall.stage_age", {"days": days, "stage": f.stage})
            found.append(("stage_age", f.stage_entered_at + limit, reason))
    if not found:
        return None
    return StallFinding(
        rules=tuple(code for code, _, _ in found),
        onset=min(at for _, at, _ in found),
        reasons=tuple(reason for _, _, reason in found),
    )


def reasons_json(reasons: tuple[StallReason, ...]) -> str:
    return orjson.dumps([{"code": r.code, "params": r.params} for r in reasons]).decode()


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
    updates = fetch_deal_updates(ch, tenant_id, now)
    findings = {
        k: s
        for k, f in features.items()
        if (s := detect_stall(f, stats, tuning, now, updates.get(k)))
    }
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
            reasons=reasons_json(finding.reasons),
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
        "stalls", settings.scoring.stall.interval_seconds, run, for_tenant=for_tenant
    )
