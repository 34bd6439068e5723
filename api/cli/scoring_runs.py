"""`dealsignal scoring`: run scoring now over a whole tenant — what the scheduled jobs and the
bulk pulls do — and report how long it took and what ClickHouse read for it (the engine's own
`system.events` counters, which chDB keeps; it keeps no `system.query_log`)."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import typer

from api.cli.store import open_store, tenant_named
from tracker.config import Settings

if TYPE_CHECKING:
    from scoring import EventSource
    from tracker.stores import ClickHouse

__all__ = ["scoring_app"]

scoring_app = typer.Typer(
    help="Run scoring now over a whole tenant and report what it read.", no_args_is_help=True
)

_COUNTERS = ("SelectQuery", "SelectedRows", "SelectedBytes", "SelectQueryTimeMicroseconds")


def _counters(ch: ClickHouse) -> dict[str, float]:
    names = ", ".join(f"'{name}'" for name in _COUNTERS)  # constants, not input
    rows = ch.query(f"SELECT event, value FROM system.events WHERE event IN ({names})")
    found = {str(row["event"]): float(row["value"]) for row in rows}
    return {name: found.get(name, 0.0) for name in _COUNTERS}


@contextmanager
def _measured(ch: ClickHouse, report: dict[str, object]) -> Iterator[None]:
    """Fills `report` with the wall seconds and the engine's reads of the block."""
    before, started = _counters(ch), time.perf_counter()
    yield
    seconds = time.perf_counter() - started
    after = _counters(ch)
    read = {name: after[name] - before[name] for name in _COUNTERS}
    report["seconds"] = round(seconds, 3)
    report["engine"] = {
        "select_queries": int(read["SelectQuery"]),
        "rows_read": int(read["SelectedRows"]),
        "bytes_read": int(read["SelectedBytes"]),
        "query_seconds": round(read["SelectQueryTimeMicroseconds"] / 1e6, 3),
    }


def _as_of(value: str) -> datetime:
    if not value:
        return datetime.now(UTC)
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


_SOURCE_HELP = "where engagement reads events: rollup (default) or raw (the reference path)"


def _source(value: str) -> EventSource:
    from scoring import EventSource

    try:
        return EventSource(value)
    except ValueError:
        raise typer.BadParameter(f"expected rollup or raw, not {value!r}") from None


@scoring_app.command("assess")
def assess_tenant(
    tenant: str = typer.Option(..., help="tenant name"),
    as_of: str = typer.Option("", help="ISO date-time (default: now); past = point in time"),
    engagement: bool = typer.Option(True, help="include the live engagement score"),
    source: str = typer.Option("rollup", help=_SOURCE_HELP),
) -> None:
    """Health, bands and evidence of every opportunity of the tenant, as of a time. Prints
    one JSON object: how many, per band, seconds, and what the engine read."""
    from scoring import assess, collector_paused, load_tenant_scoring

    settings = Settings()
    when, events = _as_of(as_of), _source(source)
    report: dict[str, object] = {
        "as_of": when.isoformat(),
        "with_engagement": engagement,
        "source": events.value,
    }
    with open_store(settings) as ch:
        tenant_id = tenant_named(ch, tenant)
        scoring = load_tenant_scoring(ch, tenant_id, settings.scoring)
        # counted and freed before the collector is back on, which then never walks them
        with collector_paused():
            with _measured(ch, report):
                found = assess(
                    ch, scoring, tenant_id, None, when, now=when, with_engagement=engagement,
                    source=events,
                )  # fmt: skip
            bands = Counter(a.health.band.value for a in found.values())
            report["opportunities"] = len(found)
            del found
    report["bands"] = dict(sorted(bands.items()))
    typer.echo(json.dumps(report, ensure_ascii=False))


