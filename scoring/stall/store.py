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
from typing import Any

import pyarrow as pa

from tracker.clock import TS, version_now
from tracker.stores import ClickHouse

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


def write_stalls(ch: ClickHouse, tenant_id: str, items: Sequence[StallEpisode]) -> None:
    if not items:
        return
    version = version_now()
    ch.insert(
        "stalls",
        pa.table(
            {
                "tenant_id": [tenant_id] * len(items),
                "opportunity_id": [s.opportunity_id for s in items],
                "episode_id": [s.episode_id for s in items],
                "status": [s.status.value for s in items],
                "rules": pa.array([list(s.rules) for s in items], pa.list_(pa.string())),
                "summary": [s.summary for s in items],
                "owner": [s.owner for s in items],
                "manager": [s.manager for s in items],
                "onset_at": pa.array([s.onset_at for s in items], TS),
                "detected_at": pa.array([s.detected_at for s in items], TS),
                "last_activity_at": pa.array([s.last_activity_at for s in items], TS),
                "cleared_at": pa.array([s.cleared_at for s in items], TS),
                "version": pa.array([version + i for i in range(len(items))], pa.uint64()),
            }
        ),
    )


_COLUMNS = (
    "opportunity_id, episode_id, status, rules, summary, owner, manager, onset_at, "
    "detected_at, last_activity_at, cleared_at"
)


def _episode(row: dict[str, Any]) -> StallEpisode:
    return StallEpisode(
        **{**row, "status": StallStatus(str(row["status"])), "rules": tuple(row["rules"])}
    )


def list_stalls(
    ch: ClickHouse,
    tenant_id: str,
    *,
    status: StallStatus | None = StallStatus.OPEN,
    owner: str | None = None,
    limit: int = 500,
) -> list[StallEpisode]:
    """Newest detection first."""
    where = "tenant_id = {tenant_id:String}"
    if status is not None:
        where += " AND status = {status:String}"
    if owner is not None:
        where += " AND (owner = {owner:String} OR manager = {owner:String})"
    rows = ch.query(
        f"SELECT {_COLUMNS} FROM {ch.database}.stalls FINAL WHERE {where} "
        "ORDER BY detected_at DESC, opportunity_id LIMIT {limit:UInt32}",
        {
            "tenant_id": tenant_id,
            "status": status.value if status else "",
            "owner": owner or "",
            "limit": limit,
        },
    )
    return [_episode(r) for r in rows]


def open_stalls(ch: ClickHouse, tenant_id: str) -> dict[str, StallEpisode]:
    """Open episode per opportunity (at most one by construction)."""
    found = list_stalls(ch, tenant_id, status=StallStatus.OPEN, limit=1_000_000)
    return {s.opportunity_id: s for s in sorted(found, key=lambda s: s.onset_at)}
