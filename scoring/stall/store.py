"""Stall episodes of opportunities (see migration 0007).

An episode is opened once per stall with an id derived from (tenant, opportunity, onset), so
two schedulers detecting the same stall write the same row (ReplacingMergeTree collapses
them); clearing writes the same episode with `status = cleared` and a newer version."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

import orjson
import pyarrow as pa

from tracker.clock import TS
from tracker.stores import ClickHouse, EntityTable

__all__ = [
    "StallEpisode",
    "StallStatus",
    "episode_id_of",
    "list_stalls",
    "open_stalls",
    "write_stalls",
]


class StallStatus(StrEnum):
    OPEN = "open"
    CLEARED = "cleared"


def episode_id_of(tenant_id: str, opportunity_id: str, onset: datetime) -> str:
    """Deterministic: the same stall found by two processes has one id."""
    raw = f"{tenant_id}|{opportunity_id}|{int(onset.timestamp() * 1000)}".encode()
    return "stl_" + hashlib.sha256(raw).hexdigest()[:24]


@dataclass(frozen=True)
class StallEpisode:
    opportunity_id: str
    episode_id: str
    status: StallStatus
    rules: tuple[str, ...]
    summary: str
    owner: str
    manager: str
    onset_at: datetime
    detected_at: datetime
    last_activity_at: datetime | None = None
    cleared_at: datetime | None = None
    reasons: str = ""  # JSON [{"code", "params"}] (migration 0016); "" on older episodes

    def reason_list(self) -> list[dict[str, Any]]:
        """The reasons as message codes with parameters, for rendering in a reader's language."""
        return list(orjson.loads(self.reasons)) if self.reasons else []


STALLS: Final = EntityTable(
    "stalls",
    StallEpisode,
    {
        "rules": pa.list_(pa.string()),
        "onset_at": TS,
        "detected_at": TS,
        "last_activity_at": TS,
        "cleared_at": TS,
    },
)


def write_stalls(ch: ClickHouse, tenant_id: str, items: Sequence[StallEpisode]) -> None:
    """Episodes of one tenant (the episode carries no tenant column of its own)."""
    STALLS.write(ch, items, tenant_id=tenant_id)


def list_stalls(
    ch: ClickHouse,
    tenant_id: str,
    *,
    status: StallStatus | None = StallStatus.OPEN,
    owner: str | None = None,
    limit: int = 500,
) -> list[StallEpisode]:
    """Newest detection first."""
    equals = {} if status is None else {"status": status.value}
    return STALLS.select(
        ch,
        tenant_id,
        equals=equals,
        where="" if owner is None else "owner = {owner:String} OR manager = {owner:String}",
        params={"owner": owner or ""},
        order_by="detected_at DESC, opportunity_id",
        limit=limit,
    )


def open_stalls(ch: ClickHouse, tenant_id: str) -> dict[str, StallEpisode]:
    """Open episode per opportunity (at most one by construction)."""
    found = list_stalls(ch, tenant_id, status=StallStatus.OPEN, limit=1_000_000)
    return {s.opportunity_id: s for s in sorted(found, key=lambda s: s.onset_at)}
