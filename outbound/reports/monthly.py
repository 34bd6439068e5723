"""The monthly 《预测校准报告》 to each team's manager, from the 1st (their time zone), and the
coaching plan (预测能力陪跑计划).

Per manager, for the month that ended: their reps' forecast at the period start against won
amount and cash collected (scoring's `forecast_calibration`), the team line, the TOP3
deviation reasons with the rule library's treatment, and the reps flagged for coaching — for
each of those a to-do on the manager's board listing the rep's open deals whose evidence
chain is incomplete. Delivered through the manager's channels with a chart (WeCom: image;
every channel: a signed link to the PDF). Deduped per manager and month; the to-do once per
rep and month."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from outbound.notify import ManagerTodo, Notifier, NotifyEvent, TodoStatus
from outbound.notify.messages import text
from outbound.notify.phrases import code_label
from outbound.notify.preferences import zone_of
from outbound.notify.store import list_preferences
from outbound.notify.todo_store import create_todo_once, todo_id_of
from outbound.reports.charts import BarSeries, ReportPage, report_pdf, report_png
from outbound.reports.weekly import report_token
from scoring import CalibrationReport, forecast_calibration, incomplete_evidence_deals
from tracker.clock import utcnow
from tracker.crm import tenants_with_opportunities
from tracker.stores import ClickHouse, FileBlobStore
from tracker.users import list_users

__all__ = ["due_month", "reason_name", "run_forecast_reports"]


def due_month(local: datetime) -> str:
    """The month whose report is due from the 1st: the one before `local`'s month."""
    last = local.date().replace(day=1) - timedelta(days=1)
    return f"{last.year}-{last.month:02d}"


def reason_name(locale: str, code: str) -> str:
    """A deviation reason code in the reader's language."""
    kind, _, rest = code.partition(":")
    if kind == "missing" and rest:
        label = code_label(locale, f"evidence.{rest}.no", rest)
        return text(locale, "reason.missing", evidence=label)
    if kind == "lost" and rest:
        return text(locale, "reason.lost", reason=rest)
    return code_label(locale, f"reason.{code}", code)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:+.1f}%"


def _money(value: float) -> str:
    return f"{value:,.0f}"


def _coaching_todo(
    locale: str,
    tenant_id: str,
    manager: str,
    rep: str,
    name: str,
    quarters: dict[str, float],
    deals: list[tuple[str, tuple[str, ...]]],
    period: str,
) -> ManagerTodo:
    listed = "；".join(
        text(
            locale,
            "todo.coaching_deal",
            deal=k,
            missing="、".join(code_label(locale, f"evidence.{c}.no", c) for c in failing),
        )
        for k, failing in deals
    ) or text(locale, "todo.coaching_none")
    spans = "，".join(f"{q} {_pct(v)}" for q, v in sorted(quarters.items()))
    return ManagerTodo(
        tenant_id=tenant_id,
        todo_id=todo_id_of(tenant_id, "coaching", f"{rep}:{period}", manager),
        manager=manager,
        owner=rep,
        opportunity_id="",
        kind="coaching",
        source_id=f"{rep}:{period}",
        title=name,
        detail=text(locale, "todo.coaching", rep=name, quarters=spans, deals=listed),
        status=TodoStatus.OPEN,
        resolved_by="",
        created_at=utcnow(),
    )


def _page(locale: str, report: CalibrationReport, reps: dict[str, str], team: str) -> ReportPage:
    mine = [(k, m) for k, m in report.by_rep.items() if k.lower() in reps]
    header = [
        text(locale, f"report.forecast.col_{c}") for c in ("rep", "forecast", "won", "cash", "bias")
    ]
    rows = [
        [reps[k.lower()], _money(m.forecast), _money(m.actual), _money(m.cash), _pct(m.bias)]
        for k, m in mine
    ]
    return ReportPage(
        title=f"{text(locale, 'report.forecast.title', period=report.period)} · {team}",
        subtitle=text(
            locale,
            "report.forecast.subtitle",
            start=report.start.isoformat(),
            end=(report.end - timedelta(days=1)).isoformat(),
        ),
        chart_title=text(locale, "report.forecast.chart_title"),
        categories=[reps[k.lower()] for k, _ in mine],
        series=[
            BarSeries(text(locale, "report.forecast.col_forecast"), [m.forecast for _, m in mine]),
            BarSeries(text(locale, "report.forecast.col_won"), [m.actual for _, m in mine]),
            BarSeries(text(locale, "report.forecast.col_cash"), [m.cash for _, m in mine]),
        ],
        table=[header, *rows],
    )


