"""Plain-language factor summaries (names are shown as the CRM sent them, e.g. 王总)."""

from __future__ import annotations

from datetime import datetime

from scoring.engagement.repository import ScopeKind
from scoring.engagement.signals import Person, Signals, VersionRead

__all__ = ["label_of", "negative_summary", "people_phrase", "positive_summary", "when"]


def when(at: datetime, now: datetime) -> str:
    seconds = (now - at).total_seconds()
    if seconds < 3600:
        return "within the last hour"
    if seconds < 86_400:
        hours = int(seconds // 3600)
        return f"{hours} hour{'s' if hours > 1 else ''} ago"
    days = int(seconds // 86_400)
    return "yesterday" if days == 1 else f"{days} days ago"


def _doc(v: VersionRead) -> str:
    title = v.title or "an untitled document"
    return f"{title} (v{v.revision})" if v.revision else title


def label_of(s: Signals, scope: ScopeKind) -> str:
    """What a person would call the scored thing: the recipient's name, the document."""
    if scope is ScopeKind.RECIPIENT:
        own = [p for p in s.people if not p.forwarded]
        return own[0].name if own else ""
    if scope is ScopeKind.DOCUMENT_VERSION and s.versions:
        return _doc(s.versions[0])
    return ""


def people_phrase(people: list[Person], limit: int = 2) -> str:
    ranked = sorted(people, key=lambda p: (p.forwarded, -p.last_engaged_at.timestamp()))
    names = [p.name for p in ranked[:limit]]
    rest = len(ranked) - limit
    if rest > 0:
        names.append(f"{rest} more")
    return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]


def _last(s: Signals) -> datetime | None:
    times = [t for t in (s.last_event_at, s.last_activity_at) if t is not None]
    return max(times) if times else None


def positive_summary(name: str, s: Signals, now: datetime) -> tuple[str, str]:
    best = s.best_version
    if name == "depth" and best is not None:
        return "document_depth", f"{_doc(best)} read to {best.depth_raw:.0%} depth"
    if name == "breadth":
        forwards = sum(p.forwarded for p in s.people)
        extra = f" ({forwards} via a forward)" if forwards else ""
        n = len(s.people)
        return "broad_engagement", (
            f"{n} {'person' if n == 1 else 'people'} engaged{extra}: {people_phrase(s.people)}"
        )
    if name == "decision_maker":
        dms = [p for p in s.people if p.is_decision_maker]
        latest = max(dms, key=lambda p: p.last_engaged_at)
        return "decision_maker_engaged", (
            f"Decision-maker {latest.name} engaged {when(latest.last_engaged_at, now)}"
        )
    if name == "revisit":
        return "revisits", (
            f"{s.revisits} return visit{'s' if s.revisits != 1 else ''} a day or more apart"
        )
    if name == "pricing":
        share = sum(v.pricing_ms for v in s.versions) / max(s.dwell_ms, 1)
        return "pricing_focus", f"{share:.0%} of reading time spent on pricing pages"
    if name.startswith("tag:"):
        tag = name.removeprefix("tag:")
        return "page_tag_read", f"{s.tag_share(tag):.0%} of reading time on {tag} pages"
    if name == "download":
        times = f"{s.downloads} time{'s' if s.downloads != 1 else ''}"
        return "downloaded", f"Documents downloaded {times}"
    if name == "meeting":
        last = f", the last {when(s.last_activity_at, now)}" if s.last_activity_at else ""
        return "meetings", f"{s.meetings} meeting{'s' if s.meetings != 1 else ''} logged{last}"
    return name, name


def negative_summary(name: str, s: Signals, now: datetime) -> tuple[str, str]:
    best = s.best_version
    if name == "depth":
        if best is None:
            return "not_read", "Nobody has read the documents yet"
        return "shallow_reading", f"{_doc(best)} is only {best.depth_raw:.0%} read"
    if name == "breadth":
        if not s.people:
            return "no_one_engaged", "No one on the buyer side has engaged"
        if len(s.people) == 1:
            return "single_threaded", f"Only {s.people[0].name} has engaged (single-threaded)"
        return "few_people", f"Only {len(s.people)} people engaged"
    if name == "decision_maker":
        return "no_decision_maker", "No decision-maker has engaged yet"
    if name == "revisit":
        return "no_revisits", "Nobody came back to the documents a day or more later"
    if name == "pricing":
        share = sum(v.pricing_ms for v in s.versions) / max(s.dwell_ms, 1)
        return "pricing_skipped", f"Pricing pages got little attention ({share:.0%} of reading)"
    if name.startswith("tag:"):
        tag = name.removeprefix("tag:")
        return "page_tag_skipped", f"{tag} pages got little attention ({s.tag_share(tag):.0%})"
    if name == "download":
        return "no_downloads", "The documents were not downloaded"
    if name == "meeting":
        return "no_meetings", "No meetings logged in the CRM"
    if name == "fading":
        last = _last(s)
        ago = when(last, now) if last else "a while ago"
        return "engagement_fading", f"Engagement is fading: the last buyer activity was {ago}"
    return name, name
