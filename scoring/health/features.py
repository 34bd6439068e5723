"""Point-in-time opportunity features: everything health, stalls and the evidence chain need,
computed "as of" a moment from `scoring.health.repository` aggregations (events received,
activities occurred and CRM rows updated after `as_of` are ignored)."""

from __future__ import annotations

from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from scoring.engagement.rollup_repository import EventSource
from scoring.engagement.signals import real_time
from scoring.engagement.tag_reads_repository import TagReads, fetch_tag_reads
from scoring.forecast.credibility import CredibilityRaw
from scoring.forecast.credibility_repository import fetch_credibility
from scoring.health.conversation_repository import fetch_exchanges
from scoring.health.meeting_series import SeriesMeeting
from scoring.health.repository import (
    FeatureQuery,
    fetch_tenant_stats,
    rollup_answers,
    submit_feature_rows,
)
from scoring.health.series_repository import fetch_series_meetings
from scoring.health.unanswered import Exchange
from tracker.config import ScoringSettings
from tracker.crm import evidence_kinds
from tracker.reading import read_threshold_ms
from tracker.stores import ClickHouse

__all__ = [
    "DocRead",
    "EngagedContact",
    "OpportunityFeatures",
    "TenantStats",
    "features_as_of",
    "tenant_stats",
]

STAGES = ("prospecting", "qualification", "discovery", "proposal", "negotiation")


@dataclass(frozen=True)
class EngagedContact:
    person: str
    name: str
    role: str
    is_decision_maker: bool
    forwarded: bool
    read_ms: int
    meetings: int
    last_read_at: datetime | None
    last_meeting_at: datetime | None
    event_ids: tuple[str, ...]
    activity_ids: tuple[str, ...]


@dataclass(frozen=True)
class DocRead:
    version_id: str
    document_id: str
    title: str
    revision: int
    depth: float
    dwell_ms: int
    pricing_ms: int
    pricing_at: datetime | None
    pricing_who: str
    last_read_at: datetime | None
    event_ids: tuple[str, ...]


@dataclass
class OpportunityFeatures:
    opportunity_id: str
    as_of: datetime
    account: str = ""
    amount: float = 0.0
    amount_exact: Decimal = Decimal(0)  # the CRM's Decimal, for the forecast's exact arithmetic
    currency: str = ""
    stage: str = ""
    probability: int = 0
    forecast_category: str = ""
    owner: str = ""
    manager: str = ""
    stage_entered_at: datetime | None = None
    stage_activity_id: str = ""
    expected_close_date: date | None = None
    account_employees: int | None = None
    account_growth_pct: float | None = None
    payment_issues: bool | None = None
    support_escalations: int | None = None
    product_lines: int = 0
    won_before: int = 0
    outcome: str = ""
    known_at_as_of: bool = True
    first_seen_at: datetime | None = None  # the CRM's oldest `updated_at` of the deal
    close_changes: int = 0
    last_buyer_activity_at: datetime | None = None
    last_seller_activity_at: datetime | None = None
    last_event_at: datetime | None = None
    last_sent_at: datetime | None = None
    first_activity_at: datetime | None = None
    pushes: int = 0
    push_ids: tuple[str, ...] = ()
    regressions: int = 0
    regression_ids: tuple[str, ...] = ()
    customer_contacts_30d: int = 0
    customer_contact_ids: tuple[str, ...] = ()
    last_customer_contact: tuple[str, str, str, datetime] | None = None
    meetings: int = 0
    meetings_30d: int = 0
    downloads: int = 0
    last_download: tuple[str, str, str, datetime] | None = None
    people: list[EngagedContact] = field(default_factory=list)
    docs: list[DocRead] = field(default_factory=list)
    credibility: CredibilityRaw = field(default_factory=CredibilityRaw)
    evidence_kinds: frozenset[str] = frozenset()  # stage evidence held by as_of
    series_meetings: list[SeriesMeeting] = field(default_factory=list)  # recurring, oldest first
    exchanges: list[Exchange] = field(default_factory=list)  # conversation, oldest first
    tag_reads: list[TagReads] = field(default_factory=list)  # warning-tag pages, recent

    @property
    def existed(self) -> bool:
        """Known by `as_of`: its CRM row, an activity or a sent link dates from before."""
        first = _newest(self.first_activity_at, self.last_sent_at, self.last_event_at)
        return self.known_at_as_of or first is not None

    @property
    def is_open(self) -> bool:
        closed = self.outcome or self.stage in ("closed_won", "closed_lost")
        return self.existed and not closed

    @property
    def last_buyer_at(self) -> datetime | None:
        """Newest buyer action: a human document event or a customer-initiated activity."""
        return _newest(self.last_event_at, self.last_buyer_activity_at)

    @property
    def last_seller_at(self) -> datetime | None:
        return _newest(self.last_seller_activity_at, self.last_sent_at)

    @property
    def last_activity_at(self) -> datetime | None:
        return _newest(self.last_buyer_at, self.last_seller_at)

    @property
    def first_known_at(self) -> datetime | None:
        """The oldest sign of the deal: its first CRM row, stage, activity or sent link."""
        times = (self.first_seen_at, self.stage_entered_at, self.first_activity_at,
                 self.last_sent_at)  # fmt: skip
        found = [t for t in times if t is not None]
        return min(found) if found else None

    @property
    def best_doc(self) -> DocRead | None:
        return max(self.docs, key=lambda d: (d.depth, d.revision), default=None)

    def person(self, key: str) -> EngagedContact | None:
        return next((p for p in self.people if p.person == key), None)


