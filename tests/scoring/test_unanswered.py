"""高潜客户等待响应超4小时 on hand-built conversations with known answers: the 4-hour boundary
inside working hours and across a weekend, the reply that clears the wait, and the signal on
a high-potential deal's health (and not on an ordinary one's)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from scoring.health.assess import _assess_one as assess_one
from scoring.health.unanswered import Exchange, unanswered_signal, working_hours
from scoring.tenant import TenantScoring
from tests.scoring.test_health_pillars import STATS, customer, features
from tracker.config import ScoringSettings

SH = ZoneInfo("Asia/Shanghai")
S = ScoringSettings().early_warning
TUESDAY_10 = datetime(2025, 3, 4, 10, 0, tzinfo=SH)  # a Tuesday, 10:00 in Shanghai
FRIDAY_17 = datetime(2025, 3, 7, 17, 0, tzinfo=SH)
MINUTE = timedelta(minutes=1)


def inbound(at: datetime, aid: str = "in_1", kind: str = "email") -> Exchange:
    return Exchange(aid, kind, "inbound", at)


def outbound(at: datetime, aid: str = "out_1") -> Exchange:
    return Exchange(aid, "email", "outbound", at)


def test_working_hours_known_answers() -> None:
    assert working_hours(TUESDAY_10, TUESDAY_10 + timedelta(hours=4), SH, 9, 18) == 4.0
    # Friday 17:00 → Monday 12:00: one hour on Friday, three on Monday, none at the weekend
    monday_12 = datetime(2025, 3, 10, 12, 0, tzinfo=SH)
    assert working_hours(FRIDAY_17, monday_12, SH, 9, 18) == 4.0
    # the night does not count: 17:00 → next day 10:00 is 2 working hours
    assert working_hours(TUESDAY_10.replace(hour=17), TUESDAY_10 + timedelta(days=1), SH, 9,
                         18) == 2.0  # fmt: skip


def test_the_four_hour_boundary_inside_working_hours() -> None:
    talk = [outbound(TUESDAY_10 - timedelta(days=1)), inbound(TUESDAY_10)]
    assert unanswered_signal(talk, TUESDAY_10 + 4 * timedelta(hours=1) - MINUTE, S) is None
    signal = unanswered_signal(talk, TUESDAY_10 + timedelta(hours=4), S)
    assert signal is not None and signal.code == "customer_unanswered"
    assert signal.params == {"kind": "email", "at": TUESDAY_10.isoformat(), "hours": "4"}
    assert signal.activity_ids == ["in_1"]


def test_the_four_hour_boundary_across_a_weekend() -> None:
    talk = [inbound(FRIDAY_17, "in_fri"), inbound(FRIDAY_17 + timedelta(hours=20), "in_sat")]
    monday_12 = datetime(2025, 3, 10, 12, 0, tzinfo=SH)
    # 67 clock hours but 3 working hours and 59 minutes: not yet
    assert unanswered_signal(talk, monday_12 - MINUTE, S) is None
    signal = unanswered_signal(talk, monday_12, S)
    assert signal is not None and signal.activity_ids == ["in_fri", "in_sat"]


def test_the_reply_clears_it_and_a_later_message_waits_anew() -> None:
    at = TUESDAY_10 + timedelta(hours=6)
    reply = outbound(TUESDAY_10 + timedelta(hours=5))
    assert unanswered_signal([inbound(TUESDAY_10), reply], at, S) is None
    # a reply after `as_of` is not seen yet
    assert unanswered_signal([inbound(TUESDAY_10), outbound(at + MINUTE)], at, S) is not None
    again = inbound(TUESDAY_10 + timedelta(hours=5, minutes=30), "in_2")
    assert unanswered_signal([inbound(TUESDAY_10), reply, again], at, S) is None  # 0.5 h
    # 15:30 → 18:00 Tuesday is 2.5 h; Wednesday 09:00 → 10:30 makes it 4
    wednesday = datetime(2025, 3, 5, 10, 30, tzinfo=SH)
    late = unanswered_signal([inbound(TUESDAY_10), reply, again], wednesday, S)
    assert late is not None and late.activity_ids == ["in_2"]
    assert unanswered_signal([inbound(TUESDAY_10), reply, again], wednesday - MINUTE, S) is None


def test_the_tenant_sets_the_hours_and_its_time_zone() -> None:
    talk = [inbound(TUESDAY_10)]
    two = S.model_copy(update={"reply_hours": 2.0})
    assert unanswered_signal(talk, TUESDAY_10 + timedelta(hours=2), two) is not None
    # 10:00 Shanghai is 03:00 in Berlin: before the working day starts there
    berlin = S.model_copy(update={"time_zone": "Europe/Berlin"})
    assert unanswered_signal(talk, TUESDAY_10 + timedelta(hours=7), berlin) is None
    assert unanswered_signal(talk, TUESDAY_10 + timedelta(hours=7), S) is not None
    with pytest.raises(ValidationError):
        ScoringSettings().merged({"early_warning": {"time_zone": "Mars/Base"}})
    with pytest.raises(ValidationError):
        ScoringSettings().merged({"early_warning": {"workday_start": 18, "workday_end": 9}})


def test_only_a_high_potential_deal_carries_the_signal() -> None:
    now = TUESDAY_10 + timedelta(hours=5)
    f = features(as_of=now, exchanges=[inbound(TUESDAY_10)])
    scoring = TenantScoring(ScoringSettings())
    # customer(): the account's 商业潜力 is 100 → high potential
    high = assess_one(f, STATS, scoring, 50.0, now, customer()).health
    [signal] = high.signals
    assert signal.code == "customer_unanswered"
    risk = {x.code: x.contribution for x in high.pillars["risk"].factors}
    assert risk["customer_unanswered"] == -S.unanswered_penalty
    # the same wait on a deal without account data, whose band is not blue: no signal
    ordinary = assess_one(f, STATS, scoring, 0.0, now).health
    assert ordinary.band != "blue" and ordinary.signals == []
    # answered: nothing on either
    talk = [inbound(TUESDAY_10), outbound(TUESDAY_10 + timedelta(hours=1))]
    answered = features(as_of=now, exchanges=talk)
    assert assess_one(answered, STATS, scoring, 50.0, now, customer()).health.signals == []
