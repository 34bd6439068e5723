"""The engagement queries' innermost SELECTs over `engagement_visit_pages` (migration 0040)
instead of the raw events: the same columns with the same meaning, one row per (visit, page,
person) rather than one per heartbeat, so every later stage of the queries in
`scoring.engagement.repository` runs unchanged on a fraction of the rows.

The rollup has no per-event time: it can only answer "as of now", i.e. when none of the
scope's events was received after the query's `now`. `fetch_*` check that on the events
query's `last_received_at` and fall back to the raw events when it does not hold (as-of
scores, clocks running ahead).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from tracker.reading import READ_MS_PARAM
from tracker.stores import ClickHouse

__all__ = [
    "ROLLUP",
    "DetailInputs",
    "EventSource",
    "fetch_detail_inputs",
    "rollup_events",
    "rollup_reads",
    "rollup_visits",
]

ROLLUP = "engagement_visit_pages"


class EventSource(StrEnum):
    """Where the engagement queries read reading events from."""

    ROLLUP = "rollup"  # engagement_visit_pages, when it can answer (see the module docstring)
    RAW = "raw"  # the events table itself: today's reference path


def rollup_reads(db: str, select: str, source: str, where: str, by: str) -> str:
    """(visit, page) reads as `repository._reads` makes them: the read columns of a row only
    count page_dwell events of humans on a page, `read_events > 0` says there were any."""
    return (
        f"SELECT {select}, version_id, page, visit_id, any(opportunity_id) AS opp, "
        "any(link_id) AS link, any(person) AS person, "
        # the person is `c:<contact>` exactly when the events were the link's own contact's
        "if(startsWith(person, 'c:'), substring(person, 3), '') AS contact, "
        "max(read_forwarded) AS fwd, toUInt64(sum(read_ms)) AS read_ms, max(read_at) AS at "
        f"FROM {db}.{ROLLUP}{source} WHERE {where} AND read_events > 0 "
        f"GROUP BY {by}, version_id, page, visit_id HAVING read_ms >= {READ_MS_PARAM}"
    )


def rollup_visits(db: str, select: str, source: str, where: str, by: str) -> str:
    """Each person's visits with their first and last viewer event."""
    return (
        f"SELECT {select}, person, visit_id, min(visit_start) AS vs, max(visit_end) AS ve "
        f"FROM {db}.{ROLLUP}{source} WHERE {where} AND visit_events > 0 AND visit_id != '' "
        f"GROUP BY {by}, person, visit_id"
    )


def rollup_events(db: str, select: str, source: str, where: str, by: str, age: str) -> str:
    """Downloads (each decayed by its own age), human and bot counts, newest events.
    `age` is the repository's age expression with `{ts}` for the timestamp."""
    decayed = f"exp2(-{age.format(ts='d')} / {{doc_hl_ms:Float64}})"
    return (
        "WITH fromUnixTimestamp64Milli({now_ms:Int64}, 'UTC') AS now_ts "
        f"SELECT {select}, toUInt64(sum(downloads)) AS downloads, "
        f"sum(arraySum(arrayMap(d -> {decayed}, download_at))) AS downloads_decayed, "
        "toUInt64(sum(human_events)) AS human_events, toUInt64(sum(bot_events)) AS bot_events, "
        "max(human_at) AS last_event_at, max(last_at) AS last_received_at "
        f"FROM {db}.{ROLLUP}{source} WHERE {where} GROUP BY {by}"
    )


_IN_LIST = "(SELECT arrayJoin(splitByChar(',', {%s:String})))"


@dataclass(frozen=True)
class DetailInputs:
    """What an engagement detail is computed from on the rollup: the opportunity's rollup
    rows and the few entity rows they point at (`scoring.engagement.detail_rows` aggregates
    them as the SQL of `scoring.engagement.repository` would)."""

    rollup: list[dict[str, Any]]
    versions: dict[str, dict[str, Any]]  # version_id → pages, page_words, page_tags, …, title
    contacts: dict[str, dict[str, Any]]  # contact_id → name, email, is_decision_maker
    links: dict[str, dict[str, Any]]  # link_id → recipient_name, recipient_email
    activities: list[dict[str, Any]]


