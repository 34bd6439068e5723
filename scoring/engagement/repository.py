"""Engagement aggregation queries. Every query scores many keys at once (a scope: opportunity,
recipient link or document version) with GROUP BY over the tenant's events, the document
versions' page words/tags and the CRM tables; Python only sees per-key (or per-person,
per-version) rows, never raw events.

Definitions the SQL implements (tuning from `ScoringSettings`):
  read      a (visit, page) with ≥ glance_seconds of human active dwell; shorter = a glance,
            ignored everywhere
  decay     2^(−age / half-life), age from `received_at` (server clock) to `now`
  need      per page: max(min_page_seconds, words_on_page / words_per_minute) in ms
  depth     per version: Σ_pages min(decayed dwell / need, 1) / page count (raw: undecayed)
  person    a link's own contact (`c:<contact id>`), else the viewer (`v:<viewer id>`, which
            is how forwards count as new people); meeting attendees are `c:<contact id>`
  revisit   a visit starting ≥ revisit_gap_hours after the same person's previous visit ended
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from scoring.engagement.rollup_repository import (
    ROLLUP,
    EventSource,
    rollup_events,
    rollup_reads,
    rollup_visits,
)
from tracker.config import ScoringSettings
from tracker.reading import HUMAN, READ_MS_PARAM, read_threshold_ms
from tracker.stores import ClickHouse

__all__ = [
    "EventSource",
    "ScopeKind",
    "ScoringQuery",
    "fetch_detail_rows",
    "fetch_signals_rows",
    "fetch_value_rows",
]

_KEYS = "(SELECT arrayJoin(splitByChar(',', {keys:String})))"
_AGE = "greatest(dateDiff('millisecond', {ts}, now_ts), 0)"
_PERSON = (
    "if(forwarded = 0 AND contact_id != '', concat('c:', contact_id), concat('v:', viewer_id))"
)


class ScopeKind(StrEnum):
    """What a score is about; the value is the events column holding the key."""

    OPPORTUNITY = "opportunity_id"
    RECIPIENT = "link_id"
    DOCUMENT_VERSION = "version_id"


@dataclass(frozen=True)
class ScoringQuery:
    tenant_id: str
    scope: ScopeKind
    keys: Sequence[str] | None  # None: every key of the tenant
    now: datetime
    within_opportunity: str | None = None
    # the rollup answers "as of now" only; fetch_* fall back to RAW where it cannot
    source: EventSource = EventSource.ROLLUP


@dataclass(frozen=True)
class _Keys:
    """How the events rows become keys: one scope's column (`k`), or — for an engagement
    detail — every scope at once, each row ARRAY JOINed once per scope (`scope`, `k`), so
    one query (one plan, one scan) aggregates all three groupings."""

    source: str  # after FROM {db}.events
    select: str  # the key columns of the innermost SELECT
    where: str  # appended to the events filter
    cols: tuple[str, ...]  # the key columns every later stage groups by

    @staticmethod
    def of(q: ScoringQuery) -> _Keys:
        return _Keys("", f"{q.scope.value} AS k", "", ("k",))

    def by(self, alias: str = "") -> str:
        return ", ".join(f"{alias}{c}" for c in self.cols)

    def carry(self, alias: str) -> str:
        return ", ".join(f"{alias}.{c} AS {c}" for c in self.cols)

    def opportunity(self) -> str:
        """The key columns of a row keyed by its opportunity (meetings)."""
        scope = "'opportunity_id' AS scope, " if "scope" in self.cols else ""
        return f"{scope}opportunity_id AS k"


_ALL_SCOPES = _Keys(
    " ARRAY JOIN [" + ", ".join(f"('{s.value}', {s.value})" for s in ScopeKind) + "] AS sk",
    "sk.1 AS scope, sk.2 AS k",
    " AND sk.2 != ''",
    ("scope", "k"),
)


def _documents(ch: ClickHouse, q: ScoringQuery) -> str:
    """The documents `q` is about, from the small entity tables: lets ClickHouse use the
    events primary key (tenant_id, document_id, …) instead of scanning the tenant. About
    given opportunities on the rollup: the documents of their rollup rows (its key starts
    with the opportunity; a link's opportunity and document never change, so its events'
    documents are those of the opportunity's links)."""
    db, col = ch.database, q.scope.value
    if q.source is EventSource.ROLLUP and (opps := _opportunities(q)) is not None:
        return (
            f"SELECT document_id FROM {db}.{ROLLUP} "
            f"WHERE tenant_id = {{tenant_id:String}} AND opportunity_id IN {opps}"
        )
    if q.within_opportunity is not None:
        return (
            f"SELECT document_id FROM {db}.links WHERE tenant_id = {{tenant_id:String}} "
            "AND opportunity_id = {within:String}"
        )
    if q.keys is None:
        return f"SELECT document_id FROM {db}.documents WHERE tenant_id = {{tenant_id:String}}"
    table = "document_versions" if q.scope is ScopeKind.DOCUMENT_VERSION else "links"
    return (
        f"SELECT document_id FROM {db}.{table} "
        f"WHERE tenant_id = {{tenant_id:String}} AND {col} IN {_KEYS}"
    )


def _opportunities(q: ScoringQuery) -> str | None:
    """The opportunities every row of `q` belongs to, as SQL (None: any of the tenant's)."""
    if q.within_opportunity is not None:
        return "({within:String})"
    return _KEYS if q.scope is ScopeKind.OPPORTUNITY and q.keys is not None else None


def _prefilter(ch: ClickHouse, q: ScoringQuery) -> str:
    col = q.scope.value
    where = "tenant_id = {tenant_id:String}"
    if q.source is EventSource.RAW:
        # Point in time: nothing received after `now` counts (as-of scores never see the
        # future). The rollup has no per-event time: its callers check nothing is newer.
        where += " AND received_at <= fromUnixTimestamp64Milli({now_ms:Int64}, 'UTC')"
    pruned = q.source is EventSource.ROLLUP and _opportunities(q) is not None
    if (q.keys is not None or q.within_opportunity is not None) and not pruned:
        where += f" AND document_id IN ({_documents(ch, q)})"
    where += f" AND {col} IN {_KEYS}" if q.keys is not None else f" AND {col} != ''"
    if q.within_opportunity is not None:
        where += " AND opportunity_id = {within:String}"
    return where


def _reads(ch: ClickHouse, q: ScoringQuery, g: _Keys) -> str:
    if q.source is EventSource.ROLLUP:
        return rollup_reads(ch.database, g.select, g.source, _prefilter(ch, q) + g.where, g.by())
    return (
        f"SELECT {g.select}, version_id, page, visit_id, any(opportunity_id) AS opp, "
        f"any(link_id) AS link, any({_PERSON}) AS person, "
        "any(if(forwarded = 0, contact_id, '')) AS contact, max(forwarded) AS fwd, "
        "toUInt64(sum(dwell_ms)) AS read_ms, max(received_at) AS at "
        f"FROM {ch.database}.events{g.source} WHERE {_prefilter(ch, q)}{g.where} AND {HUMAN} "
        "AND event_type = 'page_dwell' AND page > 0 "
        f"GROUP BY {g.by()}, version_id, page, visit_id HAVING read_ms >= {READ_MS_PARAM}"
    )


def _pages_sql(ch: ClickHouse, q: ScoringQuery, g: _Keys) -> str:
    db = ch.database
    versions = (
        "SELECT v.version_id AS version_id, v.pages AS pages, v.page_words AS page_words, "
        "v.page_tags AS page_tags, v.revision AS revision, d.title AS title "
        f"FROM {db}.document_versions AS v FINAL "
        f"LEFT JOIN (SELECT document_id, title FROM {db}.documents FINAL "
        "WHERE tenant_id = {tenant_id:String}) AS d ON d.document_id = v.document_id "
        f"WHERE v.tenant_id = {{tenant_id:String}} AND v.document_id IN ({_documents(ch, q)})"
    )
    if q.source is EventSource.ROLLUP and _opportunities(q) is not None:
        # only the titles of the documents read, not the tenant's
        versions = versions.replace(
            "WHERE tenant_id = {tenant_id:String}) AS d",
            f"WHERE tenant_id = {{tenant_id:String}} "
            f"AND document_id IN ({_documents(ch, q)})) AS d",
        )
    per_page = (
        f"SELECT {g.carry('r')}, r.version_id AS version_id, r.page AS page, "
        f"sum(r.read_ms * exp2(-{_AGE.format(ts='r.at')} / {{doc_hl_ms:Float64}})) AS dd, "
        "sum(r.read_ms) AS dr, max(r.at) AS last_at, any(v.pages) AS npages, "
        "any(v.version_id != '') AS known, any(v.revision) AS revision, any(v.title) AS title, "
        "greatest({min_page_ms:Float64}, any(v.page_words)[r.page] * 60000.0 / {wpm:Float64}) "
        "AS need, has(any(v.page_tags)[r.page], 'pricing') AS pricing, "
        "arrayExists(t -> has(t, 'pricing'), any(v.page_tags)) AS has_pricing, "
        "any(v.page_tags)[r.page] AS ptags, arrayDistinct(arrayFlatten(any(v.page_tags))) "
        "AS all_tags "
        "FROM reads AS r LEFT JOIN versions AS v ON v.version_id = r.version_id "
        f"GROUP BY {g.by()}, version_id, page"
    )
    return (
        f"WITH fromUnixTimestamp64Milli({{now_ms:Int64}}, 'UTC') AS now_ts, "
        f"reads AS ({_reads(ch, q, g)}), versions AS ({versions}) "
        f"SELECT {g.by()}, version_id, any(title) AS title, any(revision) AS revision, "
        "any(known) AS known, greatest(any(npages), max(page)) AS pages, "
        "sum(least(dd / need, 1)) / pages AS depth, sum(least(dr / need, 1)) / pages AS depth_raw, "
        "toUInt64(sum(dr)) AS dwell_ms, toUInt64(sumIf(dr, pricing)) AS pricing_ms, "
        "maxIf(last_at, pricing) AS pricing_last_at, any(has_pricing) AS has_pricing, "
        "max(last_at) AS last_read_at, any(all_tags) AS tags, "
        # per tag of the pages read: reading time and the newest read (seconds)
        "sumMap(ptags, arrayResize(emptyArrayUInt64(), length(ptags), toUInt64(dr))) "
        "AS tag_dwell, maxMap(ptags, arrayResize(emptyArrayUInt64(), length(ptags), "
        "toUInt64(toUnixTimestamp(last_at)))) AS tag_last "
        f"FROM ({per_page}) GROUP BY {g.by()}, version_id"
    )


def _meeting_rows(ch: ClickHouse, q: ScoringQuery, g: _Keys, middle: str) -> str:
    """The opportunity scope's meeting attendees as person rows, to UNION ALL after the
    reads; `middle`: the reads' columns between `opp` and `read_at` (the attendee is the
    contact). Other scopes have no meetings: an empty string."""
    if q.scope is not ScopeKind.OPPORTUNITY:
        return ""
    opp_filter = "1" if q.keys is None else f"opportunity_id IN {_KEYS}"
    return (
        f"UNION ALL SELECT {g.opportunity()}, concat('c:', attendee) AS person, "
        f"opportunity_id AS opp, {middle}toDateTime64(0, 3, 'UTC') AS read_at, "
        f"occurred_at AS meet_at FROM {ch.database}.activities FINAL "
        "ARRAY JOIN attendees AS attendee "
        "WHERE tenant_id = {tenant_id:String} AND activity_type = 'meeting' "
        f"AND occurred_at <= now_ts AND attendee != '' AND {opp_filter}"
    )


def _people_sql(ch: ClickHouse, q: ScoringQuery, g: _Keys) -> str:
    db = ch.database
    meetings = _meeting_rows(ch, q, g, "'' AS link, attendee AS contact, 0 AS fwd, ")
    contacts = (
        f"SELECT opportunity_id, contact_id, name, email, is_decision_maker FROM {db}.contacts "
        "FINAL WHERE tenant_id = {tenant_id:String} AND (opportunity_id, version) IN "
        f"(SELECT opportunity_id, version FROM {db}.opportunities FINAL "
        "WHERE tenant_id = {tenant_id:String})"
    )
    links = (
        "SELECT link_id, recipient_name, recipient_email "
        f"FROM {db}.links FINAL WHERE tenant_id = {{tenant_id:String}}"
    )
    if (opps := _opportunities(q)) is not None and q.source is EventSource.ROLLUP:
        # Every read and meeting row is one of these opportunities': join only their contacts
        # and links, not the tenant's (the raw path keeps today's query as the reference).
        contacts = contacts.replace(
            "WHERE tenant_id = {tenant_id:String})",
            f"WHERE tenant_id = {{tenant_id:String}} AND opportunity_id IN {opps})",
        )
        contacts += f" AND opportunity_id IN {opps}"
        links += (
            f" AND link_id IN (SELECT link_id FROM {db}.{ROLLUP} "
            f"WHERE tenant_id = {{tenant_id:String}} AND opportunity_id IN {opps})"
        )
    return (
        f"WITH fromUnixTimestamp64Milli({{now_ms:Int64}}, 'UTC') AS now_ts, "
        f"reads AS ({_reads(ch, q, g)}) "
        f"SELECT {g.carry('p')}, p.person AS person, any(p.opp) AS opportunity_id, "
        "any(p.contact) AS contact_id, max(p.fwd) AS forwarded, max(p.read_at) AS last_read_at, "
        "max(p.meet_at) AS last_meeting_at, any(c.name) AS contact_name, "
        "any(c.email) AS contact_email, max(c.is_decision_maker) AS is_decision_maker, "
        "argMax(l.recipient_name, p.read_at) AS link_name, "
        "argMax(l.recipient_email, p.read_at) AS link_email "
        f"FROM (SELECT {g.by()}, person, opp, link, contact, fwd, at AS read_at, "
        f"toDateTime64(0, 3, 'UTC') AS meet_at FROM reads {meetings}) AS p "
        f"LEFT JOIN ({contacts}) AS c "
        "ON c.opportunity_id = p.opp AND c.contact_id = p.contact "
        f"LEFT JOIN ({links}) AS l ON l.link_id = p.link "
        f"GROUP BY {g.by()}, person"
    )


def _visits_sql(ch: ClickHouse, q: ScoringQuery, g: _Keys) -> str:
    cond = "i > 1 AND dateDiff('millisecond', v[i - 1].2, v[i].1) >= {gap_ms:Int64}"
    decay = f"exp2(-{_AGE.format(ts='v[i].1')} / {{doc_hl_ms:Float64}})"
    visits = (
        rollup_visits(ch.database, g.select, g.source, _prefilter(ch, q) + g.where, g.by())
        if q.source is EventSource.ROLLUP
        else f"SELECT {g.select}, {_PERSON} AS person, visit_id, "
        "min(received_at) AS vs, max(received_at) AS ve "
        f"FROM {ch.database}.events{g.source} WHERE {_prefilter(ch, q)}{g.where} "
        f"AND {HUMAN} AND visit_id != '' "
        "AND event_type IN ('view_start', 'page_dwell', 'visit_end') "
        f"GROUP BY {g.by()}, person, visit_id"
    )
    per_person = (
        f"SELECT {g.by()}, arraySort(x -> x.1, groupArray((vs, ve))) AS v, "
        f"arrayCount(i -> {cond}, arrayEnumerate(v)) AS rv, "
        f"arraySum(arrayMap(i -> if({cond}, {decay}, 0), arrayEnumerate(v))) AS rvd "
        f"FROM ({visits}) GROUP BY {g.by()}, person"
    )
    return (
        f"WITH fromUnixTimestamp64Milli({{now_ms:Int64}}, 'UTC') AS now_ts "
        f"SELECT {g.by()}, toUInt64(sum(rv)) AS revisits, sum(rvd) AS revisits_decayed, "
        f"toUInt64(sum(length(v))) AS visits FROM ({per_person}) GROUP BY {g.by()}"
    )


def _events_sql(ch: ClickHouse, q: ScoringQuery, g: _Keys) -> str:
    if q.source is EventSource.ROLLUP:
        where = _prefilter(ch, q) + g.where
        return rollup_events(ch.database, g.select, g.source, where, g.by(), _AGE)
    human = HUMAN
    download = f"{human} AND event_type = 'download'"
    return (
        f"WITH fromUnixTimestamp64Milli({{now_ms:Int64}}, 'UTC') AS now_ts "
        f"SELECT {g.select}, countIf({download}) AS downloads, "
        f"sumIf(exp2(-{_AGE.format(ts='received_at')} / {{doc_hl_ms:Float64}}), {download}) "
        f"AS downloads_decayed, countIf({human}) AS human_events, "
        "countIf(is_bot = 1) AS bot_events, "
        f"maxIf(received_at, {human}) AS last_event_at, max(received_at) AS last_received_at "
        f"FROM {ch.database}.events{g.source} WHERE {_prefilter(ch, q)}{g.where} "
        f"GROUP BY {g.by()}"
    )


def _activities_sql(ch: ClickHouse, q: ScoringQuery) -> str:
    opp_filter = "1" if q.keys is None else f"opportunity_id IN {_KEYS}"
    meeting = "activity_type = 'meeting' AND occurred_at <= now_ts"
    return (
        f"WITH fromUnixTimestamp64Milli({{now_ms:Int64}}, 'UTC') AS now_ts "
        f"SELECT opportunity_id AS k, countIf({meeting}) AS meetings, "
        f"sumIf(exp2(-{_AGE.format(ts='occurred_at')} / {{meet_hl_ms:Float64}}), {meeting}) "
        "AS meetings_decayed, max(occurred_at) AS last_activity_at, "
        "max(received_at) AS last_received_at "
        f"FROM {ch.database}.activities FINAL "
        f"WHERE tenant_id = {{tenant_id:String}} AND {opp_filter} GROUP BY k"
    )


def _page_values_sql(ch: ClickHouse, q: ScoringQuery, g: _Keys, tagged: bool) -> str:
    """`_pages_sql` reduced to what a score's value reads, one row per key: the best version's
    depths, the reading and pricing times and the newest pricing read (epoch ms); with
    `tagged` (the tenant scores page tags) also the versions' tags and, per tag, the reading
    time and newest read (seconds). The per-page and per-version arithmetic is `_pages_sql`'s;
    the reads are summed per page before the join (one joined row per page, not per read,
    with the version's own columns rather than any() of its arrays), and no titles."""
    db = ch.database
    read_pages = (
        f"SELECT {g.by()}, version_id, page, "
        f"sum(read_ms * exp2(-{_AGE.format(ts='at')} / {{doc_hl_ms:Float64}})) AS dd, "
        f"sum(read_ms) AS dr, max(at) AS last_at FROM reads GROUP BY {g.by()}, version_id, page"
    )
    all_tags = ", arrayDistinct(arrayFlatten(page_tags)) AS all_tags" if tagged else ""
    versions = (
        "SELECT version_id, pages, page_words, page_tags, "
        f"arrayExists(t -> has(t, 'pricing'), page_tags) AS has_pricing{all_tags} "
        f"FROM {db}.document_versions FINAL "
        f"WHERE tenant_id = {{tenant_id:String}} AND document_id IN ({_documents(ch, q)})"
    )
    # one row per page read; ANY (one version row) as `_pages_sql`'s any(v.…)
    page_tags = ", v.page_tags[r.page] AS ptags, v.all_tags AS all_tags" if tagged else ""
    per_page = (
        f"SELECT {g.carry('r')}, r.version_id AS version_id, r.page AS page, r.dd AS dd, "
        "r.dr AS dr, r.last_at AS last_at, v.pages AS npages, "
        "greatest({min_page_ms:Float64}, v.page_words[r.page] * 60000.0 / {wpm:Float64}) "
        "AS need, has(v.page_tags[r.page], 'pricing') AS pricing, "
        f"v.has_pricing AS has_pricing{page_tags} "
        f"FROM ({read_pages}) AS r ANY LEFT JOIN versions AS v ON v.version_id = r.version_id"
    )
    version_tags = (
        ", any(all_tags) AS tags, "
        "sumMap(ptags, arrayResize(emptyArrayUInt64(), length(ptags), toUInt64(dr))) "
        "AS tag_dwell, maxMap(ptags, arrayResize(emptyArrayUInt64(), length(ptags), "
        "toUInt64(toUnixTimestamp(last_at)))) AS tag_last"
    )
    key_tags = (
        ", groupUniqArrayArray(tags) AS tags, sumMap(tag_dwell) AS tag_dwell, "
        "maxMap(tag_last) AS tag_last"
    )
    per_version = (
        f"SELECT {g.by()}, version_id, greatest(any(npages), max(page)) AS pages, "
        "sum(least(dd / need, 1)) / pages AS depth, sum(least(dr / need, 1)) / pages AS depth_raw, "
        "toUInt64(sum(dr)) AS dwell_ms, toUInt64(sumIf(dr, pricing)) AS pricing_ms, "
        "maxIf(last_at, pricing) AS pricing_last_at, any(has_pricing) AS has_pricing"
        f"{version_tags if tagged else ''} FROM ({per_page}) GROUP BY {g.by()}, version_id"
    )
    return (
        f"WITH fromUnixTimestamp64Milli({{now_ms:Int64}}, 'UTC') AS now_ts, "
        f"reads AS ({_reads(ch, q, g)}), versions AS ({versions}) "
        # the best version is the one `Signals.best_version` picks: highest (depth, raw depth)
        f"SELECT {g.by()}, max((least(depth, 1), least(depth_raw, 1))) AS best, "
        "toUInt64(sum(dwell_ms)) AS dwell_ms, toUInt64(sum(pricing_ms)) AS pricing_ms, "
        "max(has_pricing) AS has_pricing, "
        "toUnixTimestamp64Milli(max(pricing_last_at)) AS pricing_last_ms"
        f"{key_tags if tagged else ''} FROM ({per_version}) GROUP BY {g.by()}"
    )


def _people_values_sql(ch: ClickHouse, q: ScoringQuery, g: _Keys) -> str:
    """`_people_sql` reduced to what a score's value reads: per (key, person) in person order,
    the newest read and meeting (epoch ms) and whether a decision-maker. A person's contact is
    part of the person (`c:<contact id>`), so no names, no links and one join row per person
    and opportunity."""
    db = ch.database
    meetings = _meeting_rows(ch, q, g, "attendee AS contact, ")
    contacts = (
        f"SELECT opportunity_id, contact_id, is_decision_maker FROM {db}.contacts FINAL "
        "WHERE tenant_id = {tenant_id:String} AND (opportunity_id, version) IN "
        f"(SELECT opportunity_id, version FROM {db}.opportunities FINAL "
        "WHERE tenant_id = {tenant_id:String})"
    )
    if (opps := _opportunities(q)) is not None and q.source is EventSource.ROLLUP:
        contacts = contacts.replace(
            "WHERE tenant_id = {tenant_id:String})",
            f"WHERE tenant_id = {{tenant_id:String}} AND opportunity_id IN {opps})",
        )
        contacts += f" AND opportunity_id IN {opps}"
    per_contact = (
        f"SELECT {g.by()}, person, opp, contact, max(read_at) AS read_at, "
        f"max(meet_at) AS meet_at FROM (SELECT {g.by()}, person, opp, contact, at AS read_at, "
        f"toDateTime64(0, 3, 'UTC') AS meet_at FROM reads {meetings}) "
        f"GROUP BY {g.by()}, person, opp, contact"
    )
    return (
        f"WITH fromUnixTimestamp64Milli({{now_ms:Int64}}, 'UTC') AS now_ts, "
        f"reads AS ({_reads(ch, q, g)}) "
        f"SELECT {g.carry('p')}, p.person AS person, "
        "toUnixTimestamp64Milli(max(p.read_at)) AS read_ms, "
        "toUnixTimestamp64Milli(max(p.meet_at)) AS meeting_ms, "
        "max(c.is_decision_maker) AS is_decision_maker "
        f"FROM ({per_contact}) AS p LEFT JOIN ({contacts}) AS c "
        "ON c.opportunity_id = p.opp AND c.contact_id = p.contact "
        # person order: the order `collect_signals` sorts a key's people in (UTF-8 bytes
        # sort as code points), which the sum of their weights is taken in
        f"GROUP BY {g.by()}, person ORDER BY {g.by()}, person"
    )


def _params(q: ScoringQuery, tuning: ScoringSettings) -> dict[str, Any]:
    day_ms = 86_400_000.0
    return {
        "tenant_id": q.tenant_id,
        "keys": ",".join(q.keys or ()),
        "within": q.within_opportunity or "",
        "now_ms": int(q.now.timestamp() * 1000),
        "read_ms": read_threshold_ms(tuning.reading),
        "doc_hl_ms": tuning.engagement.document_half_life_days * day_ms,
        "meet_hl_ms": tuning.engagement.meeting_half_life_days * day_ms,
        "min_page_ms": tuning.reading.min_page_seconds * 1000.0,
        "wpm": float(tuning.reading.words_per_minute),
        "gap_ms": int(tuning.reading.revisit_gap_hours * 3_600_000),
    }


def _newer_than(rows: list[dict[str, Any]], now: datetime) -> bool:
    """Whether an events row counted something received after `now`."""
    return any((at := r["last_received_at"]).replace(tzinfo=at.tzinfo or UTC) > now for r in rows)


def _newer_in(events: pa.Table, now: datetime) -> bool:
    """`_newer_than` on the events query as an Arrow table."""
    newest = pc.max(events.column("last_received_at")).as_py() if events.num_rows else None
    return newest is not None and newest.replace(tzinfo=newest.tzinfo or UTC) > now


def _run_values(
    ch: ClickHouse, q: ScoringQuery, g: _Keys, params: dict[str, Any], tail: str, tagged: bool
) -> dict[str, pa.Table]:
    # as `_run`: the events query first decides whether the rollup can answer
    events = ch.query_arrow(_events_sql(ch, q, g) + tail, params)
    if q.source is EventSource.ROLLUP and _newer_in(events, q.now):
        return _run_values(ch, replace(q, source=EventSource.RAW), g, params, tail, tagged)
    rows = {
        "pages": ch.query_arrow(_page_values_sql(ch, q, g, tagged) + tail, params),
        "people": ch.query_arrow(_people_values_sql(ch, q, g) + tail, params),
        "visits": ch.query_arrow(_visits_sql(ch, q, g) + tail, params),
        "events": events,
    }
    if q.scope is ScopeKind.OPPORTUNITY:
        rows["activities"] = ch.query_arrow(_activities_sql(ch, q) + tail, params)
    return rows


def _run(
    ch: ClickHouse, q: ScoringQuery, g: _Keys, params: dict[str, Any], tail: str
) -> dict[str, list[dict[str, Any]]]:
    # The events query first: on the rollup, its newest received_at says whether the rollup
    # can answer as of `q.now` (nothing newer counted) or the raw events must.
    events = ch.query(_events_sql(ch, q, g) + tail, params)
    if q.source is EventSource.ROLLUP and _newer_than(events, q.now):
        return _run(ch, replace(q, source=EventSource.RAW), g, params, tail)
    rows = {
        "pages": ch.query(_pages_sql(ch, q, g) + tail, params),
        "people": ch.query(_people_sql(ch, q, g) + tail, params),
        "visits": ch.query(_visits_sql(ch, q, g) + tail, params),
        "events": events,
        "activities": [],
    }
    if q.scope is ScopeKind.OPPORTUNITY:
        rows["activities"] = ch.query(_activities_sql(ch, q) + tail, params)
    return rows


def fetch_signals_rows(
    ch: ClickHouse, q: ScoringQuery, tuning: ScoringSettings
) -> dict[str, list[dict[str, Any]]]:
    """Run the aggregation queries for every key of `q`; rows grouped by query name."""
    if q.keys is not None and not q.keys:
        return {"pages": [], "people": [], "visits": [], "events": [], "activities": []}
    return _run(ch, q, _Keys.of(q), _params(q, tuning), _tail(q))


def _tail(q: ScoringQuery) -> str:
    # About one opportunity, each query reads a few granules: the parallel pipeline costs more
    # to set up than it saves (an engagement detail: ~280 -> ~240 ms on 10k opportunities).
    single = q.within_opportunity is not None or (
        q.scope is ScopeKind.OPPORTUNITY and q.keys is not None and len(q.keys) == 1
    )
    return " SETTINGS max_threads = 1" if single else ""


def fetch_value_rows(
    ch: ClickHouse, q: ScoringQuery, tuning: ScoringSettings
) -> dict[str, pa.Table]:
    """What the value of every key's score reads (`scoring.engagement.values`), by query name:
    `fetch_signals_rows` without what only the full score shows (titles, names, times as
    objects), as Arrow tables. Keys without data have no rows; no keys, no tables."""
    if q.keys is not None and not q.keys:
        return {}
    tagged = bool(tuning.engagement.page_tags)
    return _run_values(ch, q, _Keys.of(q), _params(q, tuning), _tail(q), tagged)


def fetch_detail_rows(
    ch: ClickHouse,
    tenant_id: str,
    opportunity_id: str,
    now: datetime,
    tuning: ScoringSettings,
    source: EventSource = EventSource.ROLLUP,
) -> dict[ScopeKind, dict[str, list[dict[str, Any]]]]:
    """`fetch_signals_rows` of the opportunity itself, of its recipient links and of its
    document versions (both within the opportunity) in one set of queries: each events query
    groups by (scope, key), every row counted once per scope — the rows and the ClickHouse
    arithmetic of each scope are those of its own query, for a third of the query plans."""
    q = ScoringQuery(tenant_id, ScopeKind.OPPORTUNITY, [opportunity_id], now, source=source)
    rows = _run(ch, q, _ALL_SCOPES, _params(q, tuning), " SETTINGS max_threads = 1")
    out: dict[ScopeKind, dict[str, list[dict[str, Any]]]] = {
        s: {name: [] for name in rows} for s in ScopeKind
    }
    for name, found in rows.items():
        for r in found:
            out[ScopeKind(r.pop("scope", ScopeKind.OPPORTUNITY.value))][name].append(r)
    return out
