"""近期密集查阅竞品页面 — a tenant's own page tags with weights as engagement components, on
hand-built reads with known answers: the tag's points are its weight rescaled with what
applies, the other components make room by exactly that, and no weight means no component."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from scoring import ScopeKind, ScoringQuery, compute_scores
from scoring.model import Score
from tests.scoring.support import NOW, Events
from tests.scoring.test_engagement import T, setup_opp
from tracker.config import ScoringSettings
from tracker.stores.clickhouse import ClickHouse

TAG = "competitor_comparison"


def scored(ch: ClickHouse, overrides: dict[str, object]) -> Score:
    tuning = ScoringSettings().merged({"engagement": overrides})
    return compute_scores(ch, ScoringQuery(T, ScopeKind.OPPORTUNITY, ["opp_1"], NOW), tuning)[
        "opp_1"
    ]


def test_a_tenant_tag_weight_adds_its_contribution(clickhouse: ClickHouse) -> None:
    link = setup_opp(clickhouse, tags=[[], [], [TAG], []])
    events = Events()
    # half of the reading on the competitor comparison (≥ the 20 % target: full raw value)
    events.read(link, NOW - timedelta(hours=1), {1: 60_000, 3: 60_000})
    events.insert(clickhouse)
    without = scored(clickhouse, {})
    assert f"tag:{TAG}" not in without.components  # the tenant gave the tag no weight
    # Without pricing pages the fixed weights that apply sum to 90; a tag worth 10 makes 100.
    weighted = scored(clickhouse, {"page_tags": {TAG: {"meaning": "竞品对比", "weight": 10}}})
    tag = weighted.components[f"tag:{TAG}"]
    assert tag.max_points == pytest.approx(10.0)
    assert tag.undecayed == 1.0
    assert tag.points == pytest.approx(10.0 * 2 ** (-1 / (7 * 24)), abs=0.01)
    # every other component keeps its share: its points shrink by 90 / 100
    others = sum(c.points for name, c in without.components.items())
    assert weighted.value == pytest.approx(others * 0.9 + tag.points, abs=0.1)
    factor = next(f for f in weighted.top_positive if f.code == "page_tag_read")
    assert factor.contribution == pytest.approx(tag.points, abs=0.01)
    assert factor.summary == f"50% of reading time on {TAG} pages"


def test_a_tag_nobody_read_falls_short_and_an_absent_tag_is_not_scored(
    clickhouse: ClickHouse,
) -> None:
    link = setup_opp(clickhouse, tags=[[], [], [TAG], []])
    events = Events()
    events.read(link, NOW - timedelta(hours=1), {1: 60_000})
    events.insert(clickhouse)
    s = scored(clickhouse, {"page_tags": {TAG: {"weight": 10}, "security": {"weight": 10}}})
    assert s.components[f"tag:{TAG}"].undecayed == 0.0  # on the document, not read
    assert "tag:security" not in s.components  # no page carries it


@pytest.mark.parametrize("tag", ["pricing", "Has Space", "竞品"])
def test_tag_names_are_checked(tag: str) -> None:
    with pytest.raises(ValidationError):
        ScoringSettings().merged({"engagement": {"page_tags": {tag: {"weight": 5}}}})
