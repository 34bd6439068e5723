"""Point-in-time aggregation queries behind health, stalls and the evidence chain.

Every query takes `as_of` (`t` in the SQL): CRM rows updated after it, activities that
occurred after it and events received after it are ignored, so a feature computed "as of" a
day never sees what happened later. Many opportunities are aggregated at once (GROUP BY over
the tenant's events and CRM tables); Python only sees per-opportunity, per-person and
per-document-version rows.

CRM state as of t: the newest opportunity row with `updated_at <= t` (when merges already
dropped it, the oldest surviving row — flagged `known_at_as_of = 0`); stage and close date are
then replayed from stage/close-date activities up to t. Contacts (names, decision-maker flags)
are the current ones.

Page reads (people, documents) come from the engagement rollup when it can answer — as of
now, see `rollup_answers` — else from the raw events; both give the same rows."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scoring.engagement.rollup_repository import PERSON_CONTACT, ROLLUP
from tracker.config import ScoringSettings
from tracker.reading import HUMAN, READ_MS_PARAM, read_threshold_ms
from tracker.stores import ClickHouse

__all__ = ["FeatureQuery", "fetch_tenant_stats", "rollup_answers", "submit_feature_rows"]

_KEYS = "(SELECT arrayJoin(splitByChar(',', {keys:String})))"
_T = "fromUnixTimestamp64Milli({as_of_ms:Int64}, 'UTC')"
_PERSON = (
    "if(forwarded = 0 AND contact_id != '', concat('c:', contact_id), concat('v:', viewer_id))"
)
_STAGES = "['prospecting', 'qualification', 'discovery', 'proposal', 'negotiation']"
_PICK = "(toUInt8(updated_at <= t), if(updated_at <= t, toInt64(version), -toInt64(version)))"
_OPP_COLS = (
    "account", "amount", "currency", "stage", "stage_entered_at", "expected_close_date",
    "probability", "forecast_category", "owner", "manager", "account_employees",
    "account_growth_pct", "payment_issues", "support_escalations", "product_lines", "deleted",
)  # fmt: skip


@dataclass(frozen=True)
class FeatureQuery:
    tenant_id: str
    keys: Sequence[str] | None  # None: every opportunity of the tenant
    as_of: datetime
    rollup: bool = False  # reads from the engagement rollup (only when it answers: as of now)


def rollup_answers(ch: ClickHouse, tenant_id: str, as_of: datetime) -> bool:
    """Whether the engagement rollup holds exactly the tenant's reads up to `as_of`. It keeps no
    per-event time, so only when none of the tenant's events was received later — a live
    assessment; one as of a past day reads the raw events."""
    rows = ch.query(
        f"SELECT max(last_at) <= {_T} AS answers FROM {ch.database}.{ROLLUP} "
        "WHERE tenant_id = {tenant_id:String}",
        {"tenant_id": tenant_id, "as_of_ms": int(as_of.timestamp() * 1000)},
    )
    return bool(rows[0]["answers"])


def _opp_filter(q: FeatureQuery) -> str:
    return "1" if q.keys is None else f"opportunity_id IN {_KEYS}"


def _events_where(ch: ClickHouse, q: FeatureQuery) -> str:
    where = "tenant_id = {tenant_id:String} AND received_at <= t AND " + HUMAN
    if q.keys is None:
        return where + " AND opportunity_id != ''"
    docs = (
        f"SELECT document_id FROM {ch.database}.links "
        f"WHERE tenant_id = {{tenant_id:String}} AND opportunity_id IN {_KEYS}"
    )
    return where + f" AND document_id IN ({docs}) AND opportunity_id IN {_KEYS}"


def _opps_sql(ch: ClickHouse, q: FeatureQuery) -> str:
    db = ch.database
    # tuple(): aggregate functions skip NULLs, and a NULL as of t must stay NULL
    picked = ", ".join(f"tupleElement(argMax(tuple({c}), {_PICK}), 1) AS {c}" for c in _OPP_COLS)
    history = (
        "SELECT a.account AS account, count() AS won_before FROM "
        f"(SELECT opportunity_id, argMax(account, version) AS account FROM {db}.opportunities "
        "WHERE tenant_id = {tenant_id:String} GROUP BY opportunity_id) AS a "
        f"INNER JOIN (SELECT opportunity_id FROM {db}.outcomes FINAL "
        "WHERE tenant_id = {tenant_id:String} AND outcome = 'won' AND closed_at <= t) AS w "
        "ON w.opportunity_id = a.opportunity_id GROUP BY a.account"
    )
    outcomes = (
        "SELECT opportunity_id, argMax(outcome, version) AS outcome, "
        f"argMax(closed_at, version) AS closed_at FROM {db}.outcomes "
        "WHERE tenant_id = {tenant_id:String} GROUP BY opportunity_id"
    )
    return (
        f"WITH {_T} AS t SELECT o.k AS k, {', '.join(f'o.{c} AS {c}' for c in _OPP_COLS)}, "
        "o.known_at_as_of AS known_at_as_of, o.first_seen_at AS first_seen_at, "
        "ifNull(h.won_before, 0) AS won_before, "
        "if(oc.opportunity_id != '' AND oc.closed_at <= t, oc.outcome, '') AS outcome_as_of "
        f"FROM (SELECT opportunity_id AS k, {picked}, max(updated_at <= t) AS known_at_as_of, "
        "min(updated_at) AS first_seen_at "
        f"FROM {db}.opportunities WHERE tenant_id = {{tenant_id:String}} AND {_opp_filter(q)} "
        "GROUP BY opportunity_id) AS o "
        f"LEFT JOIN ({history}) AS h ON h.account = o.account "
        f"LEFT JOIN ({outcomes}) AS oc ON oc.opportunity_id = o.k "
        "WHERE o.deleted = 0"
    )


def _acts_sql(ch: ClickHouse, q: FeatureQuery) -> str:
    touch = "activity_type IN ('email', 'call', 'meeting', 'note')"
    push = "activity_type = 'close_date_change' AND ifNull(new_close_date > old_close_date, 0)"
    regress = (
        f"activity_type = 'stage_change' AND indexOf({_STAGES}, to_stage) > 0 "
        f"AND indexOf({_STAGES}, from_stage) > indexOf({_STAGES}, to_stage)"
    )
    ci30 = "customer_initiated = 1 AND occurred_at > t - INTERVAL 30 DAY"
    meet30 = (
        "activity_type = 'meeting' AND notEmpty(attendees) AND occurred_at > t - INTERVAL 30 DAY"
    )
    stage = "activity_type = 'stage_change'"
    return (
        f"WITH {_T} AS t SELECT opportunity_id AS k, "
        f"maxIf(occurred_at, customer_initiated = 1 AND {touch}) AS last_buyer_activity_at, "
        f"maxIf(occurred_at, customer_initiated = 0 AND {touch}) AS last_seller_activity_at, "
        f"countIf({push}) AS pushes, groupArraySortedIf(5)(activity_id, {push}) AS push_ids, "
        f"countIf({regress}) AS regressions, "
        f"groupArraySortedIf(5)(activity_id, {regress}) AS regression_ids, "
        f"countIf({ci30}) AS customer_contacts_30d, "
        f"groupArraySortedIf(5)(activity_id, {ci30}) AS customer_contact_ids, "
        f"argMaxIf(tuple(activity_id, activity_type, subject, occurred_at), occurred_at, "
        "customer_initiated = 1) AS last_customer_contact, "
        f"countIf({meet30}) AS meetings_30d, countIf(activity_type = 'meeting') AS meetings, "
        f"argMaxIf(to_stage, occurred_at, {stage}) AS stage_to, "
        f"argMinIf(from_stage, occurred_at, {stage}) AS stage_first_from, "
        f"maxIf(occurred_at, {stage}) AS stage_changed_at, "
        f"argMaxIf(activity_id, occurred_at, {stage}) AS stage_activity_id, "
        "countIf(activity_type = 'close_date_change') AS close_changes, "
        "argMaxIf(new_close_date, occurred_at, activity_type = 'close_date_change') AS close_to, "
        "argMinIf(old_close_date, occurred_at, activity_type = 'close_date_change') "
        "AS close_first_from, min(occurred_at) AS first_activity_at "
        f"FROM {ch.database}.activities FINAL WHERE tenant_id = {{tenant_id:String}} "
        f"AND {_opp_filter(q)} AND occurred_at <= t GROUP BY opportunity_id"
    )


def _later_sql(ch: ClickHouse, q: FeatureQuery) -> str:
    """The first stage and close-date change after t: its `from` is the state at t (the
    opportunity row itself only keeps its newest version once merged)."""
    stage, close = "activity_type = 'stage_change'", "activity_type = 'close_date_change'"
    return (
        f"WITH {_T} AS t SELECT opportunity_id AS k, countIf({stage}) AS stage_changes_after, "
        f"argMinIf(from_stage, occurred_at, {stage}) AS stage_before, "
        f"countIf({close}) AS close_changes_after, "
        f"argMinIf(old_close_date, occurred_at, {close}) AS close_before "
        f"FROM {ch.database}.activities FINAL WHERE tenant_id = {{tenant_id:String}} "
        f"AND {_opp_filter(q)} AND occurred_at > t AND ({stage} OR {close}) GROUP BY k"
    )


def _read_rows_sql(ch: ClickHouse, q: FeatureQuery) -> str:
    """Human page reads, one row per key of the engagement rollup (opportunity, document, link,
    version, visit, page, person): their dwell, newest read, forwarding and one proof id, the
    largest. The people and the documents are built from these rows whichever source answers,
    so the rollup (as of now) and the raw events (any time) give the same features, proof ids
    included: the evidence quotes the smallest of these per-row ids."""
    db = ch.database
    if q.rollup:  # FINAL: one row per key, partly merged rows added up (cheaper than GROUP BY)
        return (
            "SELECT opportunity_id AS k, person, link_id AS link, version_id, page, "
            "read_forwarded AS read_fwd, read_ms AS read_dwell, read_at AS read_last, "
            f"read_event_id AS read_eid FROM {db}.{ROLLUP} FINAL "
            "WHERE tenant_id = {tenant_id:String} AND opportunity_id != '' "
            f"AND {_opp_filter(q)} AND read_events > 0"
        )
    return (
        f"SELECT opportunity_id AS k, {_PERSON} AS person, link_id AS link, version_id, page, "
        "max(forwarded) AS read_fwd, sum(dwell_ms) AS read_dwell, max(received_at) AS read_last, "
        f"max(event_id) AS read_eid FROM {db}.events WHERE {_events_where(ch, q)} "
        "AND event_type = 'page_dwell' AND page > 0 "
        "GROUP BY k, document_id, link, version_id, visit_id, page, person"
    )


def _people_sql(ch: ClickHouse, q: FeatureQuery) -> str:
    db = ch.database
    # reads summed per person and link first: the union and the joins then see a few rows
    # per person instead of one per read; the contact is the person's own (`c:<id>`)
    reads = (
        f"SELECT k, person, {PERSON_CONTACT} AS contact, "
        "link, max(read_fwd) AS fwd, sum(read_dwell) AS read_ms, max(read_last) AS at, "
        "groupArraySorted(3)(read_eid) AS eids, '' AS aid, toUInt8(0) AS meeting "
        f"FROM ({_read_rows_sql(ch, q)}) GROUP BY k, person, link"
    )
    meetings = (
        "SELECT opportunity_id AS k, concat('c:', attendee) AS person, attendee AS contact, "
        "'' AS link, toUInt8(0) AS fwd, toUInt64(0) AS read_ms, occurred_at AS at, "
        "CAST([] AS Array(String)) AS eids, "
        f"activity_id AS aid, toUInt8(1) AS meeting FROM {db}.activities FINAL "
        "ARRAY JOIN attendees AS attendee WHERE tenant_id = {tenant_id:String} "
        f"AND {_opp_filter(q)} AND activity_type = 'meeting' AND occurred_at <= t "
        "AND attendee != ''"
    )
    contacts = (
        f"SELECT opportunity_id, contact_id, name, role, is_decision_maker FROM {db}.contacts "
        "FINAL WHERE tenant_id = {tenant_id:String} AND (opportunity_id, version) IN "
        f"(SELECT opportunity_id, version FROM {db}.opportunities FINAL "
        "WHERE tenant_id = {tenant_id:String})"
    )
    links = (
        "SELECT link_id, recipient_name, recipient_email, recipient_role "
        f"FROM {db}.links FINAL WHERE tenant_id = {{tenant_id:String}}"
    )
    return (
        f"WITH {_T} AS t SELECT p.k AS k, p.person AS person, any(p.contact) AS contact_id, "
        "max(p.fwd) AS forwarded, toUInt64(sum(p.read_ms)) AS read_ms, "
        "maxIf(p.at, p.meeting = 0) AS last_read_at, maxIf(p.at, p.meeting = 1) AS "
        "last_meeting_at, countIf(p.meeting = 1) AS meetings, "
        "arraySlice(arraySort(arrayFlatten(groupArrayIf(p.eids, p.meeting = 0))), 1, 3) "
        "AS event_ids, "
        "groupArraySortedIf(3)(p.aid, p.meeting = 1) AS activity_ids, "
        "any(c.name) AS contact_name, any(c.role) AS contact_role, "
        "max(c.is_decision_maker) AS is_decision_maker, any(l.recipient_name) AS link_name, "
        "any(l.recipient_email) AS link_email, any(l.recipient_role) AS link_role "
        f"FROM ({reads} UNION ALL {meetings}) AS p "
        f"LEFT JOIN ({contacts}) AS c ON c.opportunity_id = p.k AND c.contact_id = p.contact "
        f"LEFT JOIN ({links}) AS l ON l.link_id = p.link "
        f"GROUP BY k, person HAVING read_ms >= {READ_MS_PARAM} OR meetings > 0"
    )


def _docs_sql(ch: ClickHouse, q: FeatureQuery) -> str:
    db = ch.database
    # the reader of a page is the newest read's (ties: the larger person, on both sources)
    reads = (
        "SELECT k, version_id, page, toUInt64(sum(read_dwell)) AS ms, max(read_last) AS at, "
        "argMax(person, (read_last, person)) AS who, groupArraySorted(2)(read_eid) AS eids "
        f"FROM ({_read_rows_sql(ch, q)}) GROUP BY k, version_id, page"
    )
    # the page sizes and tags as rows: the reads join what they need, not whole arrays; the
    # document's own columns join the per-version result. A page the version does not have
    # needs the floor time and is not pricing, as `page_words[page]` out of range would say.
    pages = (
        "SELECT version_id, toUInt16(page) AS page, words, has(tags, 'pricing') AS pricing "
        f"FROM {db}.document_versions FINAL ARRAY JOIN page_words AS words, "
        "page_tags AS tags, arrayEnumerate(page_words) AS page "
        "WHERE tenant_id = {tenant_id:String}"
    )
    versions = (
        "SELECT v.version_id AS version_id, v.document_id AS document_id, v.pages AS pages, "
        f"v.revision AS revision, d.title AS title FROM {db}.document_versions AS v FINAL "
        f"LEFT JOIN (SELECT document_id, title FROM {db}.documents FINAL "
        "WHERE tenant_id = {tenant_id:String}) AS d ON d.document_id = v.document_id "
        "WHERE v.tenant_id = {tenant_id:String}"
    )
    per_page = (
        "SELECT r.k AS k, r.version_id AS version_id, r.page AS page, r.ms AS ms, r.at AS at, "
        "r.who AS who, r.eids AS eids, p.pricing AS pricing, "
        "greatest({min_page_ms:Float64}, p.words * 60000.0 / {wpm:Float64}) AS need "
        f"FROM reads AS r LEFT JOIN ({pages}) AS p "
        "ON p.version_id = r.version_id AND p.page = r.page"
    )
    per_version = (
        # each page's share read in billionths: an integer sum is the same in any order (a
        # float sum's last bits depended on how the engine's threads split the rows); a page
        # read at least as long as it needs (a tenant may set no floor time) counts whole
        "SELECT k, version_id, sum(toUInt64(round(if(ms >= need, 1, ms / need) * 1e9))) / 1e9 "
        "AS pages_read, max(page) AS last_page, "
        "toUInt64(sum(ms)) AS dwell_ms, toUInt64(sumIf(ms, pricing)) AS pricing_ms, "
        "maxIf(at, pricing) AS pricing_at, argMaxIf(who, at, pricing) AS pricing_who, "
        "max(at) AS last_read_at, "
        "arraySlice(arraySort(arrayFlatten(groupArray(eids))), 1, 5) AS event_ids "
        f"FROM ({per_page}) GROUP BY k, version_id"
    )
    return (
        f"WITH {_T} AS t, reads AS ({reads}) "
        "SELECT g.k AS k, g.version_id AS version_id, v.document_id AS document_id, "
        "v.title AS title, v.revision AS revision, "
        "g.pages_read / greatest(v.pages, g.last_page) AS depth, g.dwell_ms AS dwell_ms, "
        "g.pricing_ms AS pricing_ms, g.pricing_at AS pricing_at, g.pricing_who AS pricing_who, "
        "g.last_read_at AS last_read_at, g.event_ids AS event_ids "
        f"FROM ({per_version}) AS g LEFT JOIN ({versions}) AS v ON v.version_id = g.version_id"
    )


def _events_sql(ch: ClickHouse, q: FeatureQuery) -> str:
    download = "event_type = 'download'"
    # the person of the newest download only: argMaxIf evaluates its argument on every event
    person = _PERSON.replace("forwarded", "d.2").replace("contact_id", "d.3")
    person = person.replace("viewer_id", "d.4")
    return (
        f"WITH {_T} AS t SELECT k, last_event_at, downloads, "
        f"tuple(d.1, if(d.1 = '', '', {person}), d.5, d.6) AS last_download FROM ("
        "SELECT opportunity_id AS k, max(received_at) AS last_event_at, "
        f"countIf({download}) AS downloads, argMaxIf(tuple(event_id, forwarded, contact_id, "
        f"viewer_id, version_id, received_at), received_at, {download}) AS d "
        f"FROM {ch.database}.events WHERE {_events_where(ch, q)} GROUP BY k)"
    )


def _sent_sql(ch: ClickHouse, q: FeatureQuery) -> str:
    return (
        f"WITH {_T} AS t SELECT opportunity_id AS k, max(created_at) AS last_sent_at "
        f"FROM {ch.database}.links WHERE tenant_id = {{tenant_id:String}} "
        f"AND {_opp_filter(q)} AND opportunity_id != '' AND created_at <= t GROUP BY k"
    )


def _params(q: FeatureQuery, tuning: ScoringSettings) -> dict[str, Any]:
    return {
        "tenant_id": q.tenant_id,
        "keys": ",".join(q.keys or ()),
        "as_of_ms": int(q.as_of.timestamp() * 1000),
        "read_ms": read_threshold_ms(tuning.reading),
        "min_page_ms": tuning.reading.min_page_seconds * 1000.0,
        "wpm": float(tuning.reading.words_per_minute),
        "quantile": tuning.stall.stage_age_quantile,
    }


_QUERIES = {
    "opps": _opps_sql,
    "acts": _acts_sql,
    "later": _later_sql,
    "people": _people_sql,
    "docs": _docs_sql,
    "events": _events_sql,
    "sent": _sent_sql,
}


def submit_feature_rows(
    ch: ClickHouse, q: FeatureQuery, tuning: ScoringSettings, reads: Executor
) -> dict[str, Future[list[dict[str, Any]]]]:
    """Rows of every feature query, by query name, each query submitted to `reads` in the
    order the features are built from them: one query's rows become Python while the engine
    runs the next."""
    if q.keys is not None and not q.keys:
        return {name: reads.submit(list) for name in _QUERIES}
    params = _params(q, tuning)
    return {name: reads.submit(ch.query, build(ch, q), params) for name, build in _QUERIES.items()}


def fetch_tenant_stats(
    ch: ClickHouse, tenant_id: str, as_of: datetime, tuning: ScoringSettings
) -> dict[str, Any]:
    """Tenant baselines as of t: median buyer reply time (a customer-initiated email or call
    right after one of ours), the stage-age quantile per stage (finished stays), and the
    median deal amount. Exact quantiles: `quantile` samples 8 192 values, so past that the
    stage-age limit the evidence quotes changed from one run to the next."""
    db = ch.database
    params = _params(FeatureQuery(tenant_id, None, as_of), tuning)
    window = "OVER (PARTITION BY opportunity_id ORDER BY occurred_at, activity_id)"
    replies = ch.query(
        f"WITH {_T} AS t SELECT quantileExactInclusive(0.5)(gap) AS median_ms, count() AS n "
        "FROM ("
        f"SELECT customer_initiated AS ci, lagInFrame(customer_initiated) {window} AS prev_ci, "
        f"dateDiff('millisecond', lagInFrame(occurred_at) {window}, occurred_at) AS gap, "
        f"row_number() {window} AS rn FROM {db}.activities FINAL "
        "WHERE tenant_id = {tenant_id:String} AND activity_type IN ('email', 'call') "
        "AND occurred_at <= t) WHERE rn > 1 AND ci = 1 AND prev_ci = 0",
        params,
    )
    stages = ch.query(
        f"WITH {_T} AS t SELECT from_stage AS stage, "
        "quantileExactInclusive({quantile:Float64})(stay) AS q, count() AS n "
        "FROM (SELECT from_stage, "
        f"dateDiff('millisecond', lagInFrame(occurred_at) {window}, occurred_at) AS stay, "
        f"row_number() {window} AS rn FROM {db}.activities FINAL "
        "WHERE tenant_id = {tenant_id:String} AND activity_type = 'stage_change' "
        "AND occurred_at <= t) WHERE rn > 1 GROUP BY from_stage",
        params,
    )
    amounts = ch.query(
        f"WITH {_T} AS t SELECT quantileExactInclusive(0.5)(a) AS median_amount, count() AS n "
        "FROM ("
        "SELECT opportunity_id, toFloat64(argMax(amount, version)) AS a "
        f"FROM {db}.opportunities WHERE tenant_id = {{tenant_id:String}} AND updated_at <= t "
        "GROUP BY opportunity_id)",
        params,
    )
    return {"replies": replies[0], "stages": stages, "amounts": amounts[0]}
