"""Scores from the engagement rollup (migration 0040) are the scores from the raw events:
every engagement detail, the bulk scores and the health assessment of a generated store give
identical JSON on both paths — with a replayed (duplicate) insert in the store, and as of a
moment before some events (where the rollup cannot answer and the raw events must), and after
contacts, links, documents and meetings changed behind the events (on both backends); the
entity rows' `body` column holds what their columns do."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

import pyarrow as pa
import pytest

from scoring import (
    EventSource,
    ScopeKind,
    ScoringQuery,
    TenantScoring,
    assess,
    compute_scores,
    engagement_detail,
    load_tenant_scoring,
)
from scoring.engagement.rollup_repository import fetch_detail_inputs
from scoring.synthetic.dataset import ENTITY_TABLES, SyntheticDataset, generate
from tracker.config import Settings
from tracker.crm import Activity, Contact, Opportunity, record_activities, upsert_opportunities
from tracker.stores.clickhouse import ClickHouse

START, DAYS = date(2025, 3, 1), 120
END = datetime(2025, 3, 1, tzinfo=UTC) + timedelta(days=DAYS)
REPLAYED = 3000  # the last events, inserted twice with one dedupe token


@cache
def dataset() -> SyntheticDataset:
    return generate(60, seed=11, start=START, days=DAYS, tenants=1)


@pytest.fixture
def tenant(clickhouse: ClickHouse) -> str:
    return _loaded(clickhouse)


def _loaded(clickhouse: ClickHouse) -> str:
    """The generated store; its last events are a batch a writer inserted, died before
    acknowledging and replayed with the same manifest (the same dedupe token)."""
    ds = dataset()
    for name in ENTITY_TABLES:
        if ds.tables[name].num_rows:
            clickhouse.insert(name, ds.tables[name])
    events = pa.concat_tables(ds.events())
    head, replayed = (
        events.slice(0, events.num_rows - REPLAYED),
        events.slice(events.num_rows - REPLAYED),
    )
    clickhouse.insert("events", head)
    for _ in range(2):
        clickhouse.insert("events", replayed, dedupe_token="manifest-replayed")
    (row,) = clickhouse.query(f"SELECT count() AS n FROM {clickhouse.database}.events")
    assert row["n"] == events.num_rows
    return ds.tenant_ids[0]


def _scoring(ch: ClickHouse, tenant: str) -> TenantScoring:
    return load_tenant_scoring(ch, tenant, Settings().scoring)


def _opportunities(ch: ClickHouse, tenant: str) -> list[str]:
    rows = ch.query(
        f"SELECT DISTINCT opportunity_id FROM {ch.database}.opportunities "
        "WHERE tenant_id = {t:String} ORDER BY opportunity_id",
        {"t": tenant},
    )
    return [str(r["opportunity_id"]) for r in rows]


def _without_event_ids(value: Any) -> Any:
    """Evidence without its example events, and its example activities as a set."""
    if isinstance(value, dict):
        return {
            k: sorted(v) if k == "activity_ids" else _without_event_ids(v)
            for k, v in value.items()
            if k != "event_ids"
        }
    if isinstance(value, list):
        return [_without_event_ids(v) for v in value]
    return value


def _details(ch: ClickHouse, tenant: str, now: datetime, source: EventSource) -> dict[str, str]:
    tuning = _scoring(ch, tenant).tuning
    return {
        o: engagement_detail(ch, tenant, o, now, tuning, source).model_dump_json()
        for o in _opportunities(ch, tenant)
    }


def test_every_detail_from_the_rollup_is_the_raw_detail(
    clickhouse: ClickHouse, tenant: str
) -> None:
    raw = _details(clickhouse, tenant, END, EventSource.RAW)
    read = [o for o, d in raw.items() if json.loads(d)["recipients"]]
    assert len(read) > len(raw) // 2  # most deals have readers
    # Without the raw events the rollup still answers: the details really come from it.
    clickhouse.command(f"TRUNCATE TABLE {clickhouse.database}.events")
    assert _details(clickhouse, tenant, END, EventSource.ROLLUP) == raw


def test_before_the_newest_events_the_raw_events_answer(
    clickhouse: ClickHouse, tenant: str
) -> None:
    earlier = END - timedelta(days=40)
    raw = _details(clickhouse, tenant, earlier, EventSource.RAW)
    assert _details(clickhouse, tenant, earlier, EventSource.ROLLUP) == raw
    assert raw != _details(clickhouse, tenant, END, EventSource.RAW)


def test_bulk_scores_from_the_rollup_are_the_raw_scores(
    clickhouse: ClickHouse, tenant: str
) -> None:
    tuning = _scoring(clickhouse, tenant).tuning
    ids = _opportunities(clickhouse, tenant)
    found = {}
    for source in EventSource:
        for keys in (None, ids[:25]):
            query = ScoringQuery(tenant, ScopeKind.OPPORTUNITY, keys, END, source=source)
            scores = compute_scores(clickhouse, query, tuning)
            found[source, keys is None] = {k: s.model_dump_json() for k, s in scores.items()}
    assert found[EventSource.ROLLUP, True] == found[EventSource.RAW, True]
    assert found[EventSource.ROLLUP, False] == found[EventSource.RAW, False]


def test_health_assessment_from_the_rollup_is_the_raw_one(
    clickhouse: ClickHouse, tenant: str
) -> None:
    scoring = _scoring(clickhouse, tenant)

    def assessed(source: EventSource) -> dict[str, str]:
        found = assess(clickhouse, scoring, tenant, None, END, now=END, source=source)
        # Evidence names a few of its events as examples; the health features (raw events on
        # both paths) let the engine pick which, so two raw runs already name different ones.
        return {
            k: json.dumps(_without_event_ids(json.loads(a.health.model_dump_json())))
            + json.dumps(_without_event_ids(json.loads(a.evidence.model_dump_json())))
            for k, a in found.items()
        }

    raw = assessed(EventSource.RAW)
    assert len(raw) == len(_opportunities(clickhouse, tenant))
    assert assessed(EventSource.ROLLUP) == raw


def test_the_rollup_counts_a_replayed_batch_once(clickhouse: ClickHouse, tenant: str) -> None:
    db = clickhouse.database
    (raw,) = clickhouse.query(
        f"SELECT countIf(is_bot = 0 AND event_type = 'page_dwell' AND page > 0) AS reads, "
        "toUInt64(sumIf(dwell_ms, is_bot = 0 AND event_type = 'page_dwell' AND page > 0)) AS ms, "
        f"count() AS n FROM {db}.events"
    )
    (rolled,) = clickhouse.query(
        "SELECT toUInt64(sum(read_events)) AS reads, toUInt64(sum(read_ms)) AS ms, "
        f"toUInt64(sum(human_events) + sum(bot_events)) AS n FROM {db}.engagement_visit_pages"
    )
    assert rolled == raw


def _changed_behind_the_events(ch: ClickHouse, tenant: str) -> dict[str, str]:
    """New versions, written after every event, of what a detail joins: a reader's
    contacts (one gone, the others renamed, decision makers swapped), its links' recipients
    and its documents' titles; another reader's opportunity now without contacts; a meeting
    with a contact on a deal nobody read. Returns which opportunity got which change."""
    db, inputs = (
        ch.database,
        {o: fetch_detail_inputs(ch, tenant, o) for o in _opportunities(ch, tenant)},
    )
    readers = [
        o for o, i in inputs.items()
        if any(r["read_events"] and r["person"].startswith("c:") for r in i.rollup)
    ]  # fmt: skip
    # a deal nobody read, best one without meetings: only the new meeting needs its contacts
    unread = sorted(
        (any(a["attendees"] for a in i.activities), o)
        for o, i in inputs.items()
        if not any(r["read_events"] for r in i.rollup)
    )
    picked = {"renamed": readers[0], "uncontacted": readers[1], "met": unread[0][1]}
    own = "tenant_id = {t:String} AND opportunity_id = {o:String}"
    current = f"version = (SELECT max(version) FROM {db}.opportunities WHERE {own})"
    bump = (
        f"INSERT INTO {db}.opportunities SELECT * REPLACE (version + 1 AS version) "
        f"FROM {db}.opportunities FINAL WHERE {own}"
    )
    renamed = {"t": tenant, "o": picked["renamed"]}
    dropped = min(inputs[picked["renamed"]].contacts)
    ch.command(
        f"INSERT INTO {db}.contacts SELECT * REPLACE (concat(name, ' (renamed)') AS name, "
        "toUInt8(1 - is_decision_maker) AS is_decision_maker, version + 1 AS version) "
        f"FROM {db}.contacts FINAL WHERE {own} AND {current} AND contact_id != {{c:String}}",
        {**renamed, "c": dropped},
    )
    ch.command(bump, renamed)
    rolled = f"(SELECT COLUMN FROM {db}.engagement_visit_pages WHERE {own})"
    links, documents = rolled.replace("COLUMN", "link_id"), rolled.replace("COLUMN", "document_id")
    ch.command(
        f"INSERT INTO {db}.links SELECT * REPLACE (concat(recipient_name, ' (renamed)') AS "
        f"recipient_name, version + 1 AS version) FROM {db}.links FINAL "
        f"WHERE tenant_id = {{t:String}} AND link_id IN {links}",
        renamed,
    )
    ch.command(
        f"INSERT INTO {db}.documents SELECT * REPLACE (concat(title, ' (retitled)') AS title, "
        f"version + 1 AS version) FROM {db}.documents FINAL "
        f"WHERE tenant_id = {{t:String}} AND document_id IN {documents}",
        renamed,
    )
    ch.command(bump, {"t": tenant, "o": picked["uncontacted"]})
    met = {"t": tenant, "o": picked["met"]}
    (contact,) = ch.query(
        f"SELECT min(contact_id) AS c FROM {db}.contacts FINAL WHERE {own} AND {current}", met
    )
    ch.command(
        f"INSERT INTO {db}.activities SELECT * REPLACE (concat(activity_id, '-met') AS "
        "activity_id, 'meeting' AS activity_type, [{c:String}] AS attendees) "
        f"FROM {db}.activities FINAL WHERE {own} AND occurred_at <= {{end:DateTime64(3, 'UTC')}} "
        "ORDER BY occurred_at LIMIT 1",
        {**met, **contact, "end": END.strftime("%Y-%m-%d %H:%M:%S")},
    )
    return picked


def test_details_after_contacts_links_and_meetings_changed(store: ClickHouse) -> None:
    tenant = _loaded(store)
    before = _details(store, tenant, END, EventSource.RAW)
    picked = _changed_behind_the_events(store, tenant)
    raw = _details(store, tenant, END, EventSource.RAW)
    assert {o for o in raw if raw[o] != before[o]} == set(picked.values())
    assert _details(store, tenant, END, EventSource.ROLLUP) == raw


def test_the_entity_fields_from_the_body_are_the_columns(store: ClickHouse) -> None:
    """`detail_entities.body` (migration 0081) carries what its columns hold, for text a
    JSON writer must escape (CJK, quotes, backslashes, tabs, newlines) and for times with
    milliseconds, on both backends."""
    awkward = '王"总\\监\t(华东)\n'
    met = datetime(2026, 3, 4, 5, 6, 7, 891000, tzinfo=UTC)
    upsert_opportunities(store, "ten_body", [Opportunity(
        "opp-b", "华润", Decimal(1), "CNY", "proposal", 40, "pipeline", "rep@seller.example",
        met, contacts=(Contact("c-1", awkward, "wang@buyer.example", "CFO", True),))])  # fmt: skip
    record_activities(store, "ten_body", [Activity(
        "act-1", "opp-b", "meeting", met, attendees=("c-1", awkward))])  # fmt: skip
    inputs = fetch_detail_inputs(store, "ten_body", "opp-b")
    (contact,) = store.query(
        f"SELECT name, email, is_decision_maker FROM {store.database}.detail_entities FINAL "
        "WHERE tenant_id = 'ten_body' AND kind = 'contact'"
    )
    assert inputs.contacts == {"c-1": {"contact_id": "c-1", **contact}}
    assert contact["name"] == awkward
    (activity,) = store.query(
        f"SELECT activity_type, occurred_at, received_at, attendees "
        f"FROM {store.database}.detail_entities FINAL "
        "WHERE tenant_id = 'ten_body' AND kind = 'activity'"
    )
    assert inputs.activities == [activity]
    assert activity["occurred_at"] == met and activity["attendees"] == ["c-1", awkward]
