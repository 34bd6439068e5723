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

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from tracker.reading import READ_MS_PARAM
from tracker.stores import ClickHouse

Row = dict[str, Any]

__all__ = [
    "PERSON_CONTACT",
    "ROLLUP",
    "DetailInputs",
    "EventSource",
    "fetch_detail_inputs",
    "rollup_events",
    "rollup_reads",
    "rollup_visits",
]

ROLLUP = "engagement_visit_pages"
# A rollup person's own contact id: the person is `c:<contact>` exactly when its events were
# the link's own contact's (unforwarded), else `v:<viewer>` and no contact.
PERSON_CONTACT = "if(startsWith(person, 'c:'), substring(person, 3), '')"


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
        f"{PERSON_CONTACT} AS contact, "
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


# Point reads of one opportunity: one thread and no PREWHERE step (a few dozen rows in one
# or two granules a part; both cost more than they save there). Settings that ClickHouse 24.8
# (docker-compose.yml) knows too.
_POINT_READ = " SETTINGS max_threads = 1, optimize_move_to_prewhere = 0"
# `detail_entities.body` (migration 0081): a JSON array of these columns, in this order
_BODY = ("name", "email", "is_decision_maker", "activity_type", "occurred_at", "received_at",
         "attendees", "document_id", "revision", "pages", "page_words", "page_tags")  # fmt: skip
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def fetch_detail_inputs(ch: ClickHouse, tenant_id: str, opportunity_id: str) -> DetailInputs:
    """Two point reads, no joins and no aggregation: on one opportunity, planning a query
    costs more than running it, so these stay simple and Python aggregates. The entity rows
    come from `detail_entities` (migration 0060) in one read, their fields from its `body`
    column: each table read, and each column of it, has a fixed cost of a fraction of a
    millisecond whatever it returns, and the entity tables were five of sixteen columns."""
    db, p = ch.database, {"tenant_id": tenant_id, "opp": opportunity_id}
    rollup = ch.query(
        "SELECT link_id, document_id, version_id, visit_id, page, person, read_events, "
        "read_ms, read_at, read_forwarded, visit_events, visit_start, visit_end, download_at, "
        f"downloads, human_events, bot_events, human_at, last_at FROM {db}.{ROLLUP} "
        "WHERE tenant_id = {tenant_id:String} AND opportunity_id = {opp:String}" + _POINT_READ,
        p,
    )
    documents = sorted({r["document_id"] for r in rollup if r["document_id"]})
    entities = ch.query(
        f"SELECT scope_id, kind, entity_id, version, body FROM {db}.detail_entities FINAL "
        f"WHERE tenant_id = {{tenant_id:String}} AND scope_id IN {_IN_LIST % 'scopes'} "
        # `_inputs` keeps this order (the entity tables' reads were by their keys): said
        # here, not left to how many threads the engine happened to read with.
        "ORDER BY scope_id, kind, entity_id" + _POINT_READ,
        {**p, "scopes": ",".join([opportunity_id, *documents])},
    )
    return _inputs(rollup, [_unpacked(r) for r in entities], opportunity_id)


def _unpacked(r: Row) -> Row:
    """An entity row with its `body` fields as the columns would have given them."""
    fields = dict(zip(_BODY, json.loads(r.pop("body")), strict=True))
    for name in ("occurred_at", "received_at"):  # epoch ms; 24.8 quotes 64-bit integers
        fields[name] = _EPOCH + timedelta(milliseconds=int(fields[name]))
    return r | fields


_OF_OPPORTUNITY = frozenset({"opportunity", "contact", "activity", "link"})


def _inputs(rollup: list[Row], entities: list[Row], opportunity_id: str) -> DetailInputs:
    """The entity rows as the entity tables' reads returned them (sorted as their FINAL
    reads were: by the table's key)."""
    mine: dict[str, list[Row]] = {kind: [] for kind in _OF_OPPORTUNITY}
    documents: dict[str, list[Row]] = {"document": [], "version": []}
    for r in entities:
        if r["scope_id"] == opportunity_id and r["kind"] in _OF_OPPORTUNITY:
            mine[r["kind"]].append(r)
        elif r["kind"] in documents:  # an opportunity id may look like a document id
            documents[r["kind"]].append(r)
    # the contacts of the opportunity's current version (as the contacts table's FINAL rows
    # filtered on the opportunity's newest version; no opportunity row: version 0)
    current = max((r["version"] for r in mine["opportunity"]), default=0)
    read_links = {r["link_id"] for r in rollup}
    title = {r["scope_id"]: r["name"] for r in documents["document"]}
    return DetailInputs(
        rollup=rollup,
        versions={r["entity_id"]: _version(r, title) for r in documents["version"]},
        contacts={r["entity_id"]: _contact(r) for r in mine["contact"] if r["version"] == current},
        links={r["entity_id"]: _recipient(r) for r in mine["link"] if r["entity_id"] in read_links},
        activities=[_activity(r) for r in mine["activity"]],
    )


def _version(r: Row, title: dict[str, str]) -> Row:
    names = ("document_id", "pages", "page_words", "page_tags", "revision")
    found = {"version_id": r["entity_id"], **{name: r[name] for name in names}}
    return found | {"title": title.get(r["document_id"], "")}


def _contact(r: Row) -> Row:
    return {"contact_id": r["entity_id"], "name": r["name"], "email": r["email"],
            "is_decision_maker": r["is_decision_maker"]}  # fmt: skip


def _recipient(r: Row) -> Row:
    return {"link_id": r["entity_id"], "recipient_name": r["name"], "recipient_email": r["email"]}


def _activity(r: Row) -> Row:
    return {name: r[name] for name in ("activity_type", "occurred_at", "received_at", "attendees")}
