"""What scoring publishes: a stall opened or cleared, a deal's health band changed.

Scoring decides; it does not tell anyone. The jobs that find these hand each one to a
`ScoringListener` (wired once in `api.workers`: `outbound` turns them into signed webhooks,
WeCom/Feishu/Slack/email messages and managers' to-dos). A listener is awaited before the
job writes its own rows, so a crash in between publishes again on the next run; listeners
must therefore be idempotent (they dedupe on `StallOpened.episode.episode_id`,
`BandChanged.change_key`, …)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from scoring.stall.store import StallEpisode

__all__ = [
    "BandChanged",
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


ScoringEvent = StallOpened | StallCleared | BandChanged
ScoringListener = Callable[[ScoringEvent], Awaitable[None]]


async def publish_all(listeners: tuple[ScoringListener, ...], event: ScoringEvent) -> None:
    """Hand one event to every listener, in order; a listener's failure propagates (the
    job's run fails and the next run publishes again)."""
    for listener in listeners:
        await listener(event)
