"""The values `compute_values` reads from its own value rows are exactly the values of the full
scores, on a generated store: in every scope, from the rollup and from the raw events, for a
tenant that scores its page tags too, and as of a moment before some events (where the
rollup cannot answer and the raw events must)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from scoring import EventSource, ScopeKind, ScoringQuery, compute_scores
from scoring.engagement.service import compute_values
from tests.scoring.support import synthetic_tenant
from tracker.config import ScoringSettings
from tracker.stores.clickhouse import ClickHouse

START, DAYS = date(2025, 4, 1), 120
END = datetime(2025, 4, 1, tzinfo=UTC) + timedelta(days=DAYS)
TAGGED = {"competitor_comparison": {"weight": 10}, "security": {"weight": 5}}


@pytest.fixture
def tenant(clickhouse: ClickHouse) -> str:
    return synthetic_tenant(clickhouse, 50, seed=23, start=START, days=DAYS)


def _check(ch: ClickHouse, query: ScoringQuery, tuning: ScoringSettings) -> int:
    full = {k: s.value for k, s in compute_scores(ch, query, tuning).items()}
    assert compute_values(ch, query, tuning) == full
    return sum(v > 0 for v in full.values())


@pytest.mark.parametrize("source", [EventSource.ROLLUP, EventSource.RAW])
@pytest.mark.parametrize("tags", [{}, TAGGED], ids=["untagged", "tagged"])
def test_values_are_the_full_scores_values_in_every_scope(
    clickhouse: ClickHouse, tenant: str, source: EventSource, tags: dict[str, object]
) -> None:
    tuning = ScoringSettings().merged({"engagement": {"page_tags": tags}})
    for scope in ScopeKind:
        everything = ScoringQuery(tenant, scope, None, END, source=source)
        assert _check(clickhouse, everything, tuning) > 5  # a store with engagement
        keys = sorted(compute_scores(clickhouse, everything, tuning))
        some = [*keys[::3], "never-seen"]  # a key without data: the empty score's value
        _check(clickhouse, ScoringQuery(tenant, scope, some, END, source=source), tuning)
        _check(clickhouse, ScoringQuery(tenant, scope, keys[:1], END, source=source), tuning)
    opportunities = ScoringQuery(tenant, ScopeKind.OPPORTUNITY, None, END, source=source)
    for opportunity in sorted(compute_scores(clickhouse, opportunities, tuning))[:3]:
        for scope in (ScopeKind.RECIPIENT, ScopeKind.DOCUMENT_VERSION):
            within = ScoringQuery(
                tenant, scope, None, END, within_opportunity=opportunity, source=source
            )
            _check(clickhouse, within, tuning)


def test_before_the_newest_events_the_values_are_those_of_the_raw_events(
    clickhouse: ClickHouse, tenant: str
) -> None:
    tuning = ScoringSettings().merged({"engagement": {"page_tags": TAGGED}})
    earlier = END - timedelta(days=30)
    query = ScoringQuery(tenant, ScopeKind.OPPORTUNITY, None, earlier)
    assert _check(clickhouse, query, tuning) > 5
    raw = ScoringQuery(tenant, ScopeKind.OPPORTUNITY, None, earlier, source=EventSource.RAW)
    assert compute_values(clickhouse, query, tuning) == compute_values(clickhouse, raw, tuning)
