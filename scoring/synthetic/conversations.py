"""Meetings, emails, calls, notes and CRM-reported proposal revisions of the synthetic deals,
vectorised over all deals.

Rates per 30 days follow the hidden quality q: meetings 0.6 + 2.4·q (customer-initiated with
P = 0.1 + 0.3·q; held with P = 0.6 + 0.35·q, else cancelled, and 10 % the CRM does not say;
decision-makers attend with P = 0.2 + 0.7·q, others 0.5), emails 2 + 4·q (customer-initiated
with P = 0.15 + 0.5·q), calls 1 + 2·q (0.1 + 0.4·q), notes 0.5, proposal revisions the CRM
saw 0.1 + 0.6·q. The rep answers 95 % of the customer's emails, calls and meetings with an
email after a delay with median 0.5 + 12·(1 − q)² hours (高潜客户等待响应超4小时 happens to
weak deals; drawn apart and added last). Half the deals (drawn apart, so the other draws
stay as they were) hold their meetings as one recurring series (`series_id`): series
meetings are held with P = 0.9 + 0.1·q, but the last third of a series (at least two, in
series of four or more) with P = 0.2 + 0.8·q (突然取消定期会议: weak deals suddenly cancel
their regular meetings). Direction: customer-initiated → inbound, the rest outbound, except
10 % the CRM leaves unknown (notes and revisions have none). Times skew early for weak deals
(they go quiet), and nothing is recorded at or after the deal's close or the end of the
history window."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from scoring.synthetic.arrow import COLUMNS
from scoring.synthetic.deals import DAY_MS, Deal

__all__ = ["conversations_table"]

I64 = npt.NDArray[np.int64]

_KINDS: Final = ("meeting", "email", "call", "note", "proposal_revision")
_SUBJECTS: Final = (
    ("方案评审会", "需求澄清会议", "Technical deep dive", "商务谈判"),
    ("方案跟进", "报价确认", "Follow-up on proposal", "合同条款"),
    ("电话沟通", "Pricing call", "进度确认", "Budget check-in"),
    ("客户内部预算流程", "Competitor mentioned", "关键人变动", "Champion identified"),
    ("报价单修订", "方案 v2", "Revised scope", "Pricing update"),
)
_CONVERSATION: Final = 3  # kinds below this index are conversations with a direction


def _within(counts: I64) -> I64:
    starts = np.cumsum(counts) - counts
    out: I64 = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)
    return out


def _last_of_series(
    series_row: npt.NDArray[Any], deal: I64, at: npt.NDArray[Any], deals: int
) -> Any:
    """Rows among the last third (at least two) of their deal's series meetings, for series
    of four or more."""
    rows = np.flatnonzero(series_row)
    order = rows[np.lexsort((at[rows], deal[rows]))]
    counts = np.bincount(deal[order], minlength=deals).astype(np.int64)
    rank = _within(counts)
    total = counts[deal[order]]
    late = np.zeros(len(deal), dtype=bool)
    late[order] = (total >= 4) & (rank >= total - np.maximum(2, total // 3))
    return late


def conversations_table(deals: list[Deal], seed: int, columns: list[str]) -> pa.Table:
    """The rows as an Arrow table with `columns` (the activities table's, in order)."""
    rng = np.random.default_rng([seed, 2])
    q = np.asarray([d.quality for d in deals])
    created = np.asarray([d.created_ms for d in deals], np.int64)
    life = np.asarray([d.close_ms for d in deals], np.int64) - created
    end = np.asarray([d.end_ms for d in deals], np.int64)
    months = life / (30 * DAY_MS)
    none = np.zeros(len(q))
    rates = (0.6 + 2.4 * q, 2.0 + 4.0 * q, 1.0 + 2.0 * q, np.full(len(q), 0.5), 0.1 + 0.6 * q)
    initiated_p = (0.1 + 0.3 * q, 0.15 + 0.5 * q, 0.1 + 0.4 * q, none, none)
    deal_parts, kind_parts, initiated_parts = [], [], []
    for number, (rate, p) in enumerate(zip(rates, initiated_p, strict=True)):
        rows = np.repeat(np.arange(len(q)), rng.poisson(rate * months))
        deal_parts.append(rows)
        kind_parts.append(np.full(len(rows), number))
        initiated_parts.append(rng.random(len(rows)) < p[rows])
    deal, kind = np.concatenate(deal_parts), np.concatenate(kind_parts)
    initiated = np.concatenate(initiated_parts)
    at = created[deal] + (life[deal] * rng.random(len(deal)) ** (0.6 + 1.6 * (1 - q[deal])))
    at = at.astype(np.int64)
    keep = at < end[deal]
    deal, kind, initiated, at = deal[keep], kind[keep], initiated[keep], at[keep]
    subject = np.array(_SUBJECTS, dtype=object)[kind, rng.integers(0, 4, len(kind))]
    n = len(deal)
    talk = kind < _CONVERSATION
    unknown = rng.random(n) < 0.1
    direction = np.where(~talk, "", np.where(initiated, "inbound",
                                             np.where(unknown, "", "outbound")))  # fmt: skip
    meeting = kind == 0
    held_draw = rng.random(n) < 0.6 + 0.35 * q[deal]
    srng = np.random.default_rng([seed, 5])
    series_row = meeting & (srng.random(len(q)) < 0.5)[deal]
    late = _last_of_series(series_row, deal, at, len(q))
    series_held = srng.random(n) < np.where(late, 0.2 + 0.8 * q[deal], 0.9 + 0.1 * q[deal])
    held_draw = np.where(series_row, series_held, held_draw)
    opp_ids = np.array([d.opportunity_id for d in deals], dtype=object)
    series_id = np.where(series_row, opp_ids[deal] + ":weekly", "")
    held_mask = ~meeting | (rng.random(n) < 0.1)
    attendees = _attendees(rng, deals, q, deal, meeting)
    # the rep's replies to the customer's emails and calls, after a delay set by q
    asked = np.flatnonzero(talk & (direction == "inbound"))
    answer, answered_at = _replies(np.random.default_rng([seed, 6]), q, deal, at, asked, end)
    m = len(answer)
    deal, kind = np.concatenate([deal, answer]), np.concatenate([kind, np.ones(m, np.int64)])
    initiated = np.concatenate([initiated, np.zeros(m, bool)])
    direction = np.concatenate([direction, np.full(m, "outbound")])
    at = np.concatenate([at, answered_at])
    subject = np.concatenate([subject, np.full(m, "Re: 客户来信", dtype=object)])
    series_id = np.concatenate([series_id, np.full(m, "", dtype=object)])
    held = pa.array(
        np.concatenate([held_draw, np.zeros(m, bool)]).astype(np.uint8),
        mask=np.concatenate([held_mask, np.ones(m, bool)]),
    )
    attendees = pa.concat_arrays([attendees, pa.array([[]] * m, attendees.type)])
    n += m
    types = COLUMNS["activities"]
    data = {
        "tenant_id": pa.array([d.tenant_id for d in deals]).take(pa.array(deal)),
        "activity_id": pc.binary_join_element_wise(
            f"SYN{seed}-T-", pc.utf8_lpad(pc.cast(pa.array(np.arange(n)), pa.string()), 9, "0"), ""
        ),
        "opportunity_id": pa.array([d.opportunity_id for d in deals]).take(pa.array(deal)),
        "activity_type": pa.array(np.array(_KINDS, dtype=object)[kind], pa.string()),
        "customer_initiated": pa.array(initiated.astype(np.uint8)),
        "direction": pa.array(direction.astype(object), pa.string()),
        "occurred_at": pa.array(at, types["occurred_at"]),
        "attendees": attendees,
        "held": pa.array(held, types["held"]),
        "series_id": pa.array(series_id.astype(object), pa.string()),
        "from_stage": pa.nulls(n, pa.string()).fill_null(""),
        "to_stage": pa.nulls(n, pa.string()).fill_null(""),
        "old_close_date": pa.nulls(n, types["old_close_date"]),
        "new_close_date": pa.nulls(n, types["new_close_date"]),
        "subject": pa.array(subject, pa.string()),
        "updated_at": pa.array(at, types["updated_at"]),
        "received_at": pa.array(at + 60_000, types["received_at"]),
        "version": pa.array(at * 1000 + 1, types["version"]),
    }
    return pa.table({name: data[name] for name in columns})


def _replies(
    rng: np.random.Generator,
    q: npt.NDArray[Any],
    deal: I64,
    at: npt.NDArray[Any],
    asked: I64,
    end: I64,
) -> tuple[I64, I64]:
    """(deal, time) of the replies to the inbound rows `asked`: 95 % are answered, after
    lognormal(ln(0.5 + 12·(1 − q)²) h, 0.7) — a strong deal's (q = 0.9) median 0.6 h, a weak
    one's (q = 0.1) 10 h, so weak deals keep their customers waiting more than 4 hours far
    more often."""
    d = deal[asked]
    hours = rng.lognormal(np.log(0.5 + 12 * (1 - q[d]) ** 2), 0.7)
    when = at[asked] + (hours * 3_600_000).astype(np.int64)
    keep = (rng.random(len(asked)) < 0.95) & (when < end[d])
    return d[keep], when[keep]


def _attendees(
    rng: np.random.Generator,
    deals: list[Deal],
    q: npt.NDArray[Any],
    deal: npt.NDArray[Any],
    meeting: npt.NDArray[Any],
) -> pa.ListArray:
    """Contact ids per row: a meeting's attendees (at least one), empty for the others."""
    ids = pa.array([c for d in deals for c in d.contact_ids], pa.string())
    dm = np.asarray([p.is_decision_maker for d in deals for p in d.contacts], bool)
    counts = np.asarray([len(d.contacts) for d in deals], np.int64)
    offsets = np.cumsum(counts) - counts
    per_row = np.where(meeting, counts[deal], 0)
    row = np.repeat(np.arange(len(deal)), per_row)
    contact = np.repeat(offsets[deal], per_row) + _within(per_row)
    attend = rng.random(len(row)) < np.where(dm[contact], 0.2 + 0.7 * q[deal[row]], 0.5)
    first = np.zeros(len(row), bool)
    first[np.cumsum(per_row)[per_row > 0] - per_row[per_row > 0]] = True
    nobody = np.bincount(row, weights=attend, minlength=len(deal)) == 0
    attend |= first & nobody[row]
    kept = np.bincount(row[attend], minlength=len(deal)).astype(np.int32)
    list_offsets = np.concatenate([[0], np.cumsum(kept)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(list_offsets), ids.take(pa.array(contact[attend])))
