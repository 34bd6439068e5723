"""The daily 客户健康简报 wired to scoring: the `BriefingSource` `api.workers` hands to the
briefing job. Per deal needing attention (`scoring.briefing_deals`): the last interaction as
a sentence, the 30-day health trend (drawn in text on every channel, with a link to the
deal's page) and exactly three ranked actions, each naming a person, a document or content
and a deadline — all as codes plus parameters, worded in the rep's language by
`outbound.notify`."""

from __future__ import annotations

import asyncio
from datetime import datetime

from outbound.notify import BriefingDeal, BriefingSource
from scoring import DealBriefing, briefing_deals
from tracker.config import Settings
from tracker.stores import ClickHouse

__all__ = ["briefing_deal", "scoring_briefing_source"]

_TREND_POINTS = 5.0  # health points between the first and last day that make a trend


def _direction(points: list[float]) -> str:
    if len(points) < 2:
        return "new"
    delta = points[-1] - points[0]
    return "up" if delta >= _TREND_POINTS else "down" if delta <= -_TREND_POINTS else "flat"


def briefing_deal(d: DealBriefing, base_url: str) -> BriefingDeal:
    touch = {"code": d.touch[0], "params": d.touch[1]} if d.touch else {}
    at = d.touch[1].get("at") if d.touch else None
    return BriefingDeal(
        opportunity_id=d.opportunity_id,
        account=d.account,
        last_at=datetime.fromisoformat(str(at)) if at else None,
        last_kind="touch",
        trend=_direction(d.trend),
        band=d.band,
        actions=[
            a.model_dump(include={"code", "params", "text", "due_within_hours"})
            for a in d.actions[:3]
        ],
        touch=touch,
        trend_points=list(d.trend),
        link=f"{base_url.rstrip('/')}/app/deals/{d.opportunity_id}",
        signals=[s.model_dump(include={"code", "params", "summary"}) for s in d.signals],
    )


def scoring_briefing_source(ch: ClickHouse, settings: Settings) -> BriefingSource:
    async def source(tenant_id: str, owner: str, now: datetime) -> list[BriefingDeal]:
        deals = await asyncio.to_thread(
            briefing_deals, ch, settings, tenant_id, owner, now,
            limit=settings.notify.briefing_max_deals,
        )  # fmt: skip
        return [briefing_deal(d, settings.public_base_url) for d in deals]

    return source
