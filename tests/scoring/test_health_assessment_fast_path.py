"""The health assessment's fast path (issue 17) gives what the validating path gave, on every
opportunity of a generated store:

- the pillars, factors, actions, evidence and results it builds without validation
  (`scoring.trusted`) are exactly what pydantic validation makes of the same data (validating
  each result again changes nothing and raises nothing — so no value is out of range and no
  field needed coercion);
- the engagement values it reads (`compute_values`) are the values of the full scores
  (`compute_scores`), from the rollup and from the raw events, for the whole tenant at once
  and in batches;
- the bands, values and evidence do not depend on how the pillar weights were resolved;
- reading concurrently (the feature, engagement and account reads beside the per-deal
  Python) gives what the same parts give one after another, for all deals and open ones;
- the accounts are read before the engagement (what needs only them is computed meanwhile);
- a rep's briefing, assessing only the deals its rep ever held, says what one assessing the
  whole tenant said."""

from __future__ import annotations

import gc
import json
import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from scoring import (
    EventSource,
    ScopeKind,
    ScoringQuery,
    TenantScoring,
    assess,
    compute_scores,
    load_tenant_scoring,
)
from scoring.accounts import assess_accounts
from scoring.engagement.service import compute_values
from scoring.forecast.evidence import ForecastEvidence
from scoring.health import assess as health_assess
from scoring.health.assess import HealthResult, _assess_one, collector_paused
from scoring.health.briefing import briefing_deals, held_by, ranked_briefings
from scoring.health.features import features_as_of, tenant_stats
from tests.scoring.support import synthetic_tenant
from tracker.config import Settings
from tracker.crm import ever_owned_by, list_accounts
from tracker.stores.clickhouse import ClickHouse

START, DAYS = date(2025, 5, 1), 150
END = datetime(2025, 5, 1, tzinfo=UTC) + timedelta(days=DAYS)


@pytest.fixture
def tenant(clickhouse: ClickHouse) -> str:
    return synthetic_tenant(clickhouse, 80, seed=17, start=START, days=DAYS)


def _scoring(ch: ClickHouse, tenant: str) -> TenantScoring:
    return load_tenant_scoring(ch, tenant, Settings().scoring)


def test_every_constructed_result_is_what_validation_makes_of_it(
    clickhouse: ClickHouse, tenant: str
) -> None:
    scoring = _scoring(clickhouse, tenant)
    found = assess(clickhouse, scoring, tenant, None, END, now=END)
    assert len(found) == 80
    bands = {a.health.band for a in found.values()}
    assert len(bands) > 1  # a store that exercises more than one band
    assert any(a.health.top_negative for a in found.values())
    for assessment in found.values():
        built = assessment.health
        validated = HealthResult.model_validate(built.model_dump())
        assert validated.model_dump_json() == built.model_dump_json()
        assert validated == built
        evidence = assessment.evidence
        again = ForecastEvidence.model_validate(evidence.model_dump())
        assert again.model_dump_json() == evidence.model_dump_json()
        assert again == evidence


@pytest.mark.parametrize("source", [EventSource.ROLLUP, EventSource.RAW])
def test_engagement_values_are_the_full_scores_values(
    clickhouse: ClickHouse, tenant: str, source: EventSource
) -> None:
    tuning = _scoring(clickhouse, tenant).tuning
    ids = sorted(assess(clickhouse, _scoring(clickhouse, tenant), tenant, None, END, now=END))
    ids.append("opp-never-seen")  # no data: the empty score's value, as before
    for keys in (ids, ids[:7], None):
        query = ScoringQuery(tenant, ScopeKind.OPPORTUNITY, keys, END, source=source)
        full = {k: s.value for k, s in compute_scores(clickhouse, query, tuning).items()}
        assert compute_values(clickhouse, query, tuning) == full
        assert full  # a store with engagement


def test_the_assessment_does_not_depend_on_where_the_weights_were_resolved(
    clickhouse: ClickHouse, tenant: str
) -> None:
    """`assess` resolves the pillar weights once; `_assess_one` alone resolves them itself."""
    scoring = _scoring(clickhouse, tenant)
    found = assess(clickhouse, scoring, tenant, None, END, now=END, with_engagement=False)
    features = features_as_of(clickhouse, tenant, None, END, scoring.tuning)
    stats = tenant_stats(clickhouse, tenant, END, scoring.tuning)
    for k, f in features.items():
        alone = _assess_one(f, stats, scoring, None, END)
        for part in ("health", "evidence"):
            mine = getattr(alone, part).model_dump_json()
            theirs = getattr(found[k], part).model_dump_json()
            assert json.loads(mine) == json.loads(theirs)  # proof ids included