@dataclass(frozen=True)
class TenantStats:
    as_of: datetime
    median_reply_hours: float | None
    replies: int
    stage_age_days: dict[str, tuple[float, int]]  # stage -> (quantile days, samples)
    median_amount: float


def _newest(*times: datetime | None) -> datetime | None:
    found = [t for t in times if t is not None]
    return max(found) if found else None


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else None


def _tuple(value: Any) -> tuple[str, str, str, datetime] | None:
    if not value:
        return None
    values = list(value.values()) if isinstance(value, dict) else list(value)
    at = real_time(values[3])
    return (str(values[0]), str(values[1]), str(values[2]), at) if at and values[0] else None


def _apply_opp(f: OpportunityFeatures, r: dict[str, Any]) -> None:
    f.account, f.amount, f.currency = r["account"], float(r["amount"]), r["currency"]
    f.amount_exact = Decimal(str(r["amount"]))
    f.stage, f.probability = r["stage"], int(r["probability"])
    f.forecast_category, f.owner, f.manager = r["forecast_category"], r["owner"], r["manager"]
    f.stage_entered_at = real_time(r["stage_entered_at"])
    f.expected_close_date = _date(r["expected_close_date"])
    f.account_employees = r["account_employees"]
    f.account_growth_pct = r["account_growth_pct"]
    f.payment_issues = None if r["payment_issues"] is None else bool(r["payment_issues"])
    f.support_escalations = r["support_escalations"]
    f.product_lines, f.won_before = int(r["product_lines"]), int(r["won_before"])
    f.outcome, f.known_at_as_of = r["outcome_as_of"], bool(r["known_at_as_of"])
    f.first_seen_at = real_time(r.get("first_seen_at"))


def _apply_acts(f: OpportunityFeatures, r: dict[str, Any]) -> None:
    f.last_buyer_activity_at = real_time(r["last_buyer_activity_at"])
    f.last_seller_activity_at = real_time(r["last_seller_activity_at"])
    f.first_activity_at = real_time(r["first_activity_at"])
    f.pushes, f.push_ids = int(r["pushes"]), tuple(r["push_ids"])
    f.regressions, f.regression_ids = int(r["regressions"]), tuple(r["regression_ids"])
    f.customer_contacts_30d = int(r["customer_contacts_30d"])
    f.customer_contact_ids = tuple(r["customer_contact_ids"])
    f.last_customer_contact = _tuple(r["last_customer_contact"])
    f.meetings, f.meetings_30d = int(r["meetings"]), int(r["meetings_30d"])
    changed = real_time(r["stage_changed_at"])
    if changed is not None:  # replay the stage as of t from the stage changes
        f.stage, f.stage_entered_at = r["stage_to"], changed
        f.stage_activity_id = r["stage_activity_id"]
    f.close_changes = int(r["close_changes"])
    if f.close_changes:
        f.expected_close_date = _date(r["close_to"]) or f.expected_close_date


def _apply_later(f: OpportunityFeatures, r: dict[str, Any]) -> None:
    """The CRM row is newer than as_of: the first later change's `from` is the state."""
    if not f.stage_activity_id and int(r["stage_changes_after"]):
        f.stage, f.stage_entered_at = r["stage_before"], None
    if not f.close_changes and int(r["close_changes_after"]):
        f.expected_close_date = _date(r["close_before"]) or f.expected_close_date


def _person(r: dict[str, Any]) -> EngagedContact:
    forwarded = bool(r["forwarded"])
    name = r["contact_name"] or ("" if forwarded else r["link_name"] or r["link_email"])
    if forwarded:
        name = f"someone {r['link_name'] or r['link_email'] or 'a recipient'} forwarded to"
    return EngagedContact(
        person=r["person"],
        name=name or r["person"],
        role=r["contact_role"] or ("" if forwarded else r["link_role"]),
        is_decision_maker=bool(r["is_decision_maker"]),
        forwarded=forwarded,
        read_ms=int(r["read_ms"]),
        meetings=int(r["meetings"]),
        last_read_at=real_time(r["last_read_at"]),
        last_meeting_at=real_time(r["last_meeting_at"]),
        event_ids=tuple(e for e in r["event_ids"] if e),
        activity_ids=tuple(a for a in r["activity_ids"] if a),
    )


def _doc(r: dict[str, Any]) -> DocRead:
    return DocRead(
        version_id=r["version_id"],
        document_id=r["document_id"] or "",
        title=r["title"] or "",
        revision=int(r["revision"] or 0),
        depth=min(float(r["depth"]), 1.0),
        dwell_ms=int(r["dwell_ms"]),
        pricing_ms=int(r["pricing_ms"]),
        pricing_at=real_time(r["pricing_at"]),
        pricing_who=r["pricing_who"] or "",
        last_read_at=real_time(r["last_read_at"]),
        event_ids=tuple(r["event_ids"]),
    )