def _facts(
    report: CalibrationReport,
    reps: dict[str, str],
    team: str,
    url: str,
    image: str,
    coached: list[dict[str, Any]],
) -> dict[str, Any]:
    mine = {k: m for k, m in report.by_rep.items() if k.lower() in reps}
    forecast = sum(m.forecast for m in mine.values())
    won = sum(m.actual for m in mine.values())
    cash = sum(m.cash for m in mine.values())
    return {
        "period": report.period,
        "team_name": team,
        "forecast": forecast,
        "won": won,
        "cash": cash,
        "bias": (forecast - won) / won if won else None,
        "bias_cash": (forecast - cash) / cash if cash else None,
        "reps": [
            {
                "name": reps[k.lower()],
                "forecast": m.forecast,
                "won": m.actual,
                "cash": m.cash,
                "bias": m.bias,
            }
            for k, m in mine.items()
        ],
        "top3": [r.model_dump() for r in report.top_deviation_reasons[:3]],
        "coaching": coached,
        "report_url": url,
        "image_sha": image,
    }


async def run_forecast_reports(
    notifier: Notifier,
    ch: ClickHouse,
    *,
    now: datetime | None = None,
    tenant_ids: Collection[str] | None = None,
) -> int:
    """Queue last month's report for every team manager (and the coaching to-dos); the
    number of notices queued now."""
    ns, settings = notifier.ns, notifier.settings
    moment = now or utcnow()
    blobs = FileBlobStore(settings.data_dir / "blobs")
    base = settings.public_base_url.rstrip("/")
    queued = 0
    if tenant_ids is None:
        tenant_ids = await asyncio.to_thread(tenants_with_opportunities, ch)
    for tenant_id in tenant_ids:
        users = await asyncio.to_thread(list_users, ch, tenant_id)
        names = {u.email.lower(): u.name for u in users}
        teams: dict[str, dict[str, str]] = {}
        for u in users:
            if u.manager_email:
                teams.setdefault(u.manager_email.lower(), {})[u.email.lower()] = u.name
        prefs = await asyncio.to_thread(list_preferences, ch, tenant_id, sorted(teams))
        locale = await notifier.tenant_locale(tenant_id)
        reports: dict[str, CalibrationReport] = {}
        for manager, reps in sorted(teams.items()):
            pref = prefs.get(manager)
            period = due_month(moment.astimezone(zone_of(pref, ns.default_time_zone)))
            if period not in reports:
                reports[period] = await forecast_calibration(ch, tenant_id, period)
            report = reports[period]
            reader = (pref.locale if pref and pref.locale else "") or locale
            team = names.get(manager, manager)
            coached = []
            for flag in report.coaching:
                if flag.rep.lower() not in reps:
                    continue
                deals = await asyncio.to_thread(incomplete_evidence_deals, ch, tenant_id, flag.rep)
                todo = _coaching_todo(
                    reader,
                    tenant_id,
                    manager,
                    flag.rep,
                    reps[flag.rep.lower()],
                    flag.quarters,
                    deals,
                    period,
                )
                await asyncio.to_thread(create_todo_once, ch, todo)
                coached.append({"name": reps[flag.rep.lower()], "quarters": flag.quarters})
            pdf = await asyncio.to_thread(report_pdf, _page(reader, report, reps, team))
            png = await asyncio.to_thread(report_png, pdf)
            pdf_sha = await asyncio.to_thread(blobs.put, pdf)
            png_sha = await asyncio.to_thread(blobs.put, png)
            url = f"{base}/r/{report_token(settings, tenant_id, pdf_sha)}"
            queued += await notifier.publish(
                tenant_id,
                NotifyEvent.FORECAST_REPORT,
                _facts(report, reps, team, url, png_sha, coached),
                dedupe_key=f"{manager}:{period}",
                owner="",
                manager=manager,
            )
    return queued
