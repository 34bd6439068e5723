"""The daily customer-health briefing as a `Message`: per deal the last interaction, the
health trend and three next actions. Facts come from `outbound.notify.briefing`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from outbound.notify.messages import Line, Message, text, when
from outbound.notify.phrases import action_text, band_name

__all__ = ["briefing_message"]


def _touch(locale: str, deal: dict[str, Any], now: datetime) -> str:
    at = deal.get("last_at")
    if not at:
        return text(locale, "no_touch")
    kind = str(deal.get("last_kind", "view"))
    what = (
        text(locale, "touch.activity", kind=kind.partition(":")[2])
        if kind.startswith("activity:")
        else text(locale, "touch.view")
        if kind == "view"
        else kind
    )
    return f"{when(locale, datetime.fromisoformat(str(at)), now)} · {what}"


def briefing_message(locale: str, facts: dict[str, Any]) -> Message:
    now = datetime.fromisoformat(str(facts["now"]))
    title = text(locale, "briefing", name=facts["name"], date=facts["date"])
    lines: list[Line] = []
    deals: list[dict[str, Any]] = facts.get("deals", [])
    if not deals:
        lines.append(Line(text(locale, "briefing_empty")))
    for deal in deals:
        trend = text(locale, f"trend.{deal.get('trend', 'new')}")
        if deal.get("band"):
            trend += " · " + band_name(locale, str(deal["band"]))
        lines.append(Line("", str(deal["account"])))
        lines.append(Line(_touch(locale, deal, now), text(locale, "last_touch"), indent=1))
        lines.append(Line(trend, text(locale, "trend"), indent=1))
        actions = [action_text(locale, a, now) for a in deal.get("actions", [])[:3]]
        for n, action in enumerate(actions, 1):
            label = text(locale, "next_actions") if n == 1 else ""
            lines.append(Line(f"{n}. {action}", label, indent=1))
    return Message(title=title, lines=lines, locale=locale)
