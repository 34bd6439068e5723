"""Who read pages with which tag, how often, lately (近期密集查阅竞品页面): per opportunity,
person and tag, the visits in (as_of − window, as_of] in which the person read (`tracker.reading`:
a page with at least `read_seconds` of human dwell) a page carrying one of the given tags.
Many opportunities at once; the tags are the tenant's own (`engagement.page_tags`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from scoring.engagement.signals import real_time
from tracker.reading import HUMAN, PERSON, READ_MS_PARAM
from tracker.stores import ClickHouse

__all__ = ["TagReads", "fetch_tag_reads"]

_KEYS = "(SELECT arrayJoin(splitByChar(',', {keys:String})))"


@dataclass(frozen=True)
class TagReads:
    person: str  # c:<contact id> or v:<viewer id>, as the deal's people
    tag: str
    visits: int  # visits with a read page carrying the tag
    last_at: datetime
    event_ids: tuple[str, ...]  # some of the reads, the proof


def fetch_tag_reads(
    ch: ClickHouse,
    tenant_id: str,
    keys: Sequence[str] | None,
    as_of: datetime,
    window_days: float,
    tags: Sequence[str],
    read_ms: int,
) -> dict[str, list[TagReads]]:
    """opportunity id → its people's reads per tag, most visits first."""
    if not tags or (keys is not None and not keys):
        return {}
    db = ch.database
    where = "opportunity_id != ''" if keys is None else f"opportunity_id IN {_KEYS}"
    versions = (
        f"SELECT version_id, page_tags FROM {db}.document_versions FINAL "
        "WHERE tenant_id = {tenant_id:String}"
    )
    # one row per (visit, page) read, with the page's tags among the asked ones
    pages = (
        f"SELECT e.opportunity_id AS k, {PERSON} AS person, e.visit_id AS visit, e.page AS page, "
        "sum(e.dwell_ms) AS ms, max(e.received_at) AS at, any(e.event_id) AS eid, "
        "any(arrayIntersect(v.page_tags[e.page], splitByChar(',', {tags:String}))) AS hit "
        f"FROM {db}.events AS e INNER JOIN ({versions}) AS v ON v.version_id = e.version_id "
        f"WHERE e.tenant_id = {{tenant_id:String}} AND {HUMAN} AND {where} "
        "AND e.event_type = 'page_dwell' AND e.page > 0 "
        "AND e.received_at > fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') "
        "AND e.received_at <= fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC') "
        f"GROUP BY k, person, visit, page HAVING ms >= {READ_MS_PARAM} AND notEmpty(hit)"
    )
    rows = ch.query(
        "SELECT k, person, tag, uniqExact(visit) AS visits, max(at) AS last_at, "
        "groupArraySorted(5)(eid) AS event_ids "
        f"FROM ({pages}) ARRAY JOIN hit AS tag GROUP BY k, person, tag "
        "ORDER BY k, visits DESC, person, tag",
        {
            "tenant_id": tenant_id,
            "keys": ",".join(keys or ()),
            "tags": ",".join(tags),  # tag names: [a-z0-9_] only
            "from_ms": int((as_of - timedelta(days=window_days)).timestamp() * 1000),
            "to_ms": int(as_of.timestamp() * 1000),
            "read_ms": read_ms,
        },
    )
    found: dict[str, list[TagReads]] = {}
    for r in rows:
        at = real_time(r["last_at"])
        if at is None:
            continue
        found.setdefault(r["k"], []).append(
            TagReads(
                person=r["person"],
                tag=r["tag"],
                visits=int(r["visits"]),
                last_at=at,
                event_ids=tuple(e for e in r["event_ids"] if e),
            )
        )
    return found
