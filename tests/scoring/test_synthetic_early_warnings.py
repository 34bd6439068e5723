"""The synthetic generator produces the brief's early-warning behaviour from its hidden deal
quality (fixed seed; each assertion could fail): weak deals keep customers waiting more than
4 working hours for a reply, and their people read the competitor comparison intensively
(three visits within seven days) far more often. 突然取消定期会议 is
tests/scoring/test_synthetic.py's."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from scoring.health.unanswered import working_hours
from scoring.synthetic.docs import COMPETITOR
from tests.scoring.test_synthetic import dataset
from tracker.config import ScoringSettings
from tracker.reading import read_threshold_ms

RULES = ScoringSettings()
_EVENT_COLUMNS = ["opportunity_id", "viewer_id", "visit_id", "version_id", "page", "event_type",
                  "dwell_ms", "received_at", "is_bot"]  # fmt: skip


def _split(ids: set[str], quality: dict[str, float]) -> tuple[list[str], list[str]]:
    weak = sorted(k for k in ids if quality[k] <= 0.4)
    strong = sorted(k for k in ids if quality[k] >= 0.6)
    return weak, strong


def test_weak_deals_keep_their_customers_waiting_more_than_four_hours() -> None:
    ds = dataset()
    ew = RULES.early_warning
    zone = ZoneInfo(ew.time_zone)
    columns = ["opportunity_id", "activity_type", "direction", "occurred_at"]
    talks: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for r in ds.tables["activities"].select(columns).to_pylist():
        if r["activity_type"] in ("email", "call", "meeting") and r["direction"]:
            talks[r["opportunity_id"]].append((r["occurred_at"], r["direction"]))
    waits: dict[str, list[float]] = defaultdict(list)  # working hours per answered wait
    for k, rows in talks.items():
        first: datetime | None = None
        for at, direction in sorted(rows):
            if direction == "inbound" and first is None:
                first = at
            elif direction == "outbound" and first is not None:
                waits[k].append(working_hours(first, at, zone, ew.workday_start, ew.workday_end))
                first = None

    def long_share(ids: list[str]) -> float:
        found = [h for k in ids for h in waits[k]]
        return sum(h >= ew.reply_hours for h in found) / len(found)

    weak, strong = _split(set(waits), ds.quality)
    assert len(weak) > 100 and len(strong) > 100
    assert long_share(weak) > long_share(strong) + 0.1
    assert long_share(weak) > 1.5 * long_share(strong)


def test_at_risk_deals_read_the_competitor_comparison_intensively() -> None:
    ds = dataset()
    competitor: dict[str, int] = {}  # version → its competitor comparison page
    with_page: set[str] = set()  # documents that have one
    for v in ds.tables["document_versions"].to_pylist():
        for number, tags in enumerate(v["page_tags"], start=1):
            if COMPETITOR in tags:
                competitor[v["version_id"]] = number
                with_page.add(v["document_id"])
    deals = {
        d["opportunity_id"]
        for d in ds.tables["documents"].to_pylist()
        if d["document_id"] in with_page
    }
    read_ms = read_threshold_ms(RULES.reading)
    # (deal, person, visit) → [ms on the competitor page, last moment]
    visits: dict[tuple[str, str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for batch in ds.events():
        for e in batch.select(_EVENT_COLUMNS).to_pylist():
            if e["event_type"] != "page_dwell" or e["is_bot"]:
                continue
            if competitor.get(e["version_id"]) != e["page"]:
                continue
            seen = visits[(e["opportunity_id"], e["viewer_id"], e["visit_id"])]
            seen[0] += e["dwell_ms"]
            seen[1] = max(seen[1], e["received_at"].timestamp())
    reads: dict[tuple[str, str], list[float]] = defaultdict(list)
    for (k, person, _), (ms, at) in visits.items():
        if ms >= read_ms:
            reads[(k, person)].append(at)
    window = timedelta(days=RULES.early_warning.tag_window_days).total_seconds()
    need = RULES.early_warning.tag_reads
    intensive = set()
    for (k, _), times in reads.items():
        ordered = sorted(times)
        if any(
            ordered[i + need - 1] - ordered[i] <= window for i in range(len(ordered) - need + 1)
        ):
            intensive.add(k)

    def rate(ids: list[str]) -> float:
        return sum(k in intensive for k in ids) / len(ids)

    weak, strong = _split(deals, ds.quality)
    assert len(weak) > 100 and len(strong) > 100
    assert rate(weak) > rate(strong) + 0.1
    assert rate(weak) > 3 * rate(strong)
