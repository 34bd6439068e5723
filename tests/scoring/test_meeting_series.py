"""突然取消定期会议 on hand-built recurring series with known answers: one cancellation is
nothing, two within 30 days is a signal with its proof; a weekly series with no held meeting
for two weeks lapses; the signal costs the risk pillar its penalty and reaches the health
result — from rows stored in ClickHouse through the CRM's fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from scoring import assess, load_tenant_scoring
from scoring.health.meeting_series import SeriesMeeting, series_signals
from tests.scoring.support import add_opportunity
from tracker.config import ScoringSettings
from tracker.crm.activities import Activity, record_activities
from tracker.stores.clickhouse import ClickHouse

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
S = ScoringSettings().early_warning
WEEK = timedelta(days=7)


def weekly(
    held: list[bool | None], *, series: str = "周会", last: datetime = NOW
) -> list[SeriesMeeting]:
    """Meetings a week apart, the last one at `last`, with the given held flags."""
    n = len(held)
    return [
        SeriesMeeting(f"m{i}", series, last - (n - 1 - i) * WEEK, h) for i, h in enumerate(held)
    ]


def test_one_cancellation_is_no_signal_two_are() -> None:
    assert series_signals(weekly([True, True, False, True]), NOW, S) == []
    [signal] = series_signals(weekly([True, True, False, False]), NOW, S)
    assert signal.code == "recurring_meetings_cancelled"
    assert signal.params == {"series": "周会", "cancelled": 2, "days": "30"}
    assert signal.activity_ids == ["m2", "m3"]
    assert signal.penalty == S.series_cancelled_penalty


def test_cancellations_further_apart_than_the_window_are_no_signal() -> None:
    # m0 cancelled 35 days before m5: the two are never both inside 30 days of as_of
    meetings = weekly([False, True, True, True, True, False])
    assert [m.activity_id for m in meetings if m.held is False] == ["m0", "m5"]
    assert series_signals(meetings, NOW, S) == []
    # a tenant's wider window takes both in
    wider = S.model_copy(update={"series_window_days": 40.0})
    assert [s.code for s in series_signals(meetings, NOW, wider)] == [
        "recurring_meetings_cancelled"
    ]


def test_a_series_without_a_held_meeting_for_twice_its_interval_lapses() -> None:
    meetings = weekly([True, True, True], last=NOW - 2 * WEEK + timedelta(hours=1))
    assert series_signals(meetings, NOW, S) == []  # 2 weeks − 1 h since the last held one
    meetings = weekly([True, True, True], last=NOW - 2 * WEEK)
    [signal] = series_signals(meetings, NOW, S)
    assert signal.code == "recurring_meetings_lapsed"
    assert signal.params == {"series": "周会", "days": 14.0, "usual_days": 7.0}
    assert signal.activity_ids == ["m2"]
    # a meeting after `as_of` is not seen, and a one-meeting series has no interval yet
    assert series_signals(weekly([True]), NOW + 30 * WEEK, S) == []


def test_series_are_judged_apart() -> None:
    a = weekly([True, False, True], series="A")
    b = weekly([True, False, True], series="B")
    assert series_signals(a + b, NOW, S) == []  # one cancellation in each


def test_the_signal_reaches_health_from_the_crm_rows(clickhouse: ClickHouse) -> None:
    tenant = "ten_A"
    add_opportunity(clickhouse, tenant, "opp_1", updated_at=NOW - timedelta(days=60))
    add_opportunity(clickhouse, tenant, "opp_2", updated_at=NOW - timedelta(days=60))
    rows = []
    for opp, cancelled in (("opp_1", 1), ("opp_2", 2)):
        for i in range(4):
            rows.append(
                Activity(f"{opp}_m{i}", opp, "meeting", NOW - (3 - i) * WEEK,
                         held=i < 4 - cancelled, series_id=f"{opp}-weekly")
            )  # fmt: skip
    record_activities(clickhouse, tenant, rows)
    scoring = load_tenant_scoring(clickhouse, tenant, ScoringSettings())
    found = assess(clickhouse, scoring, tenant, ["opp_1", "opp_2"], NOW, now=NOW,
                   with_engagement=False)  # fmt: skip
    one, two = found["opp_1"].health, found["opp_2"].health
    assert one.signals == []
    [signal] = two.signals
    assert signal.activity_ids == ["opp_2_m2", "opp_2_m3"]
    risk = {f.code: f.contribution for f in two.pillars["risk"].factors}
    assert risk["recurring_meetings_cancelled"] == -S.series_cancelled_penalty
    assert one.pillars["risk"].value - two.pillars["risk"].value == S.series_cancelled_penalty
