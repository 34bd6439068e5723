"""Synthetic data generator: tenants with sales teams, opportunities across stages, contacts,
accounts with finance records and service tickets, documents with page tags, links, viewing
behaviour, CRM activities and outcomes — all driven
by a hidden per-deal quality q ∈ [0, 1] that is returned but never stored.

    dataset = generate(10_000, seed=7, start=date(2025, 1, 1), days=365)
    counts = load(ch, dataset)          # bulk Arrow inserts, events streamed in chunks
    dataset.quality["SYN7-OPP-000042"]  # the hidden truth, for calibration tests

Reproducible: the same arguments give identical rows (scalar draws from one
`random.Random(seed)`, event chunks from `numpy.random.default_rng([seed, 1, chunk])`).
Time-consistent: every row carries its own time (entity `version`s are their write times),
stage and close-date history are activities (see `scoring.synthetic.deals`), nothing happens
after a deal's close or the end of the window, so "the store as of date D" is the rows with
times ≤ D and outcomes never leak into a snapshot taken before them. Ids carry the seed
(`SYN7-OPP-…`, `doc_syn7_…`), so datasets of different seeds can share a database.

The documents' PDFs are not generated (their `sha256` names no stored blob): the data is
for scoring, benchmarks and calibration, not for the viewer."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from typing import Final

import numpy as np
import pyarrow as pa

from scoring.synthetic.accounts import emit_accounts
from scoring.synthetic.arrow import Columns
from scoring.synthetic.conversations import conversations_table
from scoring.synthetic.deals import Deal, DealTables, contacts_table, emit_deal, plan_deal
from scoring.synthetic.docs import plan_documents
from scoring.synthetic.events import EventSource
from scoring.synthetic.people import SalesTeam, make_account, make_contacts, make_team
from tracker.stores import ClickHouse

__all__ = ["ENTITY_TABLES", "SyntheticDataset", "generate", "load"]

#: Entity tables in load order (events are streamed after them).
ENTITY_TABLES: Final = (
    "tenants",
    "users",
    "opportunities",
    "contacts",
    "activities",
    "outcomes",
    "accounts",
    "account_finance",
    "documents",
    "document_versions",
    "links",
)


@dataclass(frozen=True)
class SyntheticDataset:
    """The generated rows. `tables` holds the entity tables; `events()` streams the events
    table in chunks (regenerated on each call, identically). `truth` is the hidden side:
    per opportunity its quality, the latent outcome (`won`, also for deals still open at
    the end of the window) and whether the close falls inside the window."""

    seed: int
    start: datetime
    end: datetime
    tenant_ids: tuple[str, ...]
    tables: dict[str, pa.Table]
    truth: pa.Table
    source: EventSource = field(repr=False)

    def events(self) -> Iterator[pa.Table]:
        return self.source.chunks()

    @cached_property
    def quality(self) -> dict[str, float]:
        ids = self.truth.column("opportunity_id").to_pylist()
        return dict(zip(ids, self.truth.column("quality").to_pylist(), strict=True))


def _start_of(start: date | datetime | None, days: int) -> datetime:
    if start is None:
        today = datetime.now(UTC).date()
        return datetime.combine(today - timedelta(days=days), time(), UTC)
    if isinstance(start, datetime):
        return start if start.tzinfo else start.replace(tzinfo=UTC)
    return datetime.combine(start, time(), UTC)


def generate(
    n_opportunities: int,
    seed: int = 0,
    start: date | datetime | None = None,
    days: int = 365,
    *,
    tenants: int = 2,
    chunk_links: int = 5000,
) -> SyntheticDataset:
    """`n_opportunities` deals over `days` days from `start` (default: `days` before today,
    midnight UTC — pass `start` for byte-identical reruns on another day)."""
    if n_opportunities < 1 or tenants < 1 or days < 30:
        raise ValueError("need ≥ 1 opportunity, ≥ 1 tenant and a window of ≥ 30 days")
    begin = _start_of(start, days)
    start_ms = int(begin.timestamp() * 1000)
    end_ms = start_ms + days * 86_400_000
    rnd = random.Random(seed)
    nrng = np.random.default_rng([seed, 0])
    tenant_ids = tuple(f"ten_syn{seed}_{t}" for t in range(tenants))
    reps = max(2, min(40, n_opportunities // (tenants * 40) + 2))
    teams = [make_team(rnd, tid, t, reps) for t, tid in enumerate(tenant_ids)]
    quality = nrng.beta(2.0, 2.0, n_opportunities)
    tenant_of = nrng.integers(0, tenants, n_opportunities)
    crm = DealTables()
    deals = []
    for i in range(n_opportunities):
        t = int(tenant_of[i])
        deal = plan_deal(
            rnd,
            i,
            (t, tenant_ids[t]),
            f"SYN{seed}-OPP-{i:06d}",
            float(quality[i]),
            reps,
            start_ms,
            end_ms,
        )
        account = make_account(rnd, i, english=deal.currency == "USD")
        deal.account = account.name
        deal.contacts = make_contacts(rnd, account, min(2 + int(nrng.poisson(1.5)), 7))
        deal.contact_ids = [f"SYN{seed}-C-{i:06d}-{j}" for j in range(len(deal.contacts))]
        emit_deal(rnd, deal, teams[t], end_ms, seed, crm)
        deals.append(deal)
    documents, versions, links, plan = plan_documents(rnd, deals, teams, end_ms, seed)
    owners = {d.opportunity_id: teams[d.tenant].reps[d.rep].email for d in deals}
    accounts = emit_accounts(deals, owners, seed, crm)
    tables = {
        "tenants": _tenants(teams, start_ms),
        "users": _users(teams, start_ms),
        "opportunities": crm.opportunities.table(),
        "contacts": contacts_table(deals, crm.versions),
        "activities": _activities(crm, deals, seed),
        "outcomes": crm.outcomes.table(),
        "accounts": accounts.accounts.table(),
        "account_finance": accounts.finance.table(),
        "documents": documents.table(),
        "document_versions": versions.table(),
        "links": links.table(),
    }
    source = EventSource(
        seed=seed,
        links=plan.arrays(),
        deal_quality=quality,
        deal_end=np.asarray([d.end_ms for d in deals], np.int64),
        link_strings={k: pa.array(v, pa.string()) for k, v in plan.link_strings.items()},
        version_ids=pa.array(plan.version_ids, pa.string()),
        chunk_links=chunk_links,
    )
    truth = pa.table(
        {
            "opportunity_id": [d.opportunity_id for d in deals],
            "tenant_id": [d.tenant_id for d in deals],
            "quality": pa.array(quality, pa.float64()),
            "won": [d.won for d in deals],
            "closed": [d.closed for d in deals],
            "created_at": pa.array([d.created_ms for d in deals], pa.timestamp("ms", tz="UTC")),
            "close_at": pa.array([d.close_ms for d in deals], pa.timestamp("ms", tz="UTC")),
        }
    )
    end = begin + timedelta(days=days)
    return SyntheticDataset(seed, begin, end, tenant_ids, tables, truth, source)


def _activities(crm: DealTables, deals: list[Deal], seed: int) -> pa.Table:
    """CRM changes (stage and close-date changes, row by row) + conversations (vectorised)."""
    changes = crm.activities.table()
    talk = conversations_table(deals, seed, changes.column_names)
    return pa.concat_tables([changes, talk.cast(changes.schema)])


def _tenants(teams: list[SalesTeam], start_ms: int) -> pa.Table:
    cols = Columns("tenants")
    for team in teams:
        cols.add(
            tenant_id=team.tenant_id,
            name=team.name,
            default_locale="zh_CN",
            created_at=start_ms,
            deleted=0,
            version=start_ms * 1000,
        )
    return cols.table()


def _users(teams: list[SalesTeam], start_ms: int) -> pa.Table:
    """Reps and managers; no password (an empty hash never verifies), so nobody signs in."""
    cols = Columns("users")
    for team in teams:
        people = [(m, "") for m in team.managers]
        people += [(r, team.managers[team.rep_manager[i]].email) for i, r in enumerate(team.reps)]
        for person, manager in people:
            cols.add(
                tenant_id=team.tenant_id,
                email=person.email,
                name=person.name,
                role=person.role,
                manager_email=manager,
                password_hash="",
                created_at=start_ms,
                disabled=0,
                version=start_ms * 1000,
            )
    return cols.table()


def load(ch: ClickHouse, dataset: SyntheticDataset) -> dict[str, int]:
    """Bulk-insert every table (entities first, then the events chunk by chunk); returns
    the rows written per table."""
    counts: dict[str, int] = {}
    for name in ENTITY_TABLES:
        table = dataset.tables[name]
        if table.num_rows:
            ch.insert(name, table)
        counts[name] = table.num_rows
    counts["events"] = 0
    for chunk in dataset.events():
        if chunk.num_rows:
            ch.insert("events", chunk)
            counts["events"] += chunk.num_rows
    return counts
