"""近期密集查阅竞品页面 — one person of the deal reading pages with a warning tag intensively:
"陈静 (CFO) read the competitor comparison pages 3 times in 7 days".

A warning tag is a tenant page tag (`engagement.page_tags`) with a `risk_penalty`; reading it
intensively is at least `early_warning.tag_reads` visits with a read page carrying it within
`tag_window_days` (`scoring.engagement.tag_reads_repository`). Per tag, the person with the
most such visits is named (one story per tag, one penalty: the tag's `risk_penalty`, lost by
the risk pillar while it holds); the reads are the proof.

`topic` is the tag's meaning as the tenant wrote it (else its name); readers with a catalog
label for the tag (`tag.<name>`) see that instead."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from scoring.engagement.tag_reads_repository import TagReads
from scoring.health.features import OpportunityFeatures
from scoring.health.risk_signals import RiskSignal
from tracker.scoring_settings import EarlyWarningSettings, PageTagWeight

__all__ = ["CODE", "tag_interest_signals"]

CODE = "page_interest"


def _topic(tag: str, weight: PageTagWeight) -> str:
    return weight.meaning.strip() or tag.replace("_", " ")


def tag_interest_signals(
    f: OpportunityFeatures,
    reads: Sequence[TagReads],
    tags: Mapping[str, PageTagWeight],
    settings: EarlyWarningSettings,
) -> list[RiskSignal]:
    found: list[RiskSignal] = []
    for tag in sorted(t for t, w in tags.items() if w.risk_penalty > 0):
        mine = [r for r in reads if r.tag == tag and r.visits >= settings.tag_reads]
        if not mine:
            continue
        top = max(mine, key=lambda r: (r.visits, r.last_at, r.person))
        person = f.person(top.person)
        name = person.name if person is not None else top.person
        role = person.role if person is not None else ""
        who = f"{name} ({role})" if role else name
        topic, days = _topic(tag, tags[tag]), f"{settings.tag_window_days:g}"
        found.append(
            RiskSignal(
                code=CODE,
                params={
                    "who": who,
                    "tag": tag,
                    "topic": topic,
                    "count": top.visits,
                    "days": days,
                    "at": top.last_at.isoformat(),
                },
                summary=f"{who} read the {topic} pages {top.visits} times in {days} days",
                penalty=tags[tag].risk_penalty,
                event_ids=list(top.event_ids),
                person=top.person,
            )
        )
    return found