def fetch_detail_inputs(ch: ClickHouse, tenant_id: str, opportunity_id: str) -> DetailInputs:
    """Plain point reads, no joins and no aggregation: on one opportunity, planning a
    query costs more than running it, so these stay simple and Python aggregates. Each
    table read has a fixed cost of a few milliseconds whatever it returns, so an entity
    table is only read when `detail_rows` can consult what it returns (see `_needs`)."""
    db, p = ch.database, {"tenant_id": tenant_id, "opp": opportunity_id}
    own = "tenant_id = {tenant_id:String} AND opportunity_id = {opp:String}"
    rollup = ch.query(
        "SELECT link_id, document_id, version_id, visit_id, page, person, read_events, "
        "read_ms, read_at, read_forwarded, visit_events, visit_start, visit_end, download_at, "
        f"downloads, human_events, bot_events, human_at, last_at FROM {db}.{ROLLUP} WHERE {own}",
        p,
    )
    activities = ch.query(
        f"SELECT activity_type, occurred_at, received_at, attendees FROM {db}.activities FINAL "
        f"WHERE {own}",
        p,
    )
    needs = _needs(rollup, activities)
    versions, recipients, contacts = {}, {}, {}
    if needs.pages:
        versions = _versions(ch, p, sorted({r["document_id"] for r in rollup}))
    if needs.links:
        recipients = _recipients(ch, p, sorted({r["link_id"] for r in rollup if r["link_id"]}))
    if needs.contacts:
        # the contacts of the opportunity's current version (what FINAL keeps: the highest)
        found = ch.query(
            f"SELECT contact_id, name, email, is_decision_maker FROM {db}.contacts FINAL "
            f"WHERE {own} AND version = (SELECT max(version) FROM {db}.opportunities "
            f"WHERE {own})",
            p,
        )
        contacts = {r["contact_id"]: r for r in found}
    return DetailInputs(
        rollup=rollup,
        versions=versions,
        contacts=contacts,
        links=recipients,
        activities=activities,
    )


@dataclass(frozen=True)
class _Needs:
    """Which entity reads `detail_rows` can consult: versions and titles only for the pages
    of reads, links only for the people of reads, contacts only for a person who is a
    contact (a read by the link's own contact, or a meeting's attendee)."""

    pages: bool
    links: bool
    contacts: bool


def _needs(rollup: list[dict[str, Any]], activities: list[dict[str, Any]]) -> _Needs:
    # a superset of what `detail_rows` consults: it also drops reads under the threshold
    # and meetings after `now`, which these reads do not know
    reads = [r for r in rollup if r["read_events"]]
    attendees = any(
        a["activity_type"] == "meeting" and any(a["attendees"] or ()) for a in activities
    )
    return _Needs(
        pages=bool(reads),
        links=any(r["link_id"] for r in reads),
        contacts=attendees or any(r["person"].startswith("c:") for r in reads),
    )


def _versions(ch: ClickHouse, p: dict[str, str], documents: list[str]) -> dict[str, dict[str, Any]]:
    """version_id → the version's row with its document's title."""
    db, params = ch.database, {**p, "docs": ",".join(documents)}
    of_docs = f"tenant_id = {{tenant_id:String}} AND document_id IN {_IN_LIST % 'docs'}"
    versions = ch.query(
        "SELECT version_id, document_id, pages, page_words, page_tags, revision "
        f"FROM {db}.document_versions FINAL WHERE {of_docs}",
        params,
    )
    titles = ch.query(
        f"SELECT document_id, title FROM {db}.documents FINAL WHERE {of_docs}", params
    )
    title = {r["document_id"]: r["title"] for r in titles}
    return {r["version_id"]: r | {"title": title.get(r["document_id"], "")} for r in versions}


def _recipients(ch: ClickHouse, p: dict[str, str], links: list[str]) -> dict[str, dict[str, Any]]:
    """link_id → the link's recipient name and email."""
    found = ch.query(
        f"SELECT link_id, recipient_name, recipient_email FROM {ch.database}.links FINAL "
        f"WHERE tenant_id = {{tenant_id:String}} AND link_id IN {_IN_LIST % 'links'}",
        {**p, "links": ",".join(links)},
    )
    return {r["link_id"]: r for r in found}