def features_as_of(
    ch: ClickHouse,
    tenant_id: str,
    opportunity_ids: list[str] | None,
    as_of: datetime,
    tuning: ScoringSettings,
    source: EventSource = EventSource.ROLLUP,
) -> dict[str, OpportunityFeatures]:
    """Features of the CRM-known opportunities (all of the tenant's when ids is None). Every
    query is submitted at once and the features are built from each as its rows arrive: the
    engine releases the GIL, so a query runs while the rows before it become features.
    `source`: where page reads come from — the rollup when it answers, or the raw events."""
    rollup = source is EventSource.ROLLUP and rollup_answers(ch, tenant_id, as_of)
    with ThreadPoolExecutor(_READERS, thread_name_prefix="features") as reads:
        query = FeatureQuery(tenant_id, opportunity_ids, as_of, rollup)
        rows = submit_feature_rows(ch, query, tuning, reads)
        sidecars = _submit_sidecars(ch, tenant_id, opportunity_ids, as_of, tuning, reads)
        found = _built(rows, as_of, tuning)
        for attribute, future in sidecars.items():
            for k, value in future.result().items():
                if (f := found.get(k)) is not None:
                    setattr(f, attribute, value)
    return found


# Two: the embedded engine runs one query at a time (its session is locked), so a second
# reader only turns the previous rows into Python meanwhile; a server takes both at once.
_READERS = 2


def _submit_sidecars(
    ch: ClickHouse,
    tenant_id: str,
    keys: list[str] | None,
    as_of: datetime,
    tuning: ScoringSettings,
    reads: Executor,
) -> dict[str, Future[Any]]:
    """The per-opportunity reads of other modules, by the feature attribute each fills."""
    warn = tuning.early_warning
    read_ms = read_threshold_ms(tuning.reading)
    tags = tuning.engagement.warning_tags()
    return {
        "credibility": reads.submit(
            fetch_credibility, ch, tenant_id, keys, as_of, tuning.forecast.window_days
        ),
        "evidence_kinds": reads.submit(evidence_kinds, ch, tenant_id, keys, as_of),
        "series_meetings": reads.submit(
            fetch_series_meetings, ch, tenant_id, keys, as_of, warn.series_lookback_days
        ),
        "exchanges": reads.submit(
            fetch_exchanges, ch, tenant_id, keys, as_of, warn.reply_lookback_days
        ),
        "tag_reads": reads.submit(
            fetch_tag_reads, ch, tenant_id, keys, as_of, warn.tag_window_days, tags, read_ms
        ),
    }


def _built(
    rows: dict[str, Future[list[dict[str, Any]]]], as_of: datetime, tuning: ScoringSettings
) -> dict[str, OpportunityFeatures]:
    opps = rows["opps"].result()
    found = {r["k"]: OpportunityFeatures(r["k"], as_of) for r in opps}
    for r in opps:
        _apply_opp(found[r["k"]], r)
    for r in rows["acts"].result():
        if r["k"] in found:
            _apply_acts(found[r["k"]], r)
    for r in rows["later"].result():
        if (f := found.get(r["k"])) is not None and not f.known_at_as_of:
            _apply_later(f, r)
    for f in found.values():
        if not f.known_at_as_of:  # the CRM's probability then was overwritten since
            f.probability = round(tuning.forecast.stage_probabilities.get(f.stage, 0.0))
    for r in rows["people"].result():
        if r["k"] in found:
            found[r["k"]].people.append(_person(r))
    for f in found.values():  # most engaged first, the same order on every run
        f.people.sort(key=lambda p: (-p.read_ms, -p.meetings, p.name, p.person))
    for r in rows["docs"].result():
        if r["k"] in found:
            found[r["k"]].docs.append(_doc(r))
    for f in found.values():  # the same order on every run and from either source
        f.docs.sort(key=lambda d: d.version_id)
    for r in rows["events"].result():
        if (f := found.get(r["k"])) is not None:
            f.last_event_at, f.downloads = real_time(r["last_event_at"]), int(r["downloads"])
            f.last_download = _tuple(r["last_download"])
    for r in rows["sent"].result():
        if (f := found.get(r["k"])) is not None:
            f.last_sent_at = real_time(r["last_sent_at"])
    return found


def tenant_stats(
    ch: ClickHouse, tenant_id: str, as_of: datetime, tuning: ScoringSettings
) -> TenantStats:
    raw = fetch_tenant_stats(ch, tenant_id, as_of, tuning)
    replies = int(raw["replies"]["n"])
    median = raw["replies"]["median_ms"]
    return TenantStats(
        as_of=as_of,
        median_reply_hours=float(median) / 3_600_000 if replies and median == median else None,
        replies=replies,
        stage_age_days={
            r["stage"]: (float(r["q"]) / 86_400_000, int(r["n"])) for r in raw["stages"]
        },
        median_amount=float(raw["amounts"]["median_amount"] or 0.0)
        if int(raw["amounts"]["n"])
        else 0.0,
    )


def utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
