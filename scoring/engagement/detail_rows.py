"""An engagement detail's aggregation rows computed in Python from the opportunity's rollup
rows (`rollup_repository.fetch_detail_inputs`): the same rows, per scope, that the SQL of
`scoring.engagement.repository.fetch_detail_rows` returns — same columns, same definitions
(see that module's docstring), so `collect_signals` and the scoring after it cannot tell
them apart. About one opportunity there are a few dozen rows: aggregating them here is
cheaper than having ClickHouse plan five queries with joins.

Usable only when nothing of the opportunity was received after `now` (the rollup has no
per-event time); `detail_rows` returns None otherwise and the caller asks the raw events."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scoring.engagement.repository import ScopeKind
from scoring.engagement.rollup_repository import DetailInputs
from tracker.config import ScoringSettings
from tracker.reading import read_threshold_ms

__all__ = ["detail_rows"]

Rows = dict[str, list[dict[str, Any]]]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY_MS = 86_400_000.0


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _ms(value: datetime) -> int:
    """Milliseconds since the epoch, exactly (DateTime64(3) values)."""
    value = _utc(value)
    return (value - _EPOCH) // _ms_unit


_ms_unit = datetime(1970, 1, 1, 0, 0, 0, 1000, tzinfo=UTC) - _EPOCH


@dataclass
class _Tuning:
    now_ms: int
    read_ms: int
    doc_hl_ms: float
    meet_hl_ms: float
    min_page_ms: float
    wpm: float
    gap_ms: int

    @staticmethod
    def of(now: datetime, t: ScoringSettings) -> _Tuning:
        return _Tuning(
            now_ms=int(now.timestamp() * 1000),
            read_ms=read_threshold_ms(t.reading),
            doc_hl_ms=t.engagement.document_half_life_days * _DAY_MS,
            meet_hl_ms=t.engagement.meeting_half_life_days * _DAY_MS,
            min_page_ms=t.reading.min_page_seconds * 1000.0,
            wpm=float(t.reading.words_per_minute),
            gap_ms=int(t.reading.revisit_gap_hours * 3_600_000),
        )

    def decay(self, at: datetime, half_life_ms: float) -> float:
        return float(2.0 ** (-max(self.now_ms - _ms(at), 0) / half_life_ms))


@dataclass
class _Read:
    """One (visit, page) of a scope key: `repository._reads`."""

    link: str = ""
    person: str = ""
    fwd: int = 0
    read_ms: int = 0
    at: datetime = _EPOCH


def _scopes(r: dict[str, Any], opportunity_id: str) -> list[tuple[ScopeKind, str]]:
    keys = [(ScopeKind.OPPORTUNITY, opportunity_id), (ScopeKind.RECIPIENT, r["link_id"]),
            (ScopeKind.DOCUMENT_VERSION, r["version_id"])]  # fmt: skip
    return [(s, k) for s, k in keys if k != ""]


def _reads(inp: DetailInputs, opp: str, tu: _Tuning) -> dict[tuple[Any, ...], _Read]:
    found: dict[tuple[Any, ...], _Read] = {}
    for r in inp.rollup:
        if not r["read_events"]:
            continue
        for scope, k in _scopes(r, opp):
            read = found.get(key := (scope, k, r["version_id"], r["page"], r["visit_id"]))
            if read is None:
                read = found[key] = _Read(link=r["link_id"], person=r["person"])
            read.fwd = max(read.fwd, int(r["read_forwarded"]))
            read.read_ms += int(r["read_ms"])
            read.at = max(read.at, _utc(r["read_at"]))
    return {key: v for key, v in found.items() if v.read_ms >= tu.read_ms}


def _page_row(
    reads: list[tuple[int, _Read]], version: dict[str, Any] | None, tu: _Tuning
) -> dict[str, Any]:
    """One version of one scope key: `repository._pages_sql` (per page, then per version)."""
    v = version or {}
    words, tags = list(v.get("page_words") or []), [list(x) for x in v.get("page_tags") or []]
    per_page: dict[int, list[_Read]] = defaultdict(list)
    for page, read in reads:
        per_page[page].append(read)
    has_pricing = any("pricing" in t for t in tags)
    all_tags = list(dict.fromkeys(t for page_tags in tags for t in page_tags))
    pages = max(int(v.get("pages") or 0), max(per_page))
    depth = depth_raw = 0.0
    dwell = pricing_ms = 0
    pricing_at = last_read = _EPOCH
    tag_dwell: dict[str, int] = defaultdict(int)
    tag_last: dict[str, int] = {}
    for page, found in per_page.items():
        dd = sum(r.read_ms * tu.decay(r.at, tu.doc_hl_ms) for r in found)
        dr = sum(r.read_ms for r in found)
        last_at = max(r.at for r in found)
        page_words = words[page - 1] if 0 < page <= len(words) else 0
        need = max(tu.min_page_ms, page_words * 60000.0 / tu.wpm)
        ptags = tags[page - 1] if 0 < page <= len(tags) else []
        depth += min(dd / need, 1.0)
        depth_raw += min(dr / need, 1.0)
        dwell += dr
        last_read = max(last_read, last_at)
        if "pricing" in ptags:
            pricing_ms += dr
            pricing_at = max(pricing_at, last_at)
        for tag in ptags:
            tag_dwell[tag] += dr
            tag_last[tag] = max(tag_last.get(tag, 0), _ms(last_at) // 1000)
    return {
        "title": v.get("title") or "",
        "revision": int(v.get("revision") or 0),
        "known": version is not None,
        "pages": pages,
        "depth": depth / pages,
        "depth_raw": depth_raw / pages,
        "dwell_ms": dwell,
        "pricing_ms": pricing_ms,
        "pricing_last_at": pricing_at,
        "has_pricing": has_pricing,
        "last_read_at": last_read,
        "tags": all_tags,
        "tag_dwell": (sorted(tag_dwell), [tag_dwell[t] for t in sorted(tag_dwell)]),
        "tag_last": (sorted(tag_last), [tag_last[t] for t in sorted(tag_last)]),
    }


def _pages(
    reads: dict[tuple[Any, ...], _Read], inp: DetailInputs, tu: _Tuning, out: dict[ScopeKind, Rows]
) -> None:
    grouped: dict[tuple[ScopeKind, str, str], list[tuple[int, _Read]]] = defaultdict(list)
    for (scope, k, version_id, page, _visit), read in reads.items():
        grouped[scope, k, version_id].append((int(page), read))
    for (scope, k, version_id), found in grouped.items():
        row = _page_row(found, inp.versions.get(version_id), tu)
        out[scope]["pages"].append({"k": k, "version_id": version_id, **row})


def _people(
    reads: dict[tuple[Any, ...], _Read],
    inp: DetailInputs,
    opp: str,
    tu: _Tuning,
    out: dict[ScopeKind, Rows],
) -> None:
    # (person, link, contact, fwd, read_at, meet_at) per scope key, as `_people_sql` unions
    # the reads with the meetings' attendees
    rows: dict[tuple[ScopeKind, str, str], list[tuple[str, str, int, datetime, datetime]]] = (
        defaultdict(list)
    )
    for (scope, k, *_), read in reads.items():
        own = read.person[2:] if read.person.startswith("c:") else ""
        rows[scope, k, read.person].append((read.link, own, read.fwd, read.at, _EPOCH))
    for a in inp.activities:
        if a["activity_type"] != "meeting" or _ms(a["occurred_at"]) > tu.now_ms:
            continue
        for attendee in a["attendees"] or ():
            if attendee:
                key = (ScopeKind.OPPORTUNITY, opp, f"c:{attendee}")
                rows[key].append(("", attendee, 0, _EPOCH, _utc(a["occurred_at"])))
    for (scope, k, person), found in rows.items():
        contact: dict[str, Any] = inp.contacts.get(found[0][1], {}) if found[0][1] else {}
        newest = max(found, key=lambda x: x[3])
        link: dict[str, Any] = inp.links.get(newest[0], {})
        out[scope]["people"].append({
            "k": k, "person": person, "opportunity_id": opp, "contact_id": found[0][1],
            "forwarded": max(x[2] for x in found),
            "last_read_at": max(x[3] for x in found),
            "last_meeting_at": max(x[4] for x in found),
            "contact_name": contact.get("name", ""), "contact_email": contact.get("email", ""),
            "is_decision_maker": int(contact.get("is_decision_maker", 0)),
            "link_name": link.get("recipient_name", ""),
            "link_email": link.get("recipient_email", ""),
        })  # fmt: skip


def _visits(inp: DetailInputs, opp: str, tu: _Tuning, out: dict[ScopeKind, Rows]) -> None:
    spans: dict[tuple[ScopeKind, str, str, str], list[datetime]] = {}
    for r in inp.rollup:
        if not r["visit_events"] or not r["visit_id"]:
            continue
        for scope, k in _scopes(r, opp):
            start, end = _utc(r["visit_start"]), _utc(r["visit_end"])
            span = spans.setdefault((scope, k, r["person"], r["visit_id"]), [start, end])
            span[0], span[1] = min(span[0], start), max(span[1], end)
    people: dict[tuple[ScopeKind, str, str], list[tuple[int, int, datetime]]] = defaultdict(list)
    for (scope, k, person, _visit), (start, end) in spans.items():
        people[scope, k, person].append((_ms(start), _ms(end), start))
    totals: dict[tuple[ScopeKind, str], list[float]] = {}
    for (scope, k, _person), visits in people.items():
        visits.sort(key=lambda x: x[0])
        t = totals.setdefault((scope, k), [0, 0.0, 0])
        for i in range(1, len(visits)):
            if visits[i][0] - visits[i - 1][1] >= tu.gap_ms:
                t[0] += 1
                t[1] += tu.decay(visits[i][2], tu.doc_hl_ms)
        t[2] += len(visits)
    for (scope, k), (revisits, decayed, count) in totals.items():
        out[scope]["visits"].append(
            {"k": k, "revisits": int(revisits), "revisits_decayed": decayed, "visits": int(count)}
        )


def _events(inp: DetailInputs, opp: str, tu: _Tuning, out: dict[ScopeKind, Rows]) -> None:
    keys: dict[tuple[ScopeKind, str], dict[str, Any]] = {}
    for r in inp.rollup:
        for scope, k in _scopes(r, opp):
            e = keys.setdefault((scope, k), {
                "k": k, "downloads": 0, "downloads_decayed": 0.0, "human_events": 0,
                "bot_events": 0, "last_event_at": _EPOCH, "last_received_at": _EPOCH,
            })  # fmt: skip
            e["downloads"] += int(r["downloads"])
            e["downloads_decayed"] += sum(tu.decay(d, tu.doc_hl_ms) for d in r["download_at"])
            e["human_events"] += int(r["human_events"])
            e["bot_events"] += int(r["bot_events"])
            e["last_event_at"] = max(e["last_event_at"], _utc(r["human_at"]))
            e["last_received_at"] = max(e["last_received_at"], _utc(r["last_at"]))
    for (scope, _k), row in keys.items():
        out[scope]["events"].append(row)


def _activities(inp: DetailInputs, opp: str, tu: _Tuning, out: dict[ScopeKind, Rows]) -> None:
    if not inp.activities:
        return
    held = [a for a in inp.activities if a["activity_type"] == "meeting"]
    meetings = [_utc(a["occurred_at"]) for a in held if _ms(a["occurred_at"]) <= tu.now_ms]
    out[ScopeKind.OPPORTUNITY]["activities"].append({
        "k": opp, "meetings": len(meetings),
        "meetings_decayed": sum(tu.decay(m, tu.meet_hl_ms) for m in meetings),
        "last_activity_at": max(_utc(a["occurred_at"]) for a in inp.activities),
        "last_received_at": max(_utc(a["received_at"]) for a in inp.activities),
    })  # fmt: skip


def detail_rows(
    inp: DetailInputs, opportunity_id: str, now: datetime, tuning: ScoringSettings
) -> dict[ScopeKind, Rows] | None:
    """Rows per scope and query name, or None when the rollup cannot answer as of `now`."""
    tu = _Tuning.of(now, tuning)
    # the raw queries keep events received up to `now` in whole milliseconds
    if any(_ms(r["last_at"]) > tu.now_ms for r in inp.rollup):
        return None
    out: dict[ScopeKind, Rows] = {
        s: {name: [] for name in ("pages", "people", "visits", "events", "activities")}
        for s in ScopeKind
    }
    reads = _reads(inp, opportunity_id, tu)
    _pages(reads, inp, tu, out)
    _people(reads, inp, opportunity_id, tu, out)
    _visits(inp, opportunity_id, tu, out)
    _events(inp, opportunity_id, tu, out)
    _activities(inp, opportunity_id, tu, out)
    return out
