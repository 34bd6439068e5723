"""突然取消定期会议 — recurring meetings suddenly cancelled, judged per series (the CRM's
`series_id` on meetings, `tracker.crm.activities`):

    cancelled  ≥ `series_cancellations` (2) meetings of the series marked not held within the
               last `series_window_days` (30) — one cancellation is ordinary life, two is a
               pattern; proof: the cancelled meetings
    lapsed     usual interval = the median gap between the series' consecutive meetings
               (held or not: the schedule, not the attendance); no held meeting for
               `series_lapse_factor` (2) × that interval — counted from the last held one,
               or from the series' first meeting when none was held; proof: the last held
               meeting and the cancellations since

A series needs two meetings before it has an interval; a series already flagged `cancelled`
is not flagged `lapsed` as well (one story, one penalty)."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from scoring.health.risk_signals import RiskSignal
from tracker.scoring_settings import EarlyWarningSettings

__all__ = ["SeriesMeeting", "series_signals"]


@dataclass(frozen=True)
class SeriesMeeting:
    activity_id: str
    series_id: str
    occurred_at: datetime
    held: bool | None


def _cancelled(
    series: str, meetings: list[SeriesMeeting], as_of: datetime, s: EarlyWarningSettings
) -> RiskSignal | None:
    since = as_of - timedelta(days=s.series_window_days)
    ids = [m.activity_id for m in meetings if m.held is False and since < m.occurred_at <= as_of]
    if len(ids) < s.series_cancellations:
        return None
    days = f"{s.series_window_days:g}"
    return RiskSignal(
        code="recurring_meetings_cancelled",
        params={"series": series, "cancelled": len(ids), "days": days},
        summary=f"{len(ids)} meetings of recurring series {series} cancelled in {days} days",
        penalty=s.series_cancelled_penalty,
        activity_ids=ids,
    )


def _lapsed(
    series: str, meetings: list[SeriesMeeting], as_of: datetime, s: EarlyWarningSettings
) -> RiskSignal | None:
    if len(meetings) < 2:
        return None
    pairs = itertools.pairwise(meetings)
    gaps = [(b.occurred_at - a.occurred_at).total_seconds() for a, b in pairs]
    usual = statistics.median(gaps)
    if usual <= 0:
        return None
    held = [m for m in meetings if m.held]
    start = held[-1] if held else meetings[0]
    quiet = (as_of - start.occurred_at).total_seconds()
    if quiet < s.series_lapse_factor * usual:
        return None
    ids = ([start.activity_id] if held else []) + [
        m.activity_id for m in meetings if m.held is False and m.occurred_at > start.occurred_at
    ]
    usual_days, quiet_days = round(usual / 86_400, 1), round(quiet / 86_400, 1)
    return RiskSignal(
        code="recurring_meetings_lapsed",
        params={"series": series, "days": quiet_days, "usual_days": usual_days},
        summary=f"No meeting of recurring series {series} held for {quiet_days:g} days "
        f"(usually every {usual_days:g})",
        penalty=s.series_lapsed_penalty,
        activity_ids=ids,
    )


def series_signals(
    meetings: Sequence[SeriesMeeting], as_of: datetime, settings: EarlyWarningSettings
) -> list[RiskSignal]:
    """The signals of one opportunity's series meetings that occurred by `as_of`."""
    by_series: dict[str, list[SeriesMeeting]] = {}
    for m in sorted(meetings, key=lambda m: (m.occurred_at, m.activity_id)):
        if m.series_id and m.occurred_at <= as_of:
            by_series.setdefault(m.series_id, []).append(m)
    found: list[RiskSignal] = []
    for series, items in sorted(by_series.items()):
        signal = _cancelled(series, items, as_of, settings)
        signal = signal or _lapsed(series, items, as_of, settings)
        if signal is not None:
            found.append(signal)
    return found
