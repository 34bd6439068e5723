"""Per-key engagement signals, assembled from the aggregation rows of
`scoring.engagement.repository` (per version, per person and per key rows — never raw events)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

__all__ = ["Person", "Signals", "VersionRead", "collect_signals", "decay", "real_time"]

_EPOCH_FLOOR = datetime(2000, 1, 1, tzinfo=UTC)
T = TypeVar("T")


def real_time(value: Any) -> datetime | None:
    """ClickHouse returns the epoch for "no value" (maxIf over nothing); map it to None."""
    if not isinstance(value, datetime):
        return None
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value if value >= _EPOCH_FLOOR else None


def decay(at: datetime | None, now: datetime, half_life_days: float) -> float:
    """2^(−age / half-life); 0 for "never"; events in the future count as now."""
    if at is None:
        return 0.0
    age_days = max((now - at).total_seconds(), 0.0) / 86_400.0
    return float(2.0 ** (-age_days / half_life_days))


@dataclass(frozen=True)
class VersionRead:
    version_id: str
    title: str
    revision: int
    known: bool
    depth: float
    depth_raw: float
    dwell_ms: int
    pricing_ms: int
    has_pricing: bool
    pricing_last_at: datetime | None
    tags: frozenset[str] = frozenset()  # every tag on the version's pages
    tag_ms: Mapping[str, int] = field(default_factory=dict)  # reading time per tag
    tag_last_at: Mapping[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class Person:
    person: str
    name: str
    email: str
    is_decision_maker: bool
    forwarded: bool
    last_read_at: datetime | None
    last_meeting_at: datetime | None

    @property
    def last_engaged_at(self) -> datetime:
        times = [t for t in (self.last_read_at, self.last_meeting_at) if t is not None]
        return max(times) if times else _EPOCH_FLOOR

    def weight(self, now: datetime, doc_half_life: float, meeting_half_life: float) -> float:
        return max(
            decay(self.last_read_at, now, doc_half_life),
            decay(self.last_meeting_at, now, meeting_half_life),
        )


@dataclass
class Signals:
    key: str
    versions: list[VersionRead] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    visits: int = 0
    revisits: int = 0
    revisits_decayed: float = 0.0
    downloads: int = 0
    downloads_decayed: float = 0.0
    meetings: int = 0
    meetings_decayed: float = 0.0
    human_events: int = 0
    bot_events: int = 0
    last_event_at: datetime | None = None
    last_activity_at: datetime | None = None

    @property
    def dwell_ms(self) -> int:
        return sum(v.dwell_ms for v in self.versions)

    def tag_share(self, tag: str) -> float:
        """The share of the reading time spent on pages with one of the tenant's tags."""
        dwell = self.dwell_ms
        return sum(v.tag_ms.get(tag, 0) for v in self.versions) / dwell if dwell else 0.0

    @property
    def best_version(self) -> VersionRead | None:
        return max(self.versions, key=lambda v: (v.depth, v.depth_raw), default=None)


def _person(row: dict[str, Any]) -> Person:
    forwarded = bool(row["forwarded"])
    name = row["contact_name"] or ("" if forwarded else row["link_name"])
    email = row["contact_email"] or ("" if forwarded else row["link_email"])
    if forwarded:
        sender = row["link_name"] or row["link_email"] or "a recipient"
        name = f"someone {sender} forwarded to"
    return Person(
        person=row["person"],
        name=name or email or row["person"],
        email=email,
        is_decision_maker=bool(row["is_decision_maker"]),
        forwarded=forwarded,
        last_read_at=real_time(row["last_read_at"]),
        last_meeting_at=real_time(row["last_meeting_at"]),
    )


def _from_seconds(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value), UTC)


def _tag_map(value: Any, convert: Callable[[Any], T]) -> dict[str, T]:
    """ClickHouse's sumMap/maxMap tuple (keys, values) as a dict."""
    if not value:
        return {}
    keys, values = list(value.values()) if isinstance(value, dict) else list(value)
    return {str(k): convert(v) for k, v in zip(keys, values, strict=True)}


def collect_signals(rows: dict[str, list[dict[str, Any]]]) -> dict[str, Signals]:
    found: dict[str, Signals] = {}

    def of(key: str) -> Signals:
        return found.setdefault(key, Signals(key))

    for r in rows["pages"]:
        of(r["k"]).versions.append(
            VersionRead(
                version_id=r["version_id"],
                title=r["title"] or "",
                revision=int(r["revision"] or 0),
                known=bool(r["known"]),
                depth=min(float(r["depth"]), 1.0),
                depth_raw=min(float(r["depth_raw"]), 1.0),
                dwell_ms=int(r["dwell_ms"]),
                pricing_ms=int(r["pricing_ms"]),
                has_pricing=bool(r["has_pricing"]),
                pricing_last_at=real_time(r["pricing_last_at"]),
                tags=frozenset(r.get("tags") or ()),
                tag_ms=_tag_map(r.get("tag_dwell"), int),
                tag_last_at=_tag_map(r.get("tag_last"), _from_seconds),
            )
        )
    for r in rows["people"]:
        of(r["k"]).people.append(_person(r))
    for r in rows["visits"]:
        s = of(r["k"])
        s.visits, s.revisits = int(r["visits"]), int(r["revisits"])
        s.revisits_decayed = float(r["revisits_decayed"])
    for r in rows["events"]:
        s = of(r["k"])
        s.downloads, s.downloads_decayed = int(r["downloads"]), float(r["downloads_decayed"])
        s.human_events, s.bot_events = int(r["human_events"]), int(r["bot_events"])
        s.last_event_at = real_time(r["last_event_at"])
    for r in rows["activities"]:
        s = of(r["k"])
        s.meetings, s.meetings_decayed = int(r["meetings"]), float(r["meetings_decayed"])
        s.last_activity_at = real_time(r["last_activity_at"])
    for s in found.values():
        # ClickHouse returns GROUP BY rows in no defined order, and every later ranking is a
        # stable sort: a fixed order here decides ties (equally fresh people, equally read
        # versions) the same way on every engine, version and query shape.
        s.versions.sort(key=lambda v: v.version_id)
        s.people.sort(key=lambda p: p.person)
    return found
