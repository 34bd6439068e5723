"""The scheduled digests as `Message`s: the daily customer-health briefing (per deal the last
interaction, the health trend and three next actions; facts from `outbound.notify.briefing`)
and the weekly 《过程健康度报告》 (a team's stage stays, regression rate and high-value touch
density with their change from the week before; facts from `outbound.reports`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from outbound.notify.messages import Line, Message, has, text, when
from outbound.notify.phrases import action_text, band_name, signal_text, stage_name

__all__ = ["briefing_message", "forecast_report_message", "process_report_message"]


_BLOCKS = "▁▂▃▄▅▆▇█"


def spark(points: list[float]) -> str:
    """A health trend (0–100) drawn in text, readable on every channel."""
    return "".join(_BLOCKS[min(int(max(p, 0.0) / 100 * len(_BLOCKS)), len(_BLOCKS) - 1)]
                   for p in points)  # fmt: skip


def _sentence(locale: str, touch: dict[str, Any], now: datetime) -> str:
    """The last interaction as a sentence: "王总 (CTO) 昨天下载了《AI 模块白皮书》"."""
    p = dict(touch.get("params") or {})
    p["ago"] = when(locale, datetime.fromisoformat(str(p.pop("at"))), now) if p.get("at") else ""
    p["who"] = p.get("who") or text(locale, "who.buyer")
    p["doc"] = p.get("doc") or text(locale, "doc.proposal")
    if p.get("kind"):
        key = f"update.activity.{p['kind']}"
        p["kind"] = text(locale, key) if has(key) else p["kind"]
    p.setdefault("subject", "")
    return text(locale, str(touch["code"]), **p)


def _touch(locale: str, deal: dict[str, Any], now: datetime) -> str:
    touch = deal.get("touch") or {}
    if touch.get("code") and has(str(touch["code"])):
        return _sentence(locale, touch, now)
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
        empty = "briefing_calm" if facts.get("scored") else "briefing_empty"
        lines.append(Line(text(locale, empty)))
    for deal in deals:
        trend = text(locale, f"trend.{deal.get('trend', 'new')}")
        if deal.get("band"):
            trend += " · " + band_name(locale, str(deal["band"]))
        lines.append(Line("", str(deal["account"])))
        lines.append(Line(_touch(locale, deal, now), text(locale, "last_touch"), indent=1))
        lines.append(Line(trend, text(locale, "trend"), indent=1))
        for s in deal.get("signals") or []:
            lines.append(Line(signal_text(locale, s), text(locale, "warning"), indent=1))
        points = [float(p) for p in deal.get("trend_points") or []]
        if len(points) >= 2:
            span = text(locale, "trend_span", spark=spark(points), first=f"{points[0]:.0f}",
                        last=f"{points[-1]:.0f}")  # fmt: skip
            lines.append(Line(span, text(locale, "trend_30d"), indent=1))
        actions = [action_text(locale, a, now) for a in deal.get("actions", [])[:3]]
        for n, action in enumerate(actions, 1):
            label = text(locale, "next_actions") if n == 1 else ""
            lines.append(Line(f"{n}. {action}", label, indent=1))
        if deal.get("link"):
            page = text(locale, "deal_page")
            lines.append(Line(page, indent=1, url=str(deal["link"])))
    return Message(title=title, lines=lines, locale=locale)


def _signed(value: float, digits: int) -> str:
    return f"{value:+.{digits}f}"


def _change(locale: str, delta: Any, digits: int, key: str = "report.process.change") -> str:
    if delta is None:
        return ""
    return text(locale, key, delta=_signed(float(delta), digits))


def _with(locale: str, value: str, change: str) -> str:
    if not change:
        return value
    return f"{value}（{change}）" if locale.startswith("zh") else f"{value} ({change})"


def process_report_message(locale: str, facts: dict[str, Any]) -> Message:
    """One team's week: `facts` as `outbound.reports.weekly` builds them."""
    none = text(locale, "report.process.no_value")
    lines = [
        Line(
            str(facts.get("team_name") or facts.get("team", "")),
            text(locale, "report.process.team"),
        )
    ]
    subtitle = text(
        locale, "report.process.subtitle", start=facts["start"], end=facts["end"],
        previous=facts.get("previous_week") or none,
    )  # fmt: skip
    lines.append(Line(subtitle))
    stages: list[dict[str, Any]] = facts.get("stages", [])
    lines.append(Line("" if stages else text(locale, "report.process.no_stays"),
                      text(locale, "report.process.stage_days")))  # fmt: skip
    for s in stages:
        days = "—" if s.get("avg_days") is None else f"{float(s['avg_days']):.1f}"
        value = text(
            locale, "report.process.stage_line", stage=stage_name(locale, str(s["stage"])),
            days=days, stays=s.get("stays", 0),
        )  # fmt: skip
        lines.append(Line(_with(locale, value, _change(locale, s.get("change"), 1)), indent=1))
    rate = facts.get("regression_rate")
    shown = none if rate is None else f"{float(rate) * 100:.1f}%"
    value = text(
        locale, "report.process.regression_value", rate=shown,
        regressions=facts.get("regressions", 0), changes=facts.get("stage_changes", 0),
    )  # fmt: skip
    delta = facts.get("regression_rate_change")
    points = None if delta is None else float(delta) * 100
    change = _change(locale, points, 1, "report.process.change_points")
    lines.append(Line(_with(locale, value, change), text(locale, "report.process.regression")))
    density = facts.get("touch_density")
    value = text(
        locale, "report.process.density_value",
        value=none if density is None else f"{float(density):.1f}",
        deals=facts.get("high_value_deals", 0),
    )  # fmt: skip
    change = _change(locale, facts.get("touch_density_change"), 1)
    lines.append(Line(_with(locale, value, change), text(locale, "report.process.density")))
    if facts.get("report_url"):
        lines.append(
            Line(
                text(locale, "report.process.pdf_link"),
                text(locale, "report.process.pdf"),
                url=str(facts["report_url"]),
            )
        )
    title = text(locale, "report.process.title", week=facts["week"])
    return Message(title=title, lines=lines, locale=locale)


