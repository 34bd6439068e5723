"""近期密集查阅竞品页面 per person, on hand-built reads with known answers: 陈静 (CFO) reading
the competitor comparison in three visits this week is a risk signal naming her, her role,
the tag and the count; it costs the risk pillar exactly the tag's `risk_penalty` (the health
value by that × the risk pillar's weight); two visits are not intensive; reads older than the
window do not count; the next action names her and the topic, in zh and en."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from outbound.notify import action_text, signal_text
from scoring import assess, load_tenant_scoring
from scoring.health.assess import Assessment
from tests.scoring.support import Events, LinkRef, add_document, add_link, add_opportunity
from tracker.config import ScoringSettings
from tracker.crm.opportunities import Contact
from tracker.stores.clickhouse import ClickHouse

T = "ten_tags"
NOW = datetime(2025, 3, 7, 12, 0, tzinfo=UTC)
TAG = "competitor_comparison"
DAY = timedelta(days=1)
PAGE = {3: 60_000}  # one minute on page 3, the competitor comparison


def setup(ch: ClickHouse) -> LinkRef:
    tags = [[], [], [TAG], ["pricing"]]
    add_document(ch, T, "doc_1", "ver_1", title="方案建议书", page_tags=tags)
    add_opportunity(ch, T, "opp_1", updated_at=NOW - 30 * DAY, contacts=[
        Contact("c_chen", "陈静", "chen@example.cn", "CFO", is_decision_maker=True),
    ])  # fmt: skip
    return add_link(ch, T, "lnk_1", "doc_1", "ver_1", "opp_1", contact_id="c_chen", name="陈静")


def judged(ch: ClickHouse, penalty: float, **early: float) -> Assessment:
    tuning = ScoringSettings().merged({
        "engagement": {"page_tags": {TAG: {"meaning": "竞品对比", "weight": 5,
                                          "risk_penalty": penalty}}},
        "early_warning": early,
    })  # fmt: skip
    scoring = load_tenant_scoring(ch, T, tuning)
    return assess(ch, scoring, T, ["opp_1"], NOW, now=NOW, with_engagement=False)["opp_1"]


def test_three_reads_this_week_name_the_person_and_cost_the_tag_penalty(
    clickhouse: ClickHouse,
) -> None:
    link = setup(clickhouse)
    events = Events()
    for days in (5, 3, 1):  # three visits this week, each reading the comparison a minute
        events.read(link, NOW - days * DAY, {1: 20_000, **PAGE})
    events.read(link, NOW - 9 * DAY, PAGE)  # last week's: outside the 7 days
    events.insert(clickhouse)

    quiet = judged(clickhouse, 0.0)  # the tag carries no warning: no signal
    assert quiet.health.signals == []
    warned = judged(clickhouse, 12.0)
    [signal] = warned.health.signals
    assert signal.code == "page_interest"
    assert signal.params["who"] == "陈静 (CFO)"
    assert signal.params["count"] == 3 and signal.params["tag"] == TAG
    assert signal.summary == "陈静 (CFO) read the 竞品对比 pages 3 times in 7 days"
    assert signal.person == "c:c_chen" and len(signal.event_ids) == 3
    # the factor and its contribution: the risk pillar loses the penalty, the health value
    # that times the risk pillar's weight share
    risk = {f.code: f.contribution for f in warned.health.pillars["risk"].factors}
    assert risk["page_interest"] == -12.0
    assert quiet.health.pillars["risk"].value - warned.health.pillars["risk"].value == 12.0
    share = warned.health.pillar_weights["risk"]
    assert quiet.health.value - warned.health.value == pytest.approx(12.0 * share, abs=0.1)
    factor = next(f for f in warned.health.top_negative if f.code == "page_interest")
    assert factor.contribution == pytest.approx(-12.0 * share, abs=0.01)
    # the concrete next action, first (it outranks everything but a fresh download/pricing read)
    action = warned.health.actions[0]
    assert action.code == "answer_tag_interest" and action.due_within_hours == 24
    assert action.text.startswith("陈静 (CFO) read the 竞品对比 pages 3 times in 7 days")
    # in the readers' languages: the catalog's label of the well-known tag
    zh = signal_text("zh_CN", signal.model_dump())
    assert zh == "陈静 (CFO) 7 天内 3 次查阅竞品对比页面"
    en = signal_text("en", signal.model_dump())
    assert en == "陈静 (CFO) read the competitor comparison pages 3 times in 7 days"
    zh_action = action_text("zh_CN", action.model_dump(), NOW)
    assert zh_action.startswith("陈静 (CFO) 7 天内 3 次查阅竞品对比页面，建议")
    assert "电话沟通" in zh_action


def test_two_reads_are_not_intensive_unless_the_tenant_says_so(clickhouse: ClickHouse) -> None:
    link = setup(clickhouse)
    events = Events()
    for days in (4, 2):
        events.read(link, NOW - days * DAY, PAGE)
    events.read(link, NOW - DAY, {1: 60_000})  # a visit that never reached the comparison
    events.read(link, NOW - DAY / 2, {3: 1_000})  # a glance at it: not a read
    events.insert(clickhouse)
    assert judged(clickhouse, 12.0).health.signals == []
    [signal] = judged(clickhouse, 12.0, tag_reads=2).health.signals
    assert signal.params["count"] == 2
