"""Scheduled reports for managers: the weekly 《过程健康度报告》 (`weekly`) with its chart as a
PDF and a PNG (`charts`), delivered through the managers' channels."""

from __future__ import annotations

from outbound.reports.charts import BarSeries, ReportPage, report_pdf, report_png
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
    "due_week",
    "process_report_facts",
    "read_report_token",
    "report_pdf",
    "report_png",
    "report_token",
    "run_process_reports",
]