def _reason(locale: str, code: str) -> str:
    kind, _, rest = code.partition(":")
    if kind == "missing" and rest:
        key = f"evidence.{rest}.no"
        label = text(locale, key) if has(key) else rest
        return text(locale, "reason.missing", evidence=label)
    if kind == "lost" and rest:
        return text(locale, "reason.lost", reason=rest)
    key = f"reason.{code}"
    return text(locale, key) if has(key) else code


def _pct(value: Any) -> str:
    return "—" if value is None else f"{float(value) * 100:+.1f}%"


def forecast_report_message(locale: str, facts: dict[str, Any]) -> Message:
    """One team's month: `facts` as `outbound.reports.monthly` builds them."""
    money = "{:,.0f}".format
    lines = [Line(str(facts.get("team_name", "")), text(locale, "report.forecast.team"))]
    reps: list[dict[str, Any]] = facts.get("reps", [])
    if not reps:
        lines.append(Line(text(locale, "report.forecast.none")))
    else:
        lines.append(
            Line(
                text(
                    locale,
                    "report.forecast.team_line",
                    forecast=money(facts["forecast"]),
                    won=money(facts["won"]),
                    cash=money(facts["cash"]),
                    bias=_pct(facts.get("bias")),
                    bias_cash=_pct(facts.get("bias_cash")),
                )
            )
        )
        lines.append(Line("", text(locale, "report.forecast.reps")))
        for r in reps:
            lines.append(
                Line(
                    text(
                        locale,
                        "report.forecast.rep_line",
                        rep=r["name"],
                        forecast=money(r["forecast"]),
                        won=money(r["won"]),
                        cash=money(r["cash"]),
                        bias=_pct(r.get("bias")),
                    ),
                    indent=1,
                )
            )
    top: list[dict[str, Any]] = facts.get("top3", [])
    if top:
        lines.append(Line("", text(locale, "report.forecast.top3")))
    for n, r in enumerate(top, 1):
        reason = text(
            locale,
            "report.forecast.reason_line",
            reason=_reason(locale, r["code"]),
            deals=r["deals"],
            deviation=money(r["deviation"]),
        )
        rule = (
            text(locale, "report.forecast.rule", rule=r["rule"])
            if r.get("rule")
            else text(locale, "report.forecast.no_rule")
        )
        lines.append(
            Line(
                f"{n}. {reason}；{rule}" if locale.startswith("zh") else f"{n}. {reason}; {rule}",
                indent=1,
            )
        )
    for c in facts.get("coaching", []):
        spans = ", ".join(f"{q} {_pct(v)}" for q, v in sorted(c["quarters"].items()))
        line = text(locale, "report.forecast.coaching_line", rep=c["name"], quarters=spans)
        lines.append(Line(line, text(locale, "report.forecast.coaching")))
    if facts.get("report_url"):
        lines.append(
            Line(
                text(locale, "report.process.pdf_link"),
                text(locale, "report.process.pdf"),
                url=str(facts["report_url"]),
            )
        )
    title = text(locale, "report.forecast.title", period=facts["period"])
    return Message(title=title, lines=lines, locale=locale)
