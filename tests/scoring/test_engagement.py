"""Engagement scores from hand-built event sets with known answers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from scoring import ScopeKind, ScoringQuery, compute_scores
from scoring.model import Score
from tests.scoring.support import NOW, Events, LinkRef, add_document, add_link, add_opportunity
from tracker.config import ScoringSettings
from tracker.crm.opportunities import Contact
from tracker.stores.clickhouse import ClickHouse

T = "ten_A"
TUNING = ScoringSettings()
FULL = {1: 60_000, 2: 60_000, 3: 60_000, 4: 60_000}  # 238 words/page at 238 wpm = 60 s


def setup_opp(
    ch: ClickHouse, opp: str = "opp_1", *, tags: list[list[str]] | None = None
) -> LinkRef:
    add_document(ch, T, f"doc_{opp}", f"ver_{opp}", title="报价单", page_tags=tags or [])
    add_opportunity(
        ch,
        T,
        opp,
        contacts=[
            Contact("c_wang", "王总", "wang@huawei.example", "CTO", is_decision_maker=True),
            Contact("c_li", "李工", "li@huawei.example", "engineer"),
        ],
    )
    return add_link(ch, T, f"lnk_{opp}", f"doc_{opp}", f"ver_{opp}", opp, contact_id="c_li",
                    name="李工")  # fmt: skip


def score(ch: ClickHouse, opp: str = "opp_1", **kw: object) -> Score:
    query = ScoringQuery(T, ScopeKind.OPPORTUNITY, [opp], NOW)
    return compute_scores(ch, query, ScoringSettings(**kw))[opp]  # type: ignore[arg-type]


def test_no_data_scores_zero_with_a_warning(clickhouse: ClickHouse) -> None:
    setup_opp(clickhouse)
    result = score(clickhouse)
    assert result.value == 0 and result.band == "cold"
    assert result.sufficiency.level == "none"
    assert [w.code for w in result.warnings] == ["no_engagement"]
    assert sum(c.max_points for c in result.components.values()) == pytest.approx(100)


def test_decay_halves_at_the_half_life(clickhouse: ClickHouse) -> None:
    fresh, old = setup_opp(clickhouse, "opp_new"), setup_opp(clickhouse, "opp_old")
    events = Events()
    events.read(fresh, NOW - timedelta(minutes=5), FULL)
    events.read(old, NOW - timedelta(days=7, minutes=5), FULL)
    events.insert(clickhouse)
    new, aged = score(clickhouse, "opp_new"), score(clickhouse, "opp_old")
    assert new.components["depth"].value == pytest.approx(1.0, abs=1e-3)
    assert aged.components["depth"].value == pytest.approx(0.5, abs=1e-3)
    assert aged.components["depth"].undecayed == pytest.approx(1.0)
    assert aged.components["breadth"].value == pytest.approx(
        new.components["breadth"].value / 2, abs=1e-3
    )
    assert aged.value < new.value
    assert "engagement_fading" in [f.code for f in aged.top_negative]


def test_a_two_second_glance_is_no_read(clickhouse: ClickHouse) -> None:
    glance, read = setup_opp(clickhouse, "opp_glance"), setup_opp(clickhouse, "opp_read")
    events = Events()
    events.read(glance, NOW - timedelta(hours=1), {1: 1_999, 2: 1_500})
    events.read(read, NOW - timedelta(hours=1), {1: 2_000})
    events.insert(clickhouse)
    none, some = score(clickhouse, "opp_glance"), score(clickhouse, "opp_read")
    assert none.depth == 0 and none.people == [] and none.value == 0
    assert none.sufficiency.level == "low"
    assert some.depth == pytest.approx(2 / 60 / 4, abs=1e-3)
    assert [p.name for p in some.people] == ["李工"]


def test_a_forward_raises_breadth(clickhouse: ClickHouse) -> None:
    link = setup_opp(clickhouse)
    events = Events()
    events.read(link, NOW - timedelta(hours=2), {1: 30_000})
    events.insert(clickhouse)
    before = score(clickhouse)
    events.read(link, NOW - timedelta(hours=1), {1: 30_000}, viewer="vwr_2", forwarded=True)
    events.insert(clickhouse)
    after = score(clickhouse)
    assert len(before.people) == 1 and len(after.people) == 2
    assert after.components["breadth"].value > before.components["breadth"].value
    assert after.value > before.value
    forwarded = next(p for p in after.people if p.forwarded)
    assert forwarded.name == "someone 李工 forwarded to"
    summary = next(f.summary for f in after.top_positive if f.code == "broad_engagement")
    assert "1 via a forward" in summary and "李工" in summary


def test_bot_events_change_nothing(clickhouse: ClickHouse) -> None:
    link = setup_opp(clickhouse)
    events = Events()
    events.read(link, NOW - timedelta(hours=3), {1: 40_000, 2: 20_000})
    events.insert(clickhouse)
    human = score(clickhouse)
    events.read(link, NOW - timedelta(hours=1), FULL, viewer="vwr_bot", bot=True)
    events.read(link, NOW - timedelta(days=2), FULL, viewer="vwr_bot2", bot=True)
    events.add(link, "download", NOW - timedelta(minutes=3), bot=True)
    events.insert(clickhouse)
    with_bots = score(clickhouse)
    assert with_bots.value == human.value
    assert with_bots.components == human.components
    assert with_bots.people == human.people and with_bots.downloads == 0
    assert with_bots.sufficiency.bot_events > 0 and human.sufficiency.bot_events == 0
    assert "bot_events_excluded" in [w.code for w in with_bots.warnings]


def test_pricing_focus_is_the_share_of_dwell_on_pricing_pages(clickhouse: ClickHouse) -> None:
    link = setup_opp(clickhouse, tags=[[], [], ["pricing"], []])
    events = Events()
    events.read(link, NOW - timedelta(hours=1), {1: 60_000, 2: 30_000, 3: 30_000})
    events.insert(clickhouse)
    result = score(clickhouse)
    assert result.pricing_focus == pytest.approx(0.25)
    assert result.components["pricing"].undecayed == 1.0  # 25 % ≥ the 20 % target
    assert "pricing_focus" in [f.code for f in result.top_positive + result.top_negative] or (
        result.components["pricing"].points > 0
    )


def test_untagged_documents_do_not_score_pricing(clickhouse: ClickHouse) -> None:
    link = setup_opp(clickhouse)
    events = Events()
    events.read(link, NOW - timedelta(hours=1), {1: 60_000})
    events.insert(clickhouse)
    result = score(clickhouse)
    assert "pricing" not in result.components
    assert "no_pricing_pages" in [w.code for w in result.warnings]
    assert sum(c.max_points for c in result.components.values()) == pytest.approx(100)


def test_revisit_needs_a_day_between_visits(clickhouse: ClickHouse) -> None:
    soon, later = setup_opp(clickhouse, "opp_soon"), setup_opp(clickhouse, "opp_later")
    events = Events()
    for link, gap in ((soon, timedelta(hours=2)), (later, timedelta(hours=25))):
        events.read(link, NOW - timedelta(hours=30), {1: 20_000})
        events.read(link, NOW - timedelta(hours=30) + gap, {2: 20_000})
    events.insert(clickhouse)
    assert score(clickhouse, "opp_soon").revisits == 0
    result = score(clickhouse, "opp_later")
    assert result.revisits == 1 and result.visits == 2
    assert result.components["revisit"].undecayed == 0.5


def test_decision_maker_meetings_and_downloads(clickhouse: ClickHouse) -> None:
    from tracker.crm.activities import Activity, record_activities

    link = setup_opp(clickhouse)
    events = Events()
    events.read(link, NOW - timedelta(hours=5), {1: 60_000})
    events.add(link, "download", NOW - timedelta(hours=4))
    events.insert(clickhouse)
    before = score(clickhouse)
    assert before.components["decision_maker"].value == 0
    assert "no_decision_maker" in [f.code for f in before.top_negative]
    record_activities(
        clickhouse,
        T,
        [Activity("m1", "opp_1", "meeting", NOW - timedelta(days=14), attendees=("c_wang",))],
    )
    after = score(clickhouse)
    assert after.components["meeting"].value == pytest.approx(0.5, abs=1e-3)  # 14 d half-life
    assert after.components["decision_maker"].value == pytest.approx(0.5, abs=1e-3)
    assert after.downloads == 1 and after.components["download"].undecayed == 1
    dm = next(p for p in after.people if p.is_decision_maker)
    assert dm.name == "王总"
    assert any("王总" in f.summary for f in after.top_positive)


def test_value_is_the_sum_of_points_and_explanations_add_up(clickhouse: ClickHouse) -> None:
    link = setup_opp(clickhouse, tags=[[], ["pricing"], [], []])
    events = Events()
    events.read(link, NOW - timedelta(days=3), {1: 60_000, 2: 45_000})
    events.read(link, NOW - timedelta(days=1), {3: 10_000}, viewer="vwr_9", forwarded=True)
    events.insert(clickhouse)
    result = score(clickhouse)
    assert result.value == pytest.approx(sum(c.points for c in result.components.values()), abs=0.1)
    shortfall = sum(c.max_points * (1 - c.undecayed) for c in result.components.values())
    fading = sum(c.max_points * (c.undecayed - c.value) for c in result.components.values())
    assert result.value + shortfall + fading == pytest.approx(100, abs=0.1)
    assert len(result.top_positive) <= 3 and len(result.top_negative) <= 3
    assert all(f.contribution > 0 for f in result.top_positive)
    assert all(f.contribution < 0 for f in result.top_negative)


def test_many_opportunities_in_one_round_and_tenant_isolation(clickhouse: ClickHouse) -> None:
    links = [setup_opp(clickhouse, f"opp_{i}") for i in range(5)]
    other = add_link(clickhouse, "ten_B", "lnk_b", "doc_b", "ver_b", "opp_0")
    events = Events()
    for i, link in enumerate(links):
        events.read(link, NOW - timedelta(hours=1), {p: 60_000 for p in range(1, i + 1)})
    events.read(other, NOW - timedelta(hours=1), FULL)
    events.insert(clickhouse)
    everything = compute_scores(
        clickhouse, ScoringQuery(T, ScopeKind.OPPORTUNITY, None, NOW), TUNING
    )
    assert sorted(everything) == [f"opp_{i}" for i in range(5)]
    depths = [everything[f"opp_{i}"].depth for i in range(5)]
    assert depths == pytest.approx([0, 0.25, 0.5, 0.75, 1.0], abs=0.01)
    assert score(clickhouse, "opp_0").value == 0  # tenant B's reads of "opp_0" never count


def test_recipient_and_version_scopes(clickhouse: ClickHouse) -> None:
    link = setup_opp(clickhouse)
    events = Events()
    events.read(link, NOW - timedelta(hours=1), FULL)
    events.insert(clickhouse)
    recipients = compute_scores(
        clickhouse,
        ScoringQuery(T, ScopeKind.RECIPIENT, None, NOW, within_opportunity="opp_1"),
        TUNING,
    )
    versions = compute_scores(
        clickhouse, ScoringQuery(T, ScopeKind.DOCUMENT_VERSION, ["ver_opp_1"], NOW), TUNING
    )
    assert recipients["lnk_opp_1"].label == "李工"
    assert "meeting" not in recipients["lnk_opp_1"].components
    assert versions["ver_opp_1"].label == "报价单 (v1)"
    assert versions["ver_opp_1"].depth == pytest.approx(1.0, abs=0.01)


def test_a_score_as_of_a_date_ignores_later_events(clickhouse: ClickHouse) -> None:
    link = setup_opp(clickhouse, "opp_asof")
    events = Events()
    events.read(link, NOW - timedelta(hours=2), {1: 60_000})
    events.read(link, NOW + timedelta(hours=1), FULL)  # received after the as-of moment
    events.insert(clickhouse)
    as_of = score(clickhouse, "opp_asof")
    assert as_of.components["depth"].undecayed == pytest.approx(0.25, abs=1e-3)
