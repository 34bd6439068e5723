"""The CRM side of the synthetic data: each opportunity's latent life (hidden quality, stage
path with occasional regressions, close-date pushes, the won/lost draw) and the rows a CRM
would have pushed by the end of the history window: the opportunity's state at the end
(one row — ReplacingMergeTree keeps only the newest version of a key, so older versions
cannot serve as history), its contacts, activities and outcomes. The history is in the
activities: every stage change (`from_stage` → `to_stage`, regressions included) and every
close-date push (`old_close_date` → `new_close_date`) is a row with its time, so the stage and
expected close as of a date D are those of the last change at or before D (the first
stage_change's `from_stage` is the stage before it; `prospecting` at creation).

Quality drives behaviour and outcome: P(won) = sigmoid(6·(q − ½) − 0.4 + ε), ε ~ N(0, 0.75);
CRM stage probabilities are a fixed table plus each rep's optimism, so they are only weakly
informative."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from scoring.synthetic.arrow import COLUMNS, Columns
from scoring.synthetic.people import Person, SalesTeam

__all__ = [
    "DAY_MS",
    "STAGES",
    "STAGE_PROBABILITY",
    "Deal",
    "DealTables",
    "activity",
    "contacts_table",
    "emit_deal",
    "plan_deal",
]

DAY_MS = 86_400_000
STAGES = ("prospecting", "qualification", "discovery", "proposal", "negotiation")
#: The CRM's default probability per open stage (each rep adds an optimism bias).
STAGE_PROBABILITY = (10, 20, 35, 50, 70)
_LOST_REASONS = ("price", "competitor", "no_decision", "timing", "budget_cut")


@dataclass
class Deal:
    """One opportunity's hidden plan. Times are epoch ms; `end_ms` is when observation
    stops (the close, or the end of the history window for a still-open deal)."""

    index: int
    tenant: int
    tenant_id: str
    opportunity_id: str
    quality: float
    rep: int
    currency: str
    amount: int
    created_ms: int
    close_ms: int
    won: bool
    stage_ms: list[int]  # entry time of each stage reached, in pipeline order
    pushes: int
    account: str = ""
    contacts: list[Person] = field(default_factory=list)
    contact_ids: list[str] = field(default_factory=list)
    end_ms: int = 0

    @property
    def closed(self) -> bool:
        return self.close_ms == self.end_ms


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def plan_deal(
    rnd: random.Random,
    index: int,
    tenant: tuple[int, str],
    opp_id: str,
    quality: float,
    reps: int,
    start_ms: int,
    end_ms: int,
) -> Deal:
    q = quality
    created = start_ms + int(rnd.random() * 0.92 * (end_ms - start_ms))
    planned = min(max(rnd.lognormvariate(math.log(60), 0.45), 14.0), 240.0)
    pushes = _poisson(rnd, 0.2 + 1.8 * (1 - q))
    actual = planned * (1 + 0.22 * pushes) * rnd.lognormvariate(0, 0.08)
    close = created + int(actual * DAY_MS)
    won = rnd.random() < _sigmoid(6 * (q - 0.5) - 0.4 + rnd.gauss(0, 0.75))
    reached = 5 if won else 1 + sum(rnd.random() < 0.3 + 0.45 * q for _ in range(4))
    fractions = sorted(rnd.uniform(0.05, 0.85) for _ in range(reached - 1))
    stage_ms = [created] + [created + int(f * (close - created)) for f in fractions]
    usd = rnd.random() < 0.25
    amount = int(rnd.lognormvariate(math.log(90_000 if usd else 600_000), 0.8))
    deal = Deal(
        index,
        tenant[0],
        tenant[1],
        opp_id,
        q,
        rnd.randrange(reps),
        "USD" if usd else "CNY",
        max(amount, 1000),
        created,
        close,
        won,
        stage_ms,
        pushes,
    )
    deal.end_ms = min(close, end_ms)
    return deal


def _poisson(rnd: random.Random, lam: float) -> int:
    threshold, k, p = math.exp(-lam), 0, rnd.random()
    while p > threshold:
        k += 1
        p *= rnd.random()
    return k


@dataclass
class DealTables:
    opportunities: Columns = field(default_factory=lambda: Columns("opportunities"))
    versions: list[tuple[int, int]] = field(default_factory=list)  # (deal, version)
    activities: Columns = field(default_factory=lambda: Columns("activities"))
    outcomes: Columns = field(default_factory=lambda: Columns("outcomes"))
    activity_serial: int = 0


def _changes(rnd: random.Random, d: Deal, planned_close: int) -> list[tuple[int, str, int]]:
    """(time, kind, value) of every CRM change: stage entries (value = stage index, −1 for
    the close), regressions, and close-date pushes (value = the new expected close, ms)."""
    out = [(t, "stage", k) for k, t in enumerate(d.stage_ms)]
    reached = len(d.stage_ms)
    if reached >= 3 and rnd.random() < 0.05 + 0.25 * (1 - d.quality):
        k = rnd.randrange(2, reached)
        nxt = d.stage_ms[k + 1] if k + 1 < reached else d.close_ms
        back = d.stage_ms[k] + int(rnd.uniform(0.2, 0.5) * (nxt - d.stage_ms[k]))
        again = back + int(rnd.uniform(0.3, 0.8) * (nxt - back))
        out += [(back, "stage", k - 1), (again, "stage", k)]
    for j in range(d.pushes):
        new = planned_close + (d.close_ms - planned_close) * (j + 1) // d.pushes
        old = planned_close + (d.close_ms - planned_close) * j // d.pushes
        at = old - int(rnd.uniform(0.5, 7) * DAY_MS)
        out.append((min(max(at, d.created_ms + 3_600_000), d.close_ms - 3_600_000), "push", new))
    out.append((d.close_ms, "close", -1))
    out.sort(key=lambda c: (c[0], c[1] != "stage"))
    # pushes sorted by time take the new dates in order, so the expected date only moves out
    dates = sorted(v for _, kind, v in out if kind == "push")
    pushed = iter(dates)
    return [(t, kind, next(pushed) if kind == "push" else v) for t, kind, v in out]


def emit_deal(
    rnd: random.Random, d: Deal, team: SalesTeam, history_end: int, seed: int, t: DealTables
) -> None:
    """Append the rows the CRM would have pushed by `history_end`."""
    planned_close = d.close_ms - int((d.close_ms - d.created_ms) * (1 - 1 / (1 + 0.22 * d.pushes)))
    rep, manager = team.reps[d.rep], team.managers[team.rep_manager[d.rep]]
    employees = int(rnd.lognormvariate(math.log(800), 1.2)) if rnd.random() < 0.7 else None
    growth = round(rnd.gauss(4 + 12 * d.quality, 10), 1) if rnd.random() < 0.6 else None
    payment = int(rnd.random() < 0.04 + 0.1 * (1 - d.quality)) if rnd.random() < 0.6 else None
    escalations = _poisson(rnd, 0.3 + 1.5 * (1 - d.quality)) if rnd.random() < 0.6 else None
    lines = 1 + _poisson(rnd, 0.5 + 2 * d.quality)
    stage, entered, expected = -1, d.created_ms, planned_close
    last = d.created_ms
    for at, kind, value in _changes(rnd, d, planned_close):
        if at > history_end:
            break
        last = at
        if kind == "push":
            activity(t, d, seed, at, "close_date_change", old=expected, new=value)
            expected = value
            continue
        if stage >= 0:
            to = STAGES[value] if kind == "stage" else "closed_won" if d.won else "closed_lost"
            activity(t, d, seed, at, "stage_change", frm=STAGES[stage], to=to)
        if kind == "stage":
            stage, entered = value, at
        else:
            entered = at
    if d.closed:
        name, prob, category = (
            ("closed_won", 100, "closed") if d.won else ("closed_lost", 0, "omitted")
        )
    else:
        name = STAGES[stage]
        prob = min(
            max(STAGE_PROBABILITY[stage] + team.rep_bias[d.rep] + round(rnd.gauss(0, 5)), 5), 95
        )
        category = "commit" if prob >= 70 else "best_case" if prob >= 40 else "pipeline"
    # One row: the state at the end of the window (ReplacingMergeTree collapses older
    # versions, so history lives in the stage/close-date change activities instead).
    version = last * 1000 + 1
    t.opportunities.add(
        tenant_id=team.tenant_id,
        opportunity_id=d.opportunity_id,
        account=d.account,
        amount=d.amount,
        currency=d.currency,
        stage=name,
        stage_entered_at=entered,
        expected_close_date=expected // DAY_MS,
        probability=prob,
        forecast_category=category,
        owner=rep.email,
        manager=manager.email,
        account_employees=employees,
        account_growth_pct=growth,
        payment_issues=payment,
        support_escalations=escalations,
        product_lines=lines,
        updated_at=last,
        received_at=last + 60_000,
        deleted=0,
        version=version,
    )
    t.versions.append((d.index, version))
    if d.closed:
        t.outcomes.add(
            tenant_id=team.tenant_id,
            opportunity_id=d.opportunity_id,
            outcome="won" if d.won else "lost",
            actual_amount=int(d.amount * rnd.uniform(0.85, 1.05)) if d.won else 0,
            currency=d.currency,
            closed_at=d.close_ms,
            reason="" if d.won else rnd.choice(_LOST_REASONS),
            updated_at=d.close_ms,
            received_at=d.close_ms + 60_000,
            version=d.close_ms * 1000 + 1,
        )


def activity(
    t: DealTables,
    d: Deal,
    seed: int,
    at: int,
    kind: str,
    *,
    frm: str = "",
    to: str = "",
    old: int | None = None,
    new: int | None = None,
    initiated: bool = False,
    attendees: list[str] | None = None,
    subject: str = "",
) -> None:
    t.activity_serial += 1
    t.activities.add(
        tenant_id=d.tenant_id,
        activity_id=f"SYN{seed}-A-{t.activity_serial:09d}",
        opportunity_id=d.opportunity_id,
        activity_type=kind,
        customer_initiated=int(initiated),
        direction="inbound" if initiated else "",
        occurred_at=at,
        attendees=attendees or [],
        held=None,
        series_id="",
        from_stage=frm,
        to_stage=to,
        old_close_date=None if old is None else old // DAY_MS,
        new_close_date=None if new is None else new // DAY_MS,
        subject=subject,
        updated_at=at,
        received_at=at + 60_000,
        version=at * 1000 + 1,
    )


def contacts_table(deals: list[Deal], versions: list[tuple[int, int]]) -> pa.Table:
    """Every opportunity version carries its contacts (migration 0004: the current contacts
    are those whose version equals the opportunity's)."""
    base = pa.table(
        {
            "tenant_id": [d.tenant_id for d in deals for _ in d.contacts],
            "opportunity_id": [d.opportunity_id for d in deals for _ in d.contacts],
            "contact_id": [c for d in deals for c in d.contact_ids],
            "name": [p.name for d in deals for p in d.contacts],
            "email": [p.email for d in deals for p in d.contacts],
            "role": [p.role for d in deals for p in d.contacts],
            "is_decision_maker": pa.array(
                [int(p.is_decision_maker) for d in deals for p in d.contacts], pa.uint8()
            ),
        }
    )
    counts = np.asarray([len(d.contacts) for d in deals], np.int64)
    offsets = np.cumsum(counts) - counts
    deal = np.asarray([v[0] for v in versions], np.int64)
    per = counts[deal]
    starts = np.cumsum(per) - per
    rows = np.repeat(offsets[deal], per) + np.arange(int(per.sum())) - np.repeat(starts, per)
    version = np.repeat(np.asarray([v[1] for v in versions], np.int64), per)
    return base.take(pa.array(rows)).append_column(
        "version", pa.array(version, COLUMNS["contacts"]["version"])
    )
