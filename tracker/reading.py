"""What counts as a person reading — one definition for analytics, scores, the web app and
notifications, so no two screens disagree about the same visit.

    human event   `is_bot = 0`: bots, mail scanners, link unfurlers and headless browsers are
                  flagged at ingest (with a reason) and left out of every count
    visit         a `visit_id` with at least one viewer event (`VIEWED`: the viewer's script
                  ran); a click or pixel alone is no visit, so the KPI, the viewers table and
                  the timeline count the same visits
    read          a (visit, page) with at least `ReadingSettings.read_seconds` of human
                  active dwell; less is a glance, shown nowhere as reading

SQL uses `HUMAN` in its WHERE clause and binds `read_threshold_ms(...)` to the `read_ms`
parameter (`{read_ms:UInt64}`); Python uses `is_read`.
"""

from __future__ import annotations

from typing import Final

from tracker.scoring_settings import ReadingSettings

__all__ = ["HUMAN", "PERSON", "READ_MS_PARAM", "VIEWED", "is_read", "read_threshold_ms"]

HUMAN: Final = "is_bot = 0"
# As the `link_activity_daily` rollup counts visits and viewers (migration 0003).
VIEWED: Final = "event_type IN ('view_start', 'page_dwell', 'visit_end')"
READ_MS_PARAM: Final = "{read_ms:UInt64}"
# One person of an event: the link's own contact (`c:<contact id>`), else the viewer
# (`v:<viewer id>`: a forward counts as someone new).
PERSON: Final = (
    "if(forwarded = 0 AND contact_id != '', concat('c:', contact_id), concat('v:', viewer_id))"
)


def read_threshold_ms(reading: ReadingSettings) -> int:
    return int(reading.read_seconds * 1000)


def is_read(dwell_ms: float, reading: ReadingSettings) -> bool:
    return dwell_ms >= read_threshold_ms(reading)
