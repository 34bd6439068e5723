"""The weekly 《过程健康度报告》 to each team's manager, Monday 09:00 in their time zone.

Each run (every `process_report_interval_seconds`, under the scheduler's Redis lock) looks at
every team manager of every tenant (the deals' managers; `scoring.process_health` names the
teams). From Monday `process_report_hour` local time, the report of the week that just ended
is due: scoring's numbers for the manager's team with the change from the week before, a
one-page PDF with the chart (reportlab) and its PNG (blobs, content-addressed), then one
notice through the manager's channels — WeCom gets the markdown and the chart as an image,
every channel a signed link to the PDF. Deduped per manager and week: however many runs
and schedulers, one report a week (an admin's "run it now" resends nothing already sent)."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from outbound.notify import Notifier, NotifyEvent
from outbound.notify.messages import text
from outbound.notify.phrases import stage_name
from outbound.notify.preferences import zone_of
from outbound.notify.store import list_preferences
from outbound.reports.charts import BarSeries, ReportPage, report_pdf, report_png
from scoring import ProcessHealthReport, TeamProcess, process_health, week_of
from tracker.clock import utcnow
from tracker.config import Settings, resolve_secret_keys
from tracker.crm import tenants_with_opportunities
from tracker.stores import ClickHouse, FileBlobStore
from tracker.users import list_users

__all__ = [
    "ReportFile",
    "due_week",
    "process_report_facts",
    "read_report_token",
    "report_token",
    "run_process_reports",
]

_SALT = "report-file"


def report_token(settings: Settings, tenant_id: str, digest: str) -> str:
    """The signed part of a report's PDF link (managers open it from their chat app)."""
    return URLSafeSerializer(resolve_secret_keys(settings), salt=_SALT).dumps([tenant_id, digest])


