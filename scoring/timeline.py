"""The opportunity timeline: who read what, when and for how long (per visit: the recipient,
pages with active dwell, glances marked), downloads, and the CRM's activities — the story a
rep reads before a call. Newest first; bots excluded."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from scoring.engagement.signals import real_time
from scoring.timeline_repository import timeline_downloads, timeline_visits
from tracker.config import ScoringSettings
from tracker.crm import (
    Activity,
    ActivityType,
    Stage,
    get_opportunity,
    list_activities,
    opportunity_exists,
)
from tracker.errors import NotFound
from tracker.reading import is_read
from tracker.scoring_settings import ReadingSettings
from tracker.stores import ClickHouse

__all__ = ["PageRead", "Timeline", "TimelineItem", "build_timeline"]


class PageRead(BaseModel):
    page: int
    seconds: float
    tags: list[str]
    glance: bool


class TimelinePerson(BaseModel):
    name: str
    email: str
    forwarded: bool
    viewer_id: str = ""


class TimelineDocument(BaseModel):
    document_id: str
    version_id: str
    title: str
    revision: int


class TimelineVisit(BaseModel):
    visit_id: str
    started_at: datetime
    ended_at: datetime
    active_seconds: float
    pages: list[PageRead]


class TimelineActivity(BaseModel):
    activity_id: str
    type: ActivityType
    customer_initiated: bool
    attendees: list[str]
    subject: str
    from_stage: Stage | None = Field(description="stage changes only; null otherwise")
    to_stage: Stage | None = Field(description="stage changes only; null otherwise")
    old_close_date: date | None
    new_close_date: date | None


class TimelineItem(BaseModel):
    kind: Literal["visit", "download", "activity"]
    at: datetime
    summary: str
    person: TimelinePerson | None = None
    document: TimelineDocument | None = None
    visit: TimelineVisit | None = None
    activity: TimelineActivity | None = None


class Timeline(BaseModel):
    opportunity_id: str
    items: list[TimelineItem]


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def _person(row: dict[str, Any]) -> TimelinePerson:
    recipient = row["recipient_name"] or row["recipient_email"] or "a recipient"
    forwarded = bool(row["forwarded"])
    name = f"someone {recipient} forwarded to" if forwarded else recipient
    email = "" if forwarded else row["recipient_email"] or ""
    return TimelinePerson(name=name, email=email, forwarded=forwarded, viewer_id=row["viewer_id"])


def _document(row: dict[str, Any]) -> TimelineDocument:
    return TimelineDocument(
        document_id=row["document_id"],
        version_id=row["version_id"],
        title=row["title"] or "an untitled document",
        revision=int(row["revision"] or 0),
    )


def _doc_name(doc: TimelineDocument) -> str:
    return f"{doc.title} (v{doc.revision})" if doc.revision else doc.title


def _pair(entry: Any) -> tuple[int, int]:
    """A (page, dwell) tuple: a dict of fields from Arrow, a tuple from clickhouse-connect."""
    page, dwell = entry.values() if isinstance(entry, dict) else entry
    return int(page), int(dwell)


def _visit_item(row: dict[str, Any], reading: ReadingSettings) -> TimelineItem:
    tags = row["page_tags"] or []
    pages = [
        PageRead(
            page=int(page),
            seconds=round(dwell / 1000.0, 1),
            tags=list(tags[page - 1]) if page <= len(tags) else [],
            glance=not is_read(dwell, reading),
        )
        for page, dwell in map(_pair, row["pages"])
    ]
    person, doc = _person(row), _document(row)
    read = [p for p in pages if not p.glance]
    seconds = row["dwell_ms"] / 1000.0
    if read:
        longest = max(read, key=lambda p: p.seconds)
        tag = f" ({', '.join(longest.tags)})" if longest.tags else ""
        listed = ", ".join(str(p.page) for p in read)
        summary = (
            f"{person.name} read {_doc_name(doc)} for {_duration(seconds)}: pages {listed}; "
            f"longest on page {longest.page}{tag}"
        )
    else:
        summary = f"{person.name} opened {_doc_name(doc)} but only glanced at it"
    return TimelineItem(
        kind="visit",
        at=row["started_at"],
        summary=summary,
        person=person,
        document=doc,
        visit=TimelineVisit(
            visit_id=row["visit_id"],
            started_at=row["started_at"],
            ended_at=row["ended_at"],
            active_seconds=round(seconds, 1),
            pages=pages,
        ),
    )


def _download_item(row: dict[str, Any]) -> TimelineItem:
    person, doc = _person(row), _document(row)
    return TimelineItem(
        kind="download",
        at=row["received_at"],
        summary=f"{person.name} downloaded {_doc_name(doc)}",
        person=person,
        document=doc,
    )


def _activity_summary(a: Activity, names: dict[str, str]) -> str:
    who = ", ".join(names.get(c, c) for c in a.attendees)
    subject = f": {a.subject}" if a.subject else ""
    if a.activity_type == "meeting":
        return f"Meeting{subject}" + (f" with {who}" if who else "")
    if a.activity_type in ("email", "call"):
        side = "from the customer" if a.customer_initiated else "to the customer"
        return f"{a.activity_type.capitalize()} {side}{subject}"
    if a.activity_type == "stage_change":
        return f"Stage changed: {a.from_stage or '?'} → {a.to_stage or '?'}"
    if a.activity_type == "close_date_change":
        return f"Close date moved: {a.old_close_date or '?'} → {a.new_close_date or '?'}"
    return f"Note{subject}"


def _activity_item(a: Activity, names: dict[str, str]) -> TimelineItem:
    return TimelineItem(
        kind="activity",
        at=a.occurred_at,
        summary=_activity_summary(a, names),
        activity=TimelineActivity(
            activity_id=a.activity_id,
            type=ActivityType(a.activity_type),
            customer_initiated=a.customer_initiated,
            attendees=list(a.attendees),
            subject=a.subject,
            from_stage=Stage(a.from_stage) if a.from_stage else None,
            to_stage=Stage(a.to_stage) if a.to_stage else None,
            old_close_date=a.old_close_date,
            new_close_date=a.new_close_date,
        ),
    )


def build_timeline(
    ch: ClickHouse, tenant_id: str, opportunity_id: str, tuning: ScoringSettings, *, limit: int
) -> Timeline:
    """Up to `limit` items of each kind, merged newest first and cut to `limit`."""
    if not opportunity_exists(ch, tenant_id, opportunity_id):
        raise NotFound("unknown opportunity", code="opportunity_not_found")
    visits = timeline_visits(ch, tenant_id, opportunity_id, limit)
    items = [_visit_item(r, tuning.reading) for r in visits]
    items += [_download_item(r) for r in timeline_downloads(ch, tenant_id, opportunity_id, limit)]
    try:
        contacts = get_opportunity(ch, tenant_id, opportunity_id).contacts
    except NotFound:
        contacts = ()
    names = {c.contact_id: c.name for c in contacts}
    activities = list_activities(ch, tenant_id, opportunity_id, limit=limit)
    items += [_activity_item(a, names) for a in activities]
    items = [i for i in items if real_time(i.at) is not None]
    items.sort(key=lambda i: i.at, reverse=True)
    return Timeline(opportunity_id=opportunity_id, items=items[:limit])
