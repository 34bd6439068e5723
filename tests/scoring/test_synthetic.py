"""The synthetic data generator: reproducible, loads into the real store (chDB) with matching
counts, hidden quality drives outcomes and engagement, history is point-in-time safe,
tenants are isolated."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from functools import cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import ingest
from scoring.health.meeting_series import SeriesMeeting, series_signals
from scoring.synthetic.arrow import EVENT_COLUMNS
from scoring.synthetic.dataset import ENTITY_TABLES, SyntheticDataset, generate, load
from tracker.config import ScoringSettings
from tracker.stores.clickhouse import ClickHouse

START = date(2025, 1, 1)


@cache
def dataset(n: int = 1000, seed: int = 42) -> SyntheticDataset:
    return generate(n, seed=seed, start=START, days=365)


def events(ds: SyntheticDataset) -> pa.Table:
    return pa.concat_tables(ds.events())


def test_event_columns_are_the_ingest_schema() -> None:
    assert EVENT_COLUMNS == ingest.EVENT_COLUMNS


def test_same_seed_gives_identical_rows_and_another_seed_does_not() -> None:
    a, b = generate(150, seed=5, start=START), generate(150, seed=5, start=START)
    for name in ENTITY_TABLES:
        assert a.tables[name].equals(b.tables[name]), name
    assert events(a).equals(events(b))
    assert a.truth.equals(b.truth)
    other = generate(150, seed=6, start=START)
    assert not other.truth.column("quality").equals(a.truth.column("quality"))


def test_a_thousand_opportunities_load_with_matching_counts(clickhouse: ClickHouse) -> None:
    ds = dataset()
    counts = load(clickhouse, ds)
    assert counts["events"] >= 50_000
    db = clickhouse.database
    for name, expected in counts.items():
        (row,) = clickhouse.query(f"SELECT count() AS n FROM {db}.{name}")
        assert row["n"] == expected, name
    (opps,) = clickhouse.query(f"SELECT count() AS n FROM {db}.opportunities FINAL")
    assert opps["n"] == 1000
    # every current opportunity has its contacts (same version), and a decision-maker mostly
    (row,) = clickhouse.query(
        f"SELECT count() AS n, countIf(dm > 0) AS with_dm FROM (SELECT o.opportunity_id, "
        f"sum(c.is_decision_maker) AS dm FROM {db}.opportunities AS o FINAL "
        f"JOIN {db}.contacts AS c FINAL ON c.opportunity_id = o.opportunity_id "
        "AND c.version = o.version GROUP BY o.opportunity_id)"
    )
    assert row["n"] == 1000 and row["with_dm"] > 800
    # tenants are isolated: no row points at another tenant's opportunity, link or document
    for table, key in (("events", "link_id"), ("links", "document_id")):
        parent = "links" if key == "link_id" else "documents"
        (row,) = clickhouse.query(
            f"SELECT countIf(p.tenant_id != t.tenant_id) AS foreign, count() AS n "
            f"FROM {db}.{table} AS t JOIN {db}.{parent} AS p ON p.{key} = t.{key}"
        )
        assert row["foreign"] == 0 and row["n"] == counts[table], table
    (row,) = clickhouse.query(
        f"SELECT countIf(o.tenant_id != a.tenant_id) AS foreign FROM {db}.activities AS a "
        f"JOIN {db}.opportunities AS o FINAL ON o.opportunity_id = a.opportunity_id"
    )
    assert row["foreign"] == 0
    # nothing is observed after the deal closed
    (row,) = clickhouse.query(
        f"SELECT countIf(e.received_at > o.closed_at) AS late_events FROM {db}.events AS e "
        f"JOIN {db}.outcomes AS o ON o.opportunity_id = e.opportunity_id"
    )
    assert row["late_events"] == 0


def test_won_rate_rises_with_hidden_quality() -> None:
    truth = dataset().truth
    quality = truth.column("quality").to_numpy()
    won = np.asarray(truth.column("won").to_pylist(), float)
    thirds = np.quantile(quality, [1 / 3, 2 / 3])
    rates = [
        won[quality < thirds[0]].mean(),
        won[(quality >= thirds[0]) & (quality < thirds[1])].mean(),
        won[quality >= thirds[1]].mean(),
    ]
    assert rates[0] + 0.1 < rates[1] < rates[2] - 0.1, rates


def test_engagement_correlates_with_hidden_quality() -> None:
    ds = dataset()
    ev = events(ds)
    human = ev.filter(pc.and_(pc.equal(ev["is_bot"], 0), pc.equal(ev["event_type"], "page_dwell")))
    dwell = human.group_by("opportunity_id").aggregate([("dwell_ms", "sum")])
    per_opp = dict(
        zip(dwell["opportunity_id"].to_pylist(), dwell["dwell_ms_sum"].to_pylist(), strict=True)
    )
    ids = ds.truth.column("opportunity_id").to_pylist()
    q = ds.truth.column("quality").to_numpy()
    total = np.asarray([per_opp.get(i, 0) for i in ids], float)
    assert np.corrcoef(q, total)[0, 1] > 0.3
    # and outcomes follow engagement the way calibration needs it to
    won = np.asarray(ds.truth.column("won").to_pylist())
    assert total[won].mean() > 1.5 * total[~won].mean()


def test_events_look_like_the_beacon_writes_them() -> None:
    ev = events(dataset())
    kinds = set(ev.column("event_type").to_pylist())
    assert kinds == {
        "link_click",
        "pixel_open",
        "view_start",
        "page_dwell",
        "visit_end",
        "download",
    }
    dwell = ev.filter(pc.equal(ev["event_type"], "page_dwell"))
    assert pc.max(dwell["dwell_ms"]).as_py() <= 10_000 and pc.min(dwell["page"]).as_py() >= 1
    bots = ev.filter(pc.equal(ev["is_bot"], 1))
    assert bots.num_rows > 0
    assert set(bots.column("bot_reason").to_pylist()) == {
        "scanner_timing",
        "bot_user_agent",
        "headless",
    }
    assert set(bots.column("visit_id").to_pylist()) == {""}
    assert pc.sum(bots["forwarded"]).as_py() == 0
    forwarded = ev.filter(pc.equal(ev["forwarded"], 1))
    assert forwarded.num_rows > 0 and pc.count_distinct(forwarded["viewer_id"]).as_py() > 10
    assert pc.count_distinct(ev["event_id"]).as_py() == ev.num_rows


def test_history_is_point_in_time() -> None:
    ds = dataset()
    end_ms = int(ds.end.timestamp() * 1000)
    opps = ds.tables["opportunities"]
    assert pc.max(opps["updated_at"]).cast(pa.int64()).as_py() <= end_ms
    assert opps.num_rows == 1000  # the state at the end; history is in the activities
    closed = ds.tables["outcomes"]
    assert closed.num_rows == sum(ds.truth.column("closed").to_pylist())
    stages = set(opps.column("stage").to_pylist())
    assert {"prospecting", "negotiation", "closed_won", "closed_lost"} <= stages
    activities = ds.tables["activities"]
    changes = activities.filter(pc.equal(activities["activity_type"], "stage_change"))
    order = ["prospecting", "qualification", "discovery", "proposal", "negotiation"]
    regressions = sum(
        1
        for f, t in zip(
            changes["from_stage"].to_pylist(), changes["to_stage"].to_pylist(), strict=True
        )
        if t in order and order.index(t) < order.index(f)
    )
    assert regressions > 0
    assert "close_date_change" in set(activities.column("activity_type").to_pylist())
    assert pc.max(activities["occurred_at"]).cast(pa.int64()).as_py() <= end_ms
    # activities and events of a closed deal all precede its outcome
    closed_at = dict(
        zip(
            closed["opportunity_id"].to_pylist(),
            closed["closed_at"].cast(pa.int64()).to_pylist(),
            strict=True,
        )
    )
    for table, column in ((activities, "occurred_at"), (events(ds), "client_ts")):
        latest = table.group_by("opportunity_id").aggregate([(column, "max")])
        for opp, at in zip(
            latest["opportunity_id"].to_pylist(),
            latest[f"{column}_max"].cast(pa.int64()).to_pylist(),
            strict=True,
        ):
            assert at <= closed_at.get(opp, end_ms), (table, opp)


def test_people_have_chinese_and_english_names() -> None:
    names = dataset().tables["contacts"].column("name").to_pylist()
    cjk = [n for n in names if re.search(r"[\u4e00-\u9fff]", n)]
    assert len(cjk) > 0.6 * len(names)
    assert any(re.fullmatch(r"[A-Za-z]+ [A-Za-z]+", n) for n in names)
    currencies = set(dataset().tables["opportunities"].column("currency").to_pylist())
    assert currencies == {"CNY", "USD"}


def test_direction_held_meetings_and_revisions_follow_hidden_quality() -> None:
    ds = dataset()
    acts = ds.tables["activities"]
    quality = ds.quality
    strong = {k for k, q in quality.items() if q >= 0.6}
    weak = {k for k, q in quality.items() if q <= 0.4}

    def share(rows: list[dict[str, object]], ids: set[str], test: str) -> float:
        mine = [r for r in rows if r["opportunity_id"] in ids]
        return sum(1 for r in mine if r[test]) / max(len(mine), 1)

    rows = acts.select(["opportunity_id", "activity_type", "direction", "held"]).to_pylist()
    talk = [r for r in rows if r["activity_type"] in ("email", "call", "meeting")]
    for r in talk:
        r["inbound"] = r["direction"] == "inbound"
    assert {r["direction"] for r in talk} == {"inbound", "outbound", ""}
    assert share(talk, strong, "inbound") > share(talk, weak, "inbound") + 0.1
    meetings = [r for r in rows if r["activity_type"] == "meeting"]
    for r in meetings:
        r["was_held"] = r["held"] == 1
    assert {r["held"] for r in meetings} == {0, 1, None}
    assert share(meetings, strong, "was_held") > share(meetings, weak, "was_held")
    assert all(r["held"] is None for r in rows if r["activity_type"] != "meeting")
    revisions = [r["opportunity_id"] for r in rows if r["activity_type"] == "proposal_revision"]
    per_deal = {name: sum(1 for o in revisions if o in ids) / len(ids)
                for name, ids in (("strong", strong), ("weak", weak))}  # fmt: skip
    assert per_deal["strong"] > per_deal["weak"] > 0


def test_weak_deals_suddenly_cancel_their_recurring_meetings() -> None:
    """突然取消定期会议 from the hidden quality: among deals holding a recurring series, a weak
    deal's series trips the two-cancellations-in-30-days signal more often."""
    ds = dataset()
    rules = ScoringSettings().early_warning
    columns = ["opportunity_id", "activity_id", "held", "series_id", "occurred_at"]
    series: dict[str, list[SeriesMeeting]] = defaultdict(list)
    for r in ds.tables["activities"].select(columns).to_pylist():
        if r["series_id"]:
            held = None if r["held"] is None else bool(r["held"])
            series[r["opportunity_id"]].append(
                SeriesMeeting(r["activity_id"], r["series_id"], r["occurred_at"], held)
            )
    assert len(series) > 200  # about half the deals with meetings hold a series

    def tripped(meetings: list[SeriesMeeting]) -> bool:
        return any(
            s.code == "recurring_meetings_cancelled"
            for m in meetings
            if m.held is False
            for s in series_signals(meetings, m.occurred_at, rules)
        )

    def rate(ids: list[str]) -> float:
        return sum(tripped(series[k]) for k in ids) / len(ids)

    weak = [k for k in series if ds.quality[k] <= 0.4]
    strong = [k for k in series if ds.quality[k] >= 0.6]
    assert rate(weak) > rate(strong) + 0.05
