"""Weekly sales-process health per team (《过程健康度报告》): average days per stage (stays
ending that week; a deal's first stay counted from when it entered the stage), stage
regression rate (regressions / stage changes that week) and high-value-customer touch density
(meetings, emails and calls that week per open deal at or above the tenant's 75th percentile
amount) — each with its change from the week before."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

from pydantic import BaseModel

from scoring.forecast.rollup import parse_period
from scoring.reports.process_repository import process_rows
from tracker.errors import BadRequest
from tracker.stores import ClickHouse

__all__ = ["ProcessHealthReport", "StageTime", "TeamProcess", "WeekChange", "process_health"]


class StageTime(BaseModel):
    stage: str
    avg_days: float | None
    stays: int


class WeekChange(BaseModel):
    """This week minus the week before (None where either week has no value)."""

    stage_days: dict[str, float | None]
    regression_rate: float | None
    touch_density: float | None


class TeamProcess(BaseModel):
    team: str
    stage_times: list[StageTime]
    stage_changes: int
    regressions: int
    regression_rate: float | None
    high_value_deals: int
    high_value_touches: int
    touch_density: float | None
    change: WeekChange | None = None  # None: the team had no report the week before


class ProcessHealthReport(BaseModel):
    week: str
    start: date
    end: date
    high_value_threshold: float
    teams: list[TeamProcess]
    previous_week: str = ""


def _report(ch: ClickHouse, tenant_id: str, week: str) -> ProcessHealthReport:
    if "-W" not in week:
        raise BadRequest("week must be YYYY-Www", code="invalid_period", week=week)
    start, end = parse_period(week)
    rows = process_rows(ch, tenant_id, start, end)
    teams: dict[str, TeamProcess] = {}

    def team(name: str) -> TeamProcess:
        return teams.setdefault(
            name,
            TeamProcess(
                team=name, stage_times=[], stage_changes=0, regressions=0, regression_rate=None,
                high_value_deals=0, high_value_touches=0, touch_density=None,
            ),
        )  # fmt: skip

    for r in rows["stages"]:
        t = team(r["team"])
        stays = int(r["stays"])
        avg = float(r["avg_days"]) if stays else None
        t.stage_times.append(
            StageTime(stage=r["stage"], avg_days=avg and round(avg, 2), stays=stays)
        )
        t.stage_changes += int(r["changes"])
        t.regressions += int(r["regressions"])
    threshold = 0.0
    for r in rows["touches"]:
        t = team(r["team"])
        threshold = float(r["p75"])
        t.high_value_deals, t.high_value_touches = (
            int(r["high_value_deals"]),
            int(r["high_value_touches"]),
        )
    for t in teams.values():
        t.regression_rate = round(t.regressions / t.stage_changes, 4) if t.stage_changes else None
        if t.high_value_deals:
            t.touch_density = round(t.high_value_touches / t.high_value_deals, 3)
    return ProcessHealthReport(
        week=week, start=start, end=end, high_value_threshold=round(threshold, 2),
        teams=sorted(teams.values(), key=lambda t: t.team),
    )  # fmt: skip


def _minus(a: float | None, b: float | None, digits: int) -> float | None:
    return None if a is None or b is None else round(a - b, digits)


def _change(now: TeamProcess, before: TeamProcess) -> WeekChange:
    earlier = {s.stage: s.avg_days for s in before.stage_times}
    return WeekChange(
        stage_days={s.stage: _minus(s.avg_days, earlier.get(s.stage), 2) for s in now.stage_times},
        regression_rate=_minus(now.regression_rate, before.regression_rate, 4),
        touch_density=_minus(now.touch_density, before.touch_density, 3),
    )


def _with_change(ch: ClickHouse, tenant_id: str, week: str) -> ProcessHealthReport:
    report = _report(ch, tenant_id, week)
    start = report.start - timedelta(days=7)
    year, number, _ = start.isocalendar()
    previous = _report(ch, tenant_id, f"{year}-W{number:02d}")
    before = {t.team: t for t in previous.teams}
    for team in report.teams:
        if team.team in before:
            team.change = _change(team, before[team.team])
    report.previous_week = previous.week
    return report


def week_of(day: date) -> str:
    """The ISO week (YYYY-Www) a day belongs to."""
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


async def process_health(ch: ClickHouse, tenant_id: str, week: str) -> ProcessHealthReport:
    return await asyncio.to_thread(_with_change, ch, tenant_id, week)
