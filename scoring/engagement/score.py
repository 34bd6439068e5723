"""Engagement score = Σ weighted components, each 0–1, scaled to 0–100.

    component        value (decayed)                              undecayed
    depth            best document's read depth                   same on raw dwell
    breadth          min(Σ_people 2^(−age/hl) / target_people, 1) min(people / target, 1)
    decision_maker   max over decision-makers of 2^(−age/hl)      1 if any engaged
    revisit          min(Σ 2^(−age/7d) over revisits / target, 1) min(revisits / target, 1)
    pricing          min(pricing share / target share, 1) × 2^(−age of last pricing read/7d)
    download         min(Σ 2^(−age/7d) over downloads / target, 1) min(downloads / target, 1)
    meeting          min(Σ 2^(−age/14d) over meetings / target, 1) min(meetings / target, 1)
    tag:<name>       a tenant's page tag (`engagement.page_tags`, e.g. competitor_comparison):
                     min(tag share / its target, 1) × 2^(−age of its last read/7d)

People age with the document half-life (7 d) for reading and the meeting half-life (14 d) for
meetings, whichever is fresher. `meeting` applies to opportunities only and `pricing` only
when a read document has pages tagged `pricing` (a tenant tag likewise only when a read
document has pages with it); the weights of what applies are rescaled to
100. Explanations add up: value + fading loss + Σ shortfalls = 100, where the fading loss is
Σ points × (undecayed − decayed) and a component's shortfall is its points × (1 − undecayed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from scoring.engagement.repository import ScopeKind
from scoring.engagement.signals import Signals, decay
from scoring.engagement.wording import negative_summary, positive_summary, when
from scoring.model import (
    Band,
    Component,
    EngagedPerson,
    Factor,
    Freshness,
    Notice,
    Score,
    Sufficiency,
    SufficiencyLevel,
)
from tracker.config import ScoringSettings

__all__ = ["ValueInputs", "band_of", "score_signals", "score_value", "value_of"]

_STALE_DAYS = 30


def band_of(value: float, tuning: ScoringSettings) -> Band:
    if value >= tuning.engagement.hot_threshold:
        return Band.HOT
    return Band.WARM if value >= tuning.engagement.warm_threshold else Band.COLD


def _cap(x: float) -> float:
    return max(0.0, min(x, 1.0))


@dataclass(frozen=True)
class ValueInputs:
    """What a score's components are computed from: `Signals` reduced to numbers (the value
    alone is computed from these without building the signals, `scoring.engagement.values`)."""

    depth: float = 0.0  # the best version's (`Signals.best_version`)
    depth_raw: float = 0.0
    weights: Sequence[float] = ()  # every person's freshness (`Person.weight`), person order
    decision_makers: Sequence[float] = ()  # the decision-makers' among them
    revisits: int = 0
    revisits_decayed: float = 0.0
    downloads: int = 0
    downloads_decayed: float = 0.0
    meetings: int = 0
    meetings_decayed: float = 0.0
    pricing: tuple[float, float] | None = None  # share, decay of the last pricing read
    tags: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # likewise per tag


def _inputs(s: Signals, now: datetime, t: ScoringSettings) -> ValueInputs:
    doc_hl, meet_hl = t.engagement.document_half_life_days, t.engagement.meeting_half_life_days
    best = s.best_version
    weights = {p.person: p.weight(now, doc_hl, meet_hl) for p in s.people}
    pricing = None
    if any(v.has_pricing for v in s.versions):
        last = max((v.pricing_last_at for v in s.versions if v.pricing_last_at), default=None)
        pricing = (_pricing_share(s), decay(last, now, doc_hl))
    tags = {}
    for tag in t.engagement.page_tags:
        if any(tag in v.tags for v in s.versions):
            times = [v.tag_last_at[tag] for v in s.versions if tag in v.tag_last_at]
            tags[tag] = (s.tag_share(tag), decay(max(times, default=None), now, doc_hl))
    return ValueInputs(
        depth=best.depth if best else 0.0,
        depth_raw=best.depth_raw if best else 0.0,
        weights=list(weights.values()),
        decision_makers=[weights[p.person] for p in s.people if p.is_decision_maker],
        revisits=s.revisits,
        revisits_decayed=s.revisits_decayed,
        downloads=s.downloads,
        downloads_decayed=s.downloads_decayed,
        meetings=s.meetings,
        meetings_decayed=s.meetings_decayed,
        pricing=pricing,
        tags=tags,
    )


def _components(
    v: ValueInputs, scope: ScopeKind, t: ScoringSettings
) -> dict[str, tuple[float, float, float]]:
    """name → (weight, decayed value, undecayed value) for the components that apply."""
    dms = v.decision_makers
    out = {
        "depth": (t.engagement.weight_depth, v.depth, v.depth_raw),
        "breadth": (
            t.engagement.weight_breadth,
            _cap(sum(v.weights) / t.engagement.breadth_target_people),
            _cap(len(v.weights) / t.engagement.breadth_target_people),
        ),
        "decision_maker": (
            t.engagement.weight_decision_maker,
            max(dms, default=0.0),
            1.0 if dms else 0.0,
        ),
        "revisit": (
            t.engagement.weight_revisit,
            _cap(v.revisits_decayed / t.engagement.revisit_target),
            _cap(v.revisits / t.engagement.revisit_target),
        ),
        "download": (
            t.engagement.weight_download,
            _cap(v.downloads_decayed / t.engagement.download_target),
            _cap(v.downloads / t.engagement.download_target),
        ),
    }
    if v.pricing is not None:
        share, fade = v.pricing
        raw = _cap(share / t.engagement.pricing_share_target)
        out["pricing"] = (t.engagement.weight_pricing, raw * fade, raw)
    for tag, tw in sorted(t.engagement.page_tags.items()):
        if tag in v.tags:
            share, fade = v.tags[tag]
            raw = _cap(share / tw.share_target)
            out[f"tag:{tag}"] = (tw.weight, raw * fade, raw)
    if scope is ScopeKind.OPPORTUNITY:
        out["meeting"] = (
            t.engagement.weight_meeting,
            _cap(v.meetings_decayed / t.engagement.meeting_target),
            _cap(v.meetings / t.engagement.meeting_target),
        )
    return out


def _pricing_share(s: Signals) -> float:
    dwell = s.dwell_ms
    return sum(v.pricing_ms for v in s.versions) / dwell if dwell else 0.0


def _sufficiency(s: Signals, t: ScoringSettings) -> Sufficiency:
    dwell_s = s.dwell_ms / 1000.0
    if s.human_events == 0 and s.meetings == 0:
        level = SufficiencyLevel.NONE
    elif dwell_s < t.engagement.sufficient_dwell_seconds and s.meetings == 0:
        level = SufficiencyLevel.LOW
    else:
        level = SufficiencyLevel.OK
    return Sufficiency(
        level=level,
        human_events=s.human_events,
        bot_events=s.bot_events,
        dwell_seconds=round(dwell_s, 1),
        people=len(s.people),
        meetings=s.meetings,
    )


def _warnings(s: Signals, sufficiency: Sufficiency, now: datetime) -> list[Notice]:
    notes: list[Notice] = []
    if sufficiency.level is SufficiencyLevel.NONE:
        notes.append(Notice(code="no_engagement", message="No buyer activity recorded yet."))
    elif sufficiency.level is SufficiencyLevel.LOW:
        notes.append(
            Notice(
                code="little_data",
                message=f"Only {sufficiency.dwell_seconds:g} s of reading so far; "
                "treat this score as a first impression.",
            )
        )
    if s.bot_events:
        notes.append(
            Notice(
                code="bot_events_excluded",
                message=f"{s.bot_events} events from automated clients (link scanners, "
                "previews, bots) were ignored.",
            )
        )
    unknown = [v.version_id for v in s.versions if not v.known]
    if unknown:
        notes.append(
            Notice(
                code="unknown_document_version",
                message=f"Page word counts unknown for {len(unknown)} document version(s); "
                "reading depth assumes the minimum time per page.",
            )
        )
    if s.versions and not any(v.has_pricing for v in s.versions):
        notes.append(
            Notice(
                code="no_pricing_pages",
                message="No read document has pages tagged `pricing`; pricing focus is not scored.",
            )
        )
    last = max((t for t in (s.last_event_at, s.last_activity_at) if t), default=None)
    if last is not None and (now - last).days >= _STALE_DAYS:
        notes.append(
            Notice(code="stale", message=f"The newest buyer activity was {when(last, now)}.")
        )
    return notes


def _value(parts: dict[str, tuple[float, float, float]]) -> tuple[float, float]:
    """(scale, value): the weights rescaled to 100 points, and the 0–100 value."""
    scale = 100.0 / sum(w for w, _, _ in parts.values())
    return scale, round(min(sum(w * scale * v for w, v, _ in parts.values()), 100.0), 1)


def score_value(s: Signals, scope: ScopeKind, now: datetime, tuning: ScoringSettings) -> float:
    """The value `score_signals` gives, without its factors, people and evidence."""
    return value_of(_inputs(s, now, tuning), scope, tuning)


def value_of(inputs: ValueInputs, scope: ScopeKind, tuning: ScoringSettings) -> float:
    """The value of the score with these inputs: what the health assessment reads of 10 000
    scores (building each whole Score was most of the engagement part's Python)."""
    return _value(_components(inputs, scope, tuning))[1]


def score_signals(
    s: Signals,
    scope: ScopeKind,
    now: datetime,
    tuning: ScoringSettings,
    *,
    label: str = "",
    people_limit: int = 20,
) -> Score:
    parts = _components(_inputs(s, now, tuning), scope, tuning)
    scale, value = _value(parts)
    components = {
        name: Component(
            value=round(v, 4),
            undecayed=round(raw, 4),
            points=round(w * scale * v, 2),
            max_points=round(w * scale, 2),
        )
        for name, (w, v, raw) in parts.items()
    }
    positives = [
        Factor(code=code, summary=summary, contribution=c.points)
        for name, c in components.items()
        if c.points >= 0.5
        for code, summary in [positive_summary(name, s, now)]
    ]
    fading = sum(w * scale * (raw - v) for w, v, raw in parts.values())
    negatives = [
        Factor(code=code, summary=summary, contribution=-round(w * scale * (1 - raw), 2))
        for name, (w, _, raw) in parts.items()
        if w * scale * (1 - raw) >= 0.5
        for code, summary in [negative_summary(name, s, now)]
    ]
    if fading >= 0.5:
        negatives.append(
            Factor(
                code="engagement_fading",
                summary=negative_summary("fading", s, now)[1],
                contribution=-round(fading, 2),
            )
        )
    sufficiency = _sufficiency(s, tuning)
    doc_hl, meet_hl = (
        tuning.engagement.document_half_life_days,
        tuning.engagement.meeting_half_life_days,
    )
    people = sorted(s.people, key=lambda p: -p.weight(now, doc_hl, meet_hl))[:people_limit]
    best = s.best_version
    return Score(
        scope=scope.name.lower(),
        key=s.key,
        label=label,
        value=value,
        band=band_of(value, tuning),
        top_positive=sorted(positives, key=lambda f: -f.contribution)[:3],
        top_negative=sorted(negatives, key=lambda f: f.contribution)[:3],
        warnings=_warnings(s, sufficiency, now),
        components=components,
        people=[
            EngagedPerson(
                person=p.person,
                name=p.name,
                email=p.email,
                is_decision_maker=p.is_decision_maker,
                forwarded=p.forwarded,
                last_engaged_at=p.last_engaged_at,
            )
            for p in people
        ],
        visits=s.visits,
        revisits=s.revisits,
        downloads=s.downloads,
        pricing_focus=round(_pricing_share(s), 4),
        depth=round(best.depth if best else 0.0, 4),
        freshness=Freshness(
            last_event_at=s.last_event_at, last_activity_at=s.last_activity_at, data_as_of=now
        ),
        sufficiency=sufficiency,
        scored_at=now,
    )