@pytest.mark.parametrize("open_only", [False, True])
def test_the_concurrent_reads_give_what_the_parts_give_in_turn(
    clickhouse: ClickHouse, tenant: str, open_only: bool
) -> None:
    scoring = _scoring(clickhouse, tenant)
    t = scoring.tuning
    found = assess(clickhouse, scoring, tenant, None, END, now=END, open_only=open_only)
    features = features_as_of(clickhouse, tenant, None, END, t)
    if open_only:
        features = {k: f for k, f in features.items() if f.is_open}
    assert sorted(found) == sorted(features) and len(features) > 0
    stats = tenant_stats(clickhouse, tenant, END, t)
    query = ScoringQuery(tenant, ScopeKind.OPPORTUNITY, sorted(features), END)
    values = compute_values(clickhouse, query, t)
    known = list_accounts(clickhouse, tenant, ids=sorted({f.account for f in features.values()}),
                          limit=len(features))  # fmt: skip
    accounts = {
        h.account_id: h for h in assess_accounts(clickhouse, tenant, known, END, t.accounts)
    }
    assert accounts and any(v > 0 for v in values.values())  # both feed the pillars here
    for k, f in features.items():
        alone = _assess_one(f, stats, scoring, values.get(k), END, accounts.get(f.account))
        for part in ("health", "evidence"):
            mine = json.loads(getattr(alone, part).model_dump_json())
            theirs = json.loads(getattr(found[k], part).model_dump_json())
            assert mine == theirs, (k, part)  # proof ids included


def test_the_collector_is_back_as_it_was_after_an_assessment(
    clickhouse: ClickHouse, tenant: str
) -> None:
    """The assessment pauses the cyclic garbage collector (process-wide) and must leave it as
    it found it — on for everyone else, off for a caller that had switched it off."""
    scoring = _scoring(clickhouse, tenant)
    assert gc.isenabled()
    assess(clickhouse, scoring, tenant, None, END, now=END)
    assert gc.isenabled()
    gc.disable()
    try:
        assess(clickhouse, scoring, tenant, None, END, now=END)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_caller_can_hold_the_collector_paused_until_it_dropped_the_results(
    clickhouse: ClickHouse, tenant: str
) -> None:
    """Switched back on while the results live, the collector walks every one of them; a
    caller that frees them first holds it paused until then (`collector_paused`)."""
    scoring = _scoring(clickhouse, tenant)
    with collector_paused():
        found = assess(clickhouse, scoring, tenant, None, END, now=END)
        assert found and not gc.isenabled()  # still paused: the assessment did not switch it on
        del found
    assert gc.isenabled()


class _Recorded:
    """The store, recording which of the assessment's live reads ran each query."""

    def __init__(self, ch: ClickHouse) -> None:
        self._ch = ch
        self.reader = threading.local()
        self.order: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ch, name)

    def query(self, sql: str, params: Any = None) -> Any:
        self.order.append(getattr(self.reader, "name", ""))
        return self._ch.query(sql, params)

    def query_arrow(self, sql: str, params: Any = None) -> Any:
        self.order.append(getattr(self.reader, "name", ""))
        return self._ch.query_arrow(sql, params)


def test_the_accounts_are_read_before_the_engagement(
    clickhouse: ClickHouse, tenant: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What needs only the accounts is computed while the engagement is read: that holds only
    if the engine answers the accounts' queries first, not between the engagement's."""
    recorded = _Recorded(clickhouse)

    def named(name: str, read: Any) -> Any:
        def run(*args: Any) -> Any:
            recorded.reader.name = name
            try:
                return read(*args)
            finally:
                recorded.reader.name = ""

        return run

    for name in ("accounts", "engagement"):
        read = getattr(health_assess, f"_{name}")
        monkeypatch.setattr(health_assess, f"_{name}", named(name, read))
    scoring = _scoring(clickhouse, tenant)
    found = assess(recorded, scoring, tenant, None, END, now=END)  # type: ignore[arg-type]
    assert found
    live = [name for name in recorded.order if name]
    assert "accounts" in live and "engagement" in live
    assert live == sorted(live)  # every accounts query before the first engagement query


def test_a_briefing_assesses_only_its_owners_deals_and_says_what_the_tenant_wide_one_did(
    clickhouse: ClickHouse, tenant: str
) -> None:
    """Each rep's briefing assesses the deals its rep ever held, not the whole tenant; the
    briefings are those of the tenant-wide assessment, for every owner (any letter case)."""
    settings = Settings()
    scoring = load_tenant_scoring(clickhouse, tenant, settings.scoring)
    found = assess(clickhouse, scoring, tenant, None, END, now=END, open_only=True)
    owners = sorted({a.features.owner for a in found.values()})
    assert len(owners) > 1
    briefed = 0
    for owner in owners:
        reference = ranked_briefings(clickhouse, tenant, held_by(found, owner), END, limit=10)
        for asked in (owner, owner.upper()):
            assert briefing_deals(clickhouse, settings, tenant, asked, END) == reference
        assert len(ever_owned_by(clickhouse, tenant, owner)) < len(found)
        briefed += len(reference)
    assert briefed > 0  # some deal needs attention
