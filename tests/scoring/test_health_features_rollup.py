"""The health features' page reads (who read, which documents, how deep, the proof ids) come
from the engagement rollup when it can answer — as of now — and give exactly what the raw
events give (issue 17); as of a past moment they come from the raw events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta

import pytest

from scoring import EventSource, load_tenant_scoring
from scoring.engagement.rollup_repository import ROLLUP
from scoring.health.features import features_as_of
from scoring.health.repository import rollup_answers
from tests.scoring.support import synthetic_tenant
from tracker.config import Settings
from tracker.privacy.rollups import rollup_selects
from tracker.stores.clickhouse import ClickHouse

START, DAYS = date(2025, 5, 1), 150
END = datetime(2025, 5, 1, tzinfo=UTC) + timedelta(days=DAYS)


@pytest.fixture
def tenant(clickhouse: ClickHouse) -> str:
    return synthetic_tenant(clickhouse, 60, seed=23, start=START, days=DAYS)


@pytest.fixture
def partial_rows(clickhouse: ClickHouse, tenant: str) -> Iterator[None]:
    """The rollup rebuilt from the events in two halves with merges stopped, so most keys
    are held by two partly aggregated rows, as between a busy writer's inserts and their
    merge (a store loaded at once holds one row per key and would prove nothing of that)."""
    db, table = clickhouse.database, ROLLUP
    select = rollup_selects(clickhouse, (table,))[table]
    clickhouse.command(f"SYSTEM STOP MERGES {db}.{table}")
    try:
        clickhouse.command(f"TRUNCATE TABLE {db}.{table}")
        for half in (0, 1):
            split = f"(SELECT * FROM {db}.events WHERE cityHash64(event_id) % 2 = {half})"
            clickhouse.command(
                f"INSERT INTO {db}.{table} SELECT * FROM ("
                + select.replace(f"FROM {db}.events", f"FROM {split}")
                + ")"
            )
        (row,) = clickhouse.query(
            "SELECT count() AS rows, uniqExact(opportunity_id, document_id, link_id, "
            f"version_id, visit_id, page, person) AS keys FROM {db}.{table}"
        )
        assert row["rows"] > 1.5 * row["keys"]
        yield
    finally:
        clickhouse.command(f"SYSTEM START MERGES {db}.{table}")


@pytest.mark.usefixtures("partial_rows")
def test_the_rollup_gives_the_raw_events_people_and_documents(
    clickhouse: ClickHouse, tenant: str
) -> None:
    tuning = load_tenant_scoring(clickhouse, tenant, Settings().scoring).tuning
    assert rollup_answers(clickhouse, tenant, END)
    for keys in (None, sorted(features_as_of(clickhouse, tenant, None, END, tuning))[:9]):
        rolled = features_as_of(clickhouse, tenant, keys, END, tuning, source=EventSource.ROLLUP)
        raw = features_as_of(clickhouse, tenant, keys, END, tuning, source=EventSource.RAW)
        assert sorted(rolled) == sorted(raw)
        people = [p for f in raw.values() for p in f.people if p.read_ms > 0]
        docs = [d for f in raw.values() for d in f.docs]
        # a store that exercises what is compared: readers with proof, forwards, pricing
        assert people and all(p.event_ids for p in people)
        assert any(p.forwarded for p in people) and any(d.pricing_ms > 0 for d in docs)
        for k, f in raw.items():
            assert [asdict(p) for p in rolled[k].people] == [asdict(p) for p in f.people], k
            assert [asdict(d) for d in rolled[k].docs] == [asdict(d) for d in f.docs], k
            assert rolled[k] == f, k


def test_a_past_moment_is_answered_from_the_raw_events(clickhouse: ClickHouse, tenant: str) -> None:
    """The rollup keeps no per-event time: as of a day with later reads it cannot answer, and
    the features as of then are the raw events' (reads after it not counted)."""
    tuning = load_tenant_scoring(clickhouse, tenant, Settings().scoring).tuning
    past = END - timedelta(days=40)
    assert not rollup_answers(clickhouse, tenant, past)
    then = features_as_of(clickhouse, tenant, None, past, tuning)
    assert then == features_as_of(clickhouse, tenant, None, past, tuning, source=EventSource.RAW)
    now = features_as_of(clickhouse, tenant, None, END, tuning)
    read_then = sum(p.read_ms for f in then.values() for p in f.people)
    assert 0 < read_then < sum(p.read_ms for f in now.values() for p in f.people)
    latest = max(
        (p.last_read_at for f in then.values() for p in f.people if p.last_read_at), default=None
    )
    assert latest is not None and latest <= past
