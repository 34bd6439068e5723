"""Scheduled digests wired to scoring: the weekly 《过程健康度报告》 for managers (`weekly`) with
its chart as a PDF and a PNG (`charts`), and the scoring source of reps' daily briefings
(`daily`), delivered through people's channels by `outbound.notify`."""

from __future__ import annotations

from outbound.reports.charts import BarSeries, ReportPage, report_pdf, report_png
from outbound.reports.daily import briefing_deal, scoring_briefing_source
from outbound.reports.monthly import due_month, run_forecast_reports
from outbound.reports.weekly import (
    due_week,
    process_report_facts,
    read_report_token,
    report_token,
    run_process_reports,
)

__all__ = [
    "BarSeries",
    "ReportPage",
    "briefing_deal",
    "due_month",
    "due_week",
    "process_report_facts",
    "read_report_token",
    "report_pdf",
    "report_png",
    "report_token",
    "run_forecast_reports",
    "run_process_reports",
    "scoring_briefing_source",
]
