"""What scoring publishes: a stall opened or cleared, a deal's health band changed, an
account's customer-health band changed (the first assessment included), a high-potential
customer waiting for a reply, and that wait answered.

Scoring decides; it does not tell anyone. The jobs that find these hand each one to a
`ScoringListener` (wired once in `api.workers`: `outbound` turns them into signed webhooks,
WeCom/Feishu/Slack/email messages and managers' to-dos). A listener is awaited before the
job writes its own rows, so a crash in between publishes again on the next run; listeners
must therefore be idempotent (they dedupe on `StallOpened.episode.episode_id`,
`BandChanged.change_key`, `AccountBandChanged.change_key`, …)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from scoring.stall.store import StallEpisode

__all__ = [
    "AccountBandChanged",
    "BandActionPlan",
    "BandChanged",
    "CustomerAnswered",
    "CustomerWaiting",
    "ScoringEvent",
    "ScoringListener",
    "StallCleared",
    "StallDeal",
    "StallOpened",
    "publish_all",
]


@dataclass(frozen=True)
class StallDeal:
    """The deal as the stall detector saw it (for payloads; empty when it closed)."""

    account: str = ""
    amount: float | None = None
    currency: str = ""
    stage: str = ""


@dataclass(frozen=True)
class StallOpened:
    tenant_id: str
    episode: StallEpisode
    deal: StallDeal


@dataclass(frozen=True)
class StallCleared:
    tenant_id: str
    episode: StallEpisode  # as cleared (status, cleared_at set)
    deal: StallDeal
    reason: str  # activity_resumed | closed


@dataclass(frozen=True)
class BandChanged:
    tenant_id: str
    opportunity_id: str
    previous_band: str
    band: str
    value: float
    owner: str
    manager: str
    actions: tuple[str, ...]  # English, the webhook's contract
    change_key: str  # identifies this change: one webhook and one alert per key
    # the same actions as message codes with parameters ({code, params, text}), for people
    action_items: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class BandActionPlan:
    """Who and what the tenant's settings name for an account's band actions
    (`ScoringSettings.account_actions`), resolved when the change is found."""

    nurture_document_ids: tuple[str, ...] = ()
    nurture_due_days: float = 3.0
    presales: str = ""
    joint_visit_due_days: float = 7.0
    vp: str = ""  # the team's VP (by the rep's manager), else the tenant's
    escalation_due_days: float = 2.0


@dataclass(frozen=True)
class AccountBandChanged:
    """客户健康度 entered `band` (blue | yellow | red | insufficient_data); `previous_band`
    is '' on the account's first assessment. `change_key` is the same however often the
    change is published (account, the number of its earlier changes, the bands)."""

    tenant_id: str
    account_id: str
    account_name: str
    industry: str
    previous_band: str
    band: str
    value: float | None
    owner: str  # the account's rep ('' when neither the account nor a deal names one)
    manager: str  # the rep's manager from the account's newest deal ('' when unknown)
    reasons: tuple[str, ...]  # the weakest parts, worst first
    plan: BandActionPlan
    change_key: str
    # The weakest pillar parts as (part code, score 0–100), worst first: messages name
    # them in the reader's language from the code (`reasons` are their English summaries).
    weakest: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class CustomerWaiting:
    """高潜客户等待响应超4小时: a high-potential deal's customer has waited `hours` working
    hours for a reply to `activity_id`. `level` is `rep` from `reply_hours`, `manager` from
    `manager_reply_hours`; `alert_key` (the first unanswered activity and the level) is the
    same however often the job finds the same wait. The reply ends it: the job stops
    publishing and the deal's health drops the signal."""

    tenant_id: str
    opportunity_id: str
    account: str
    owner: str
    manager: str
    level: str  # rep | manager
    activity_id: str
    hours: float
    manager_hours: float  # the tenant's second threshold, for the message
    signal: dict[str, Any]  # {code, params, summary, activity_ids}
    alert_key: str


@dataclass(frozen=True)
class CustomerAnswered:
    """A high-potential deal's customer waited at least the second threshold
    (`manager_reply_hours`: the wait was escalated to the manager) and has been answered:
    `reply_id` is our first outbound activity after `activity_id`. `wait_key` (the deal and
    the first unanswered activity) names the wait as `CustomerWaiting.alert_key` begins; the
    job publishes it on every run while the reply is within its look-back, so listeners
    dedupe on it."""

    tenant_id: str
    opportunity_id: str
    account: str
    owner: str
    manager: str
    activity_id: str
    reply_id: str
    answered_at: str  # ISO, the reply's time
    hours: float  # working hours the customer waited
    wait_key: str


ScoringEvent = (
    StallOpened
    | StallCleared
    | BandChanged
    | AccountBandChanged
    | CustomerWaiting
    | CustomerAnswered
)
ScoringListener = Callable[[ScoringEvent], Awaitable[None]]


async def publish_all(listeners: tuple[ScoringListener, ...], event: ScoringEvent) -> None:
    """Hand one event to every listener, in order; a listener's failure propagates (the
    job's run fails and the next run publishes again)."""
    for listener in listeners:
        await listener(event)