@scoring_app.command("engagement")
def engagement_all(
    tenant: str = typer.Option(..., help="tenant name"),
    as_of: str = typer.Option("", help="ISO date-time (default: now)"),
    source: str = typer.Option("rollup", help=_SOURCE_HELP),
) -> None:
    """Engagement scores of every opportunity of the tenant: one round over the whole tenant,
    then again in the bulk-sync path's batches. Prints one JSON object per pass."""
    from scoring import ScopeKind, ScoringQuery, compute_scores, load_tenant_scoring

    settings = Settings()
    when, events = _as_of(as_of), _source(source)
    with open_store(settings) as ch:
        tenant_id = tenant_named(ch, tenant)
        tuning = load_tenant_scoring(ch, tenant_id, settings.scoring).tuning
        whole: dict[str, object] = {"pass": "one round over the tenant", "source": events.value}
        with _measured(ch, whole):
            query = ScoringQuery(tenant_id, ScopeKind.OPPORTUNITY, None, when, source=events)
            scores = compute_scores(ch, query, tuning)
        whole["opportunities"] = len(scores)
        whole["bands"] = dict(sorted(Counter(s.band.value for s in scores.values()).items()))
        size = tuning.engagement.bulk_batch_size
        ids = sorted(scores)
        batched: dict[str, object] = {
            "pass": f"batches of {size} ids (bulk sync path)",
            "source": events.value,
        }
        with _measured(ch, batched):
            for lo in range(0, len(ids), size):
                batch = ids[lo : lo + size]
                query = ScoringQuery(tenant_id, ScopeKind.OPPORTUNITY, batch, when, source=events)
                compute_scores(ch, query, tuning)
        batched["opportunities"] = len(ids)
    for report in (whole, batched):
        typer.echo(json.dumps(report, ensure_ascii=False))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(int(q * len(ordered)), len(ordered) - 1)] * 1000, 2)


@scoring_app.command("details")
def engagement_details(
    tenant: str = typer.Option(..., help="tenant name"),
    sample: int = typer.Option(200, min=1, help="opportunities (every n-th of the tenant's)"),
    as_of: str = typer.Option("", help="ISO date-time (default: now)"),
) -> None:
    """Uncached engagement details (what a score pull computes on a cache miss), computed
    from the raw events and then from the rollup in this one run (after a warm-up of both on
    a few of them). Prints one JSON object per source (p50/p99 ms, engine reads) and how many
    details' JSON differ between the two."""
    from scoring import EventSource, engagement_detail, load_tenant_scoring
    from tracker.crm import list_opportunities

    settings = Settings()
    when = _as_of(as_of)
    with open_store(settings) as ch:
        tenant_id = tenant_named(ch, tenant)
        tuning = load_tenant_scoring(ch, tenant_id, settings.scoring).tuning
        ids = [o.opportunity_id for o in list_opportunities(ch, tenant_id, None, limit=10**7)]
        picked = ids[:: max(len(ids) // sample, 1)][:sample]
        timings: dict[EventSource, list[float]] = {s: [] for s in EventSource}
        payloads: dict[EventSource, list[str]] = {s: [] for s in EventSource}
        reports: dict[EventSource, dict[str, object]] = {s: {} for s in EventSource}
        for opportunity_id in picked[:5]:
            for events in EventSource:
                engagement_detail(ch, tenant_id, opportunity_id, when, tuning, events)
        for events in (EventSource.RAW, EventSource.ROLLUP):
            with _measured(ch, reports[events]):
                for opportunity_id in picked:
                    started = time.perf_counter()
                    detail = engagement_detail(ch, tenant_id, opportunity_id, when, tuning, events)
                    timings[events].append(time.perf_counter() - started)
                    payloads[events].append(detail.model_dump_json())
    differ = sum(a != b for a, b in zip(*payloads.values(), strict=True))
    for events, report in reports.items():
        report |= {
            "source": events.value,
            "details": len(timings[events]),
            "p50_ms": _percentile(timings[events], 0.5),
            "p99_ms": _percentile(timings[events], 0.99),
            "differing_from_raw": differ,
        }
        typer.echo(json.dumps(report, ensure_ascii=False))
