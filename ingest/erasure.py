"""A person's own reading, for a subject-access export and for erasure: the events of the
links sent to them that were not forwarded (a forwardee's reading on the same link is
someone else's and stays), the rollups of those links rebuilt from what remains, and the
Redis state of those links' viewers (visit state, forward decisions, gate emails, answers
to the privacy notice, cached link context)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import redis.asyncio as aioredis

from tracker import redis_keys
from tracker.privacy import LINK_SCOPE, rollup_rebuild_sql, rollup_selects
from tracker.stores import ClickHouse, delete_rows, redis_errors

__all__ = [
    "erase_person_events",
    "forget_link_viewers",
    "person_erasure_sql",
    "person_events",
]

_OWN = f"{LINK_SCOPE} AND forwarded = 0"


def person_events(
    ch: ClickHouse, tenant_id: str, link_ids: tuple[str, ...]
) -> list[dict[str, Any]]:
    if not link_ids:
        return []
    return ch.query(
        "SELECT event_id, event_type, document_id, version_id, link_id, viewer_id, visit_id, "
        "page, dwell_ms, client_ts, received_at, ua_browser, ua_os, ua_device, ip_hash, "
        f"is_bot, bot_reason, props FROM {ch.database}.events WHERE {_OWN} "
        "ORDER BY received_at, event_id",
        {"tenant": tenant_id, "links": ",".join(link_ids)},
    )


def person_erasure_sql(
    database: str, selects: Mapping[str, str], cluster: str | None = None
) -> list[str]:
    """The statements of an erasure, in order (parameters `tenant` and `links`): the
    person's own events deleted, then each rollup's rows of those links deleted and rebuilt
    from the events left, through the rollup's materialized-view SELECT (`selects`:
    rollup → that SELECT as `system.tables` shows it). In cluster mode the deletes go to the
    `_local` tables ON CLUSTER and the rebuild reads and writes the Distributed tables."""
    return [
        delete_rows(database, "events", _OWN, cluster),
        *rollup_rebuild_sql(database, selects, cluster),
    ]


def erase_person_events(
    ch: ClickHouse, tenant_id: str, link_ids: tuple[str, ...], *, cluster: str | None = None
) -> int:
    """Deletes the person's own events; the links' rollup rows are rebuilt from the events
    that remain (forwardees'). Returns how many events were deleted."""
    if not link_ids:
        return 0
    db = ch.database
    params = {"tenant": tenant_id, "links": ",".join(link_ids)}
    count = int(ch.query(f"SELECT count() AS n FROM {db}.events WHERE {_OWN}", params)[0]["n"])
    for statement in person_erasure_sql(db, rollup_selects(ch), cluster):
        ch.command(statement, params)
    return count


async def forget_link_viewers(
    redis: aioredis.Redis, tenant_id: str, link_ids: tuple[str, ...]
) -> int:
    """Deletes what Redis holds about the viewers of these links; returns keys deleted."""
    deleted = 0
    with redis_errors("forget link viewers"):
        for link_id in link_ids:
            keys = [
                redis_keys.link_viewers(tenant_id, link_id),
                redis_keys.gate_email(tenant_id, link_id),
                redis_keys.link_context(tenant_id, link_id),
                redis_keys.viewer_consent(tenant_id, link_id),
            ]
            pattern = redis_keys.viewer_state(tenant_id, link_id, "*")
            keys += [key async for key in redis.scan_iter(match=pattern, count=500)]
            deleted += int(await redis.delete(*keys))
    return deleted