def read_report_token(settings: Settings, token: str) -> tuple[str, str] | None:
    """(tenant, blob digest) from a report link's token; None if forged."""
    try:
        tenant, digest = URLSafeSerializer(resolve_secret_keys(settings), salt=_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return str(tenant), str(digest)


ReportFile = tuple[str, str]  # (pdf digest, png digest)


def due_week(local: datetime, hour: int) -> str | None:
    """The week whose report is due at this local moment: the week that ended, from Monday
    `hour` on (before that on a Monday, nothing is due yet)."""
    if local.weekday() == 0 and local.hour < hour:
        return None
    return week_of(local.date() - timedelta(days=7))


def _page(locale: str, report: ProcessHealthReport, team: TeamProcess, name: str) -> ReportPage:
    stages = [s for s in team.stage_times if s.avg_days is not None]
    change = team.change.stage_days if team.change else {}
    last = [
        (s.avg_days or 0.0) - (change.get(s.stage) or 0.0) if change.get(s.stage) is not None
        else 0.0
        for s in stages
    ]  # fmt: skip
    none = text(locale, "report.process.no_value")

    def pct(v: float | None) -> str:
        return none if v is None else f"{v * 100:.1f}%"

    def num(v: float | None) -> str:
        return none if v is None else f"{v:.1f}"

    before_rate = (
        None
        if team.regression_rate is None or not team.change or team.change.regression_rate is None
        else team.regression_rate - team.change.regression_rate
    )
    before_density = (
        None
        if team.touch_density is None or not team.change or team.change.touch_density is None
        else team.touch_density - team.change.touch_density
    )
    rows = [
        [text(locale, f"report.process.col_{c}") for c in ("metric", "this", "last")],
        *(
            [
                text(locale, "report.process.days", stage=stage_name(locale, s.stage)),
                num(s.avg_days),
                num(None if change.get(s.stage) is None else last[n]),
            ]
            for n, s in enumerate(stages)
        ),
        [text(locale, "report.process.regression"), pct(team.regression_rate), pct(before_rate)],
        [text(locale, "report.process.density"), num(team.touch_density), num(before_density)],
    ]
    subtitle = text(
        locale, "report.process.subtitle", start=report.start.isoformat(),
        end=(report.end - timedelta(days=1)).isoformat(), previous=report.previous_week or none,
    )  # fmt: skip
    return ReportPage(
        title=f"{text(locale, 'report.process.title', week=report.week)} · {name}",
        subtitle=subtitle,
        chart_title=text(locale, "report.process.chart_title"),
        categories=[stage_name(locale, s.stage) for s in stages],
        series=[
            BarSeries(text(locale, "report.process.last_week"), last),
            BarSeries(
                text(locale, "report.process.this_week"), [s.avg_days or 0.0 for s in stages]
            ),
        ],
        table=rows,
    )


def process_report_facts(
    report: ProcessHealthReport, team: TeamProcess, name: str, url: str, image: str
) -> dict[str, Any]:
    """What the notice carries (language-free: rendered per channel by `outbound.notify`)."""
    change = team.change
    return {
        "week": report.week,
        "previous_week": report.previous_week,
        "start": report.start.isoformat(),
        "end": (report.end - timedelta(days=1)).isoformat(),
        "team": team.team,
        "team_name": name,
        "stages": [
            {
                "stage": s.stage,
                "avg_days": s.avg_days,
                "stays": s.stays,
                "change": change.stage_days.get(s.stage) if change else None,
            }
            for s in team.stage_times
        ],
        "stage_changes": team.stage_changes,
        "regressions": team.regressions,
        "regression_rate": team.regression_rate,
        "regression_rate_change": change.regression_rate if change else None,
        "high_value_deals": team.high_value_deals,
        "touch_density": team.touch_density,
        "touch_density_change": change.touch_density if change else None,
        "report_url": url,
        "image_sha": image,
    }


async def run_process_reports(
    notifier: Notifier,
    ch: ClickHouse,
    *,
    now: datetime | None = None,
    tenant_ids: Collection[str] | None = None,
    hour: int | None = None,
) -> int:
    """Queue the week's report for every team manager past their local Monday hour; the
    number of notices queued now."""
    ns, settings = notifier.ns, notifier.settings
    moment = now or utcnow()
    due_hour = ns.process_report_hour if hour is None else hour
    blobs = FileBlobStore(settings.data_dir / "blobs")
    base = settings.public_base_url.rstrip("/")
    queued = 0
    if tenant_ids is None:
        tenant_ids = await asyncio.to_thread(tenants_with_opportunities, ch)
    for tenant_id in tenant_ids:
        users = {u.email.lower(): u for u in await asyncio.to_thread(list_users, ch, tenant_id)}
        reports: dict[str, ProcessHealthReport] = {}
        locale = await notifier.tenant_locale(tenant_id)
        managers = sorted({u.manager_email.lower() for u in users.values() if u.manager_email})
        prefs = await asyncio.to_thread(list_preferences, ch, tenant_id, managers)
        for manager in managers:
            pref = prefs.get(manager)
            week = due_week(moment.astimezone(zone_of(pref, ns.default_time_zone)), due_hour)
            if week is None:
                continue
            if week not in reports:
                reports[week] = await process_health(ch, tenant_id, week)
            report = reports[week]
            team = next((t for t in report.teams if t.team.lower() == manager), None)
            if team is None:
                continue
            person = users.get(manager)
            name = person.name if person else manager
            reader = (pref.locale if pref and pref.locale else "") or locale
            pdf = await asyncio.to_thread(report_pdf, _page(reader, report, team, name))
            png = await asyncio.to_thread(report_png, pdf)
            pdf_sha = await asyncio.to_thread(blobs.put, pdf)
            png_sha = await asyncio.to_thread(blobs.put, png)
            url = f"{base}/r/{report_token(settings, tenant_id, pdf_sha)}"
            facts = process_report_facts(report, team, name, url, png_sha)
            queued += await notifier.publish(
                tenant_id,
                NotifyEvent.PROCESS_REPORT,
                facts,
                dedupe_key=f"{manager}:{week}",
                owner="",
                manager=manager,
            )
    return queued
