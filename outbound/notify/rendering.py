"""One notification event's facts → the `Message` a person reads, in their language. The
phrases live in `outbound.notify.messages`; the daily briefing's layout in
`outbound.notify.digests` (the daily briefing and the weekly process report)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from outbound.notify.digests import (
    briefing_message,
    forecast_report_message,
    process_report_message,
)
from outbound.notify.messages import LOCALES, Line, Message, duration, has, text
from outbound.notify.phrases import action_text, band_name, reason_text, signal_text

__all__ = ["render"]


def render(locale: str, event: str, facts: dict[str, Any]) -> Message:
    """Title and lines for one event's facts (see `outbound.notify.events` for the keys)."""
    loc = locale if locale in LOCALES else "en"
    f = {k: str(v) for k, v in facts.items() if isinstance(v, str | int | float)}
    lines: list[Line] = []
    if event == "document.viewed":
        title = text(loc, "viewed", recipient=f["recipient_name"], document=f["document_title"])
        span = duration(loc, float(f.get("read_seconds", 0)))
        value = text(loc, "read_value", duration=span, pages=f.get("read_pages", 0))
        lines.append(Line(value, text(loc, "read_time")))
    elif event == "link.downloaded":
        title = text(loc, "downloaded", recipient=f["recipient_name"], document=f["document_title"])
    elif event == "link.forwarded":
        title = text(loc, "forwarded", document=f["document_title"])
        lines.append(Line(f["recipient_name"], text(loc, "forwarded_from")))
    elif event == "opportunity.stalled":
        title = text(loc, "stalled", account=f["account"])
        lines.append(Line(f.get("owner_name", ""), text(loc, "owner")))
        zone = ZoneInfo(str(facts.get("time_zone") or "UTC"))
        for reason in facts.get("reasons") or []:
            lines.append(Line(reason_text(loc, reason, zone), text(loc, "reason")))
        if f.get("manager_name"):
            lines.append(Line(text(loc, "todo_added", manager=f["manager_name"])))
    elif event == "health.red":
        title = text(loc, "health_red", account=f["account"])
        previous = band_name(loc, str(facts.get("previous_band", "")))
        value = text(loc, "health_value_fmt", value=f.get("value", ""), previous=previous)
        lines.append(Line(value, text(loc, "health_value")))
        now = datetime.fromisoformat(str(facts.get("now") or datetime.now(UTC).isoformat()))
        for n, action in enumerate(facts.get("actions", [])[:3], 1):
            label = text(loc, "next_actions") if n == 1 else ""
            lines.append(Line(f"{n}. {action_text(loc, action, now)}", label))
    elif event == "customer.unanswered":
        title = text(loc, "unanswered", account=f["account"])
        lines.append(Line(f.get("owner_name", ""), text(loc, "owner")))
        signal = dict(facts.get("signal") or {})
        lines.append(Line(signal_text(loc, signal), text(loc, "reason")))
        if facts.get("level") == "manager":
            lines.append(
                Line(text(loc, "unanswered_escalated", manager_hours=f.get("manager_hours", "")))
            )
    elif event.startswith("account."):
        title, lines = _account(loc, event, facts, f)
    elif event == "briefing.daily":
        return briefing_message(loc, facts)
    elif event == "report.process_weekly":
        return process_report_message(loc, facts)
    elif event == "report.forecast_monthly":
        return forecast_report_message(loc, facts)
    else:
        raise ValueError(f"unknown notification event {event!r}")
    if f.get("account") and event.startswith(("document", "link")):
        lines.append(Line(str(f["account"]), text(loc, "account")))
    return Message(title=title, lines=lines, locale=loc)


def _account(
    loc: str, event: str, facts: dict[str, Any], f: dict[str, str]
) -> tuple[str, list[Line]]:
    """The band actions' messages (account.nurture / joint_visit / escalated)."""
    lines: list[Line] = []
    if event == "account.nurture":
        title = text(loc, "account_nurture", account=f["account"])
        lines.append(Line(text(loc, "account_nurture_send", contacts=f.get("contacts", 0))))
        titles = [str(t) for t in facts.get("documents", [])]
        if titles:
            lines.append(Line("、".join(titles) if loc == "zh_CN" else ", ".join(titles),
                              text(loc, "documents")))  # fmt: skip
    elif event == "account.joint_visit":
        title = text(loc, "account_joint_visit", account=f["account"])
    elif event == "account.escalated":
        title = text(loc, "account_escalated", account=f["account"])
        lines.append(Line(str(f.get("value", "")), text(loc, "health_value")))
        for code, score in facts.get("weakest", [])[:3]:
            part = text(loc, f"part.{code}") if has(f"part.{code}") else str(code)
            label = text(loc, "account_part", part=part, score=round(float(score)))
            lines.append(Line(label, text(loc, "reason")))
        lines.append(Line(text(loc, "account_frozen")))
    else:
        raise ValueError(f"unknown notification event {event!r}")
    if f.get("due"):
        lines.append(Line(f["due"], text(loc, "due")))
    return title, lines
