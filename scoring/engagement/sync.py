"""The CRM's bulk score sync: `GET /api/v1/scores?updated_since=…&cursor=…&limit=…`.

Paging is keyset on the opportunity id, which never changes, so a sweep has no duplicates
and no gaps however many events or updates arrive meanwhile ("updated" only decides
membership, and membership only grows during a sweep: whatever changes after the sweep
started is either still ahead of the cursor, or caught by the next sync).

"Updated" = anything we received for the opportunity at or after `updated_since`: the CRM's
own push, document events, activities, an outcome (our clock, `received_at`). Time decay
alone changes values without an update; a CRM wanting decayed values re-pulls everything.

Every page carries `watermark`: the sweep's start minus `sync_overlap_seconds` (events still
in flight through the ingest buffer are received-stamped before they land). Pass it as the
next sync's `updated_since`; the overlap only costs a few repeats.

The cursor is opaque base64url JSON: {"a": last id, "s": since ms | null, "w": watermark ms}.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
import redis.asyncio as aioredis
from pydantic import BaseModel, Field

from scoring.engagement.service import score_opportunities
from scoring.engagement.sync_repository import page_opportunity_ids
from scoring.model import Score
from scoring.tenant import TenantScoring
from tracker.clock import utcnow
from tracker.errors import BadRequest
from tracker.stores import ClickHouse

__all__ = ["ScoreItem", "ScoresPage", "SyncCursor", "scores_page"]


class ScoreItem(Score):
    opportunity_id: str


class ScoresPage(BaseModel):
    """One page of a sweep. Follow `next_cursor` (as `cursor`) until it is null: null means
    the sweep is complete, never "maybe more". Then keep `watermark` and pass it as the
    next sync's `updated_since`."""

    items: list[ScoreItem]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null: no more data in this sweep"
    )
    watermark: datetime = Field(
        description="the sweep's start minus a safety overlap: the next sync's `updated_since`"
    )


@dataclass(frozen=True)
class SyncCursor:
    after: str
    since_ms: int | None
    watermark_ms: int

    def encode(self) -> str:
        raw = orjson.dumps({"a": self.after, "s": self.since_ms, "w": self.watermark_ms})
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> SyncCursor:
        try:
            data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            after, since, mark = data["a"], data["s"], data["w"]
            if not (
                isinstance(after, str)
                and (since is None or type(since) is int)
                and type(mark) is int
                and len(after) <= 128
                and (since is None or 0 <= since <= _MAX_MS)
                and 0 <= mark <= _MAX_MS
            ):
                raise TypeError("bad cursor fields")
        except (binascii.Error, ValueError, TypeError, KeyError) as exc:
            message = "the cursor is not one this API issued"
            raise BadRequest(message, code="invalid_cursor") from exc
        return cls(after, since, mark)


# The cursor's instants lie between the epoch and the end of year 9999, where Python's
# datetimes end (a forged one beyond would otherwise overflow into a 500).
_MAX_MS = 253_402_300_799_999


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


async def scores_page(
    ch: ClickHouse,
    redis: aioredis.Redis,
    scoring: TenantScoring,
    tenant_id: str,
    *,
    updated_since: datetime | None,
    cursor: str | None,
    limit: int,
) -> ScoresPage:
    """One page; a given `cursor` carries the sweep's `updated_since` and watermark (the
    query's `updated_since` is then ignored)."""
    if cursor:
        state = SyncCursor.decode(cursor)
    else:
        start = utcnow() - timedelta(seconds=scoring.tuning.engagement.sync_overlap_seconds)
        since = _ms(updated_since) if updated_since is not None else None
        state = SyncCursor("", since, _ms(start))
    since_at = _at(state.since_ms) if state.since_ms is not None else None
    # One id beyond the page tells whether another page exists: a full last page ends the
    # sweep without a cursor (which would have led to an empty page).
    ids = await asyncio.to_thread(
        page_opportunity_ids, ch, tenant_id, after=state.after, since=since_at, limit=limit + 1
    )
    more, ids = len(ids) > limit, ids[:limit]
    scores = await score_opportunities(ch, redis, scoring, tenant_id, ids)
    items = [ScoreItem(opportunity_id=o, **scores[o].model_dump()) for o in ids]
    next_cursor = SyncCursor(ids[-1], state.since_ms, state.watermark_ms).encode() if more else None
    return ScoresPage(items=items, next_cursor=next_cursor, watermark=_at(state.watermark_ms))
