"""Quiet hours: when a person does not want to be pinged, in their own time zone.

`quiet_until(prefs, at)` is None when `at` is outside the person's quiet window, else the
moment the window ends (the held message is delivered then). Windows may wrap midnight
(22:00–08:00); they follow the zone's daylight-saving rules."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from outbound.notify.model import Preferences
from tracker.errors import BadRequest

__all__ = ["InvalidTimeZone", "check_time_zone", "parse_hhmm", "quiet_until", "zone_of"]


class InvalidTimeZone(BadRequest):
    code = "invalid_time_zone"


def check_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidTimeZone(f"unknown IANA time zone {name!r}") from exc
    return name


def zone_of(prefs: Preferences | None, default: str) -> ZoneInfo:
    try:
        return ZoneInfo(prefs.time_zone if prefs and prefs.time_zone else default)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(default)


def parse_hhmm(value: str) -> int:
    """'22:30' → minutes after midnight."""
    hours, sep, minutes = value.strip().partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit():
        raise BadRequest(f"expected HH:MM, got {value!r}", code="invalid_time")
    h, m = int(hours), int(minutes)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise BadRequest(f"expected HH:MM, got {value!r}", code="invalid_time")
    return h * 60 + m


def quiet_until(prefs: Preferences | None, at: datetime, default_zone: str) -> datetime | None:
    if prefs is None or prefs.quiet_start == prefs.quiet_end:
        return None
    zone = zone_of(prefs, default_zone)
    local = at.astimezone(zone)
    minute = local.hour * 60 + local.minute
    start, end = prefs.quiet_start, prefs.quiet_end
    wraps = start > end
    inside = (minute >= start or minute < end) if wraps else (start <= minute < end)
    if not inside:
        return None
    day = local.date()
    if wraps and minute >= start:
        day += timedelta(days=1)
    end_local = datetime.combine(day, time(end // 60, end % 60), zone)
    return end_local.astimezone(at.tzinfo)
