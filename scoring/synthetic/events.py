"""Viewing behaviour of the synthetic deals, vectorised with numpy and streamed as Arrow
tables of the `events` table, one chunk of links at a time (each chunk has its own seeded
generator, so chunks are reproducible in any order). The columns and their Arrow encoding
are `scoring.synthetic.event_table`.

Per link, intensity follows the deal's hidden quality q: P(opened) ≈ 0.25 + 0.65·q (more for
decision-makers), visits 1 + Poisson(0.2 + 2·q), read depth ≈ 0.15 + 0.7·q of the pages,
dwell ≈ (0.3 + 0.9·q) × the words-per-page norm, a jump to the pricing page with
P = 0.2 + 0.6·q (and longer dwell there), downloads P = 0.04 + 0.4·q, forwards to new viewers
P = 0.04 + 0.3·q; low-quality deals read early and then go quiet. 近期密集查阅竞品页面: on
a proposal with a competitor comparison page, an opened link's recipient comes back in a
burst of Poisson(3.5·(1 − q)²) visits within five days straight to that page (at-risk deals
compare intensively; drawn from a generator of their own, so the rest stays as it was).
Heartbeats are `page_dwell` deltas of at most 10 s. Bots (scanners right after sending,
Slackbot unfurls, headless sessions) are independent of quality and flagged. Nothing happens
after the deal's close or the end of the history window."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from scoring.synthetic.deals import DAY_MS
from scoring.synthetic.event_table import (
    BOT_SLOT,
    CLICK,
    DOWNLOAD,
    DWELL,
    END,
    I64,
    PIXEL,
    START,
    EventParts,
    event_table,
    part,
)

__all__ = ["EventSource"]

F64 = npt.NDArray[np.float64]

_HEARTBEAT_MS: Final = 10_000


def _within(counts: I64) -> I64:
    """0..n−1 inside each group of a `np.repeat(…, counts)` expansion."""
    starts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)


@dataclass
class EventSource:
    """Everything the event chunks are drawn from; `chunks()` can be iterated many times."""

    seed: int
    links: dict[str, I64]  # LinkPlan.arrays()
    deal_quality: F64
    deal_end: I64
    link_strings: dict[str, pa.Array]  # tenant, document, link, opp, contact per link
    version_ids: pa.Array  # per document × MAX_REVISIONS
    chunk_links: int = 5000

    @property
    def link_count(self) -> int:
        return len(self.links["link_deal"])

    def chunks(self) -> Iterator[pa.Table]:
        for number, lo in enumerate(range(0, self.link_count, self.chunk_links)):
            yield self.chunk(number, lo, min(lo + self.chunk_links, self.link_count))

    def chunk(self, number: int, lo: int, hi: int) -> pa.Table:
        rng = np.random.default_rng([self.seed, 1, number])
        link = np.arange(lo, hi, dtype=np.int64)
        bursts = np.random.default_rng([self.seed, 4, number])
        parts = [*self._humans(rng, link, bursts), *self._bots(rng, link)]
        events = EventParts.concat(parts)
        end = self.deal_end[self.links["link_deal"][events.link]]
        events = events.where(
            (events.at < end) & (events.at >= self.links["link_sent"][events.link])
        )
        return event_table(
            rng,
            number,
            events,
            seed=self.seed,
            links=self.links,
            link_strings=self.link_strings,
            version_ids=self.version_ids,
        )

    def _humans(
        self, rng: np.random.Generator, link: I64, bursts: np.random.Generator
    ) -> list[EventParts]:
        n, lk = len(link), self.links
        q = self.deal_quality[lk["link_deal"][link]]
        sent, end = lk["link_sent"][link], self.deal_end[lk["link_deal"][link]]
        opened = rng.random(n) < np.clip(
            (0.25 + 0.65 * q) * (0.8 + 0.4 * lk["link_dm"][link]), 0, 0.97
        )
        forwards = np.where(opened & (rng.random(n) < 0.04 + 0.3 * q), 1 + (rng.random(n) < 0.3), 0)
        # viewers: slot 0 = the recipient, 1.. = people it was forwarded to
        per_link = np.where(opened, 1 + forwards, 0)
        v_local = np.repeat(np.arange(n), per_link)
        v_slot = _within(per_link)
        vq, vsent, vend = q[v_local], sent[v_local], end[v_local]
        first = (
            vsent
            + 60_000
            + np.minimum(rng.exponential((1.6 - vq) * DAY_MS), 0.6 * (vend - vsent)).astype(
                np.int64
            )
        )
        first_of_link = np.repeat(first[v_slot == 0], per_link[opened])
        later = first_of_link + (
            (vend - first_of_link) * rng.uniform(0.05, 0.7, len(v_slot))
        ).astype(np.int64)
        first = np.where(v_slot == 0, first, later)
        visits_n = np.where(v_slot == 0, 1 + rng.poisson(0.2 + 2.0 * vq), 1 + rng.poisson(0.5 + vq))
        # visits
        vis_viewer = np.repeat(np.arange(len(v_slot)), visits_n)
        vis_j = _within(visits_n)
        vis_link = v_local[vis_viewer]
        wq = q[vis_link]
        skew = 0.6 + 1.6 * (1 - wq)
        start = first[vis_viewer] + (
            (end[vis_link] - first[vis_viewer]) * rng.random(len(wq)) ** skew
        ).astype(np.int64)
        start = np.where(vis_j == 0, first[vis_viewer], start)
        doc = lk["link_doc"][link[vis_link]]
        pages, pricing = lk["doc_pages"][doc], lk["doc_pricing"][doc]
        depth = np.clip(0.15 + 0.7 * wq + rng.normal(0, 0.15, len(wq)), 0.05, 1) * np.where(
            vis_j == 0, 1, 0.6
        )
        k = 1 + rng.binomial(pages - 1, depth)
        jump = (pricing > k) & (rng.random(len(wq)) < 0.2 + 0.6 * wq)
        # (visit, page) pairs in reading order: pages 1..k, then the pricing page if jumped to
        pv = np.concatenate([np.repeat(np.arange(len(k)), k), np.flatnonzero(jump)])
        pp = np.concatenate([_within(k) + 1, pricing[jump]])
        order = np.lexsort((np.concatenate([_within(k), k[jump]]), pv))
        pv, pp = pv[order], pp[order]
        words = lk["words"][lk["doc_word_offset"][doc[pv]] + pp - 1]
        need = np.maximum(5.0, words / 238 * 60)
        reader = (0.3 + 0.9 * q) * rng.lognormal(0, 0.3, n)
        dwell_s = need * reader[vis_link[pv]] * rng.lognormal(0, 0.45, len(pv))
        dwell_s *= np.where(pp == pricing[pv], 1 + 1.5 * wq[pv], 1.0)
        dwell_s = np.where(rng.random(len(pv)) < 0.2, rng.uniform(0.5, 3.0, len(pv)), dwell_s)
        dwell = np.maximum((dwell_s * 1000).astype(np.int64), 200)
        # heartbeats of ≤ 10 s per pair
        beats = -(-dwell // _HEARTBEAT_MS)
        hb_pair = np.repeat(np.arange(len(pv)), beats)
        hb_delta = np.minimum(_HEARTBEAT_MS, dwell[hb_pair] - _within(beats) * _HEARTBEAT_MS)
        hb_visit = pv[hb_pair]
        per_visit = np.bincount(hb_visit, minlength=len(k))
        cum = np.cumsum(hb_delta)
        base = np.repeat(
            cum[np.cumsum(per_visit) - per_visit] - hb_delta[np.cumsum(per_visit) - per_visit],
            per_visit,
        )
        hb_at = start[hb_visit] + 1500 + cum - base
        hb_seq = _within(per_visit) + 1
        last_at = (
            start
            + 1500
            + np.bincount(hb_visit, weights=hb_delta, minlength=len(k)).astype(np.int64)
        )
        vis_slot, vis_fwd = v_slot[vis_viewer], (v_slot[vis_viewer] > 0).astype(np.int64)
        g = link[vis_link]
        out = [
            part(
                g,
                START,
                start,
                vis_slot,
                page=np.ones(len(k), np.int64),
                visit=np.arange(len(k)),
                forwarded=vis_fwd,
            ),
            part(
                g[hb_visit],
                DWELL,
                hb_at,
                vis_slot[hb_visit],
                page=pp[hb_pair],
                dwell=hb_delta,
                seq=hb_seq,
                visit=hb_visit,
                forwarded=vis_fwd[hb_visit],
            ),
        ]
        ends = rng.random(len(k)) < 0.7
        last_page = np.where(jump, pricing, k)
        out.append(
            part(
                g[ends],
                END,
                last_at[ends] + 500,
                vis_slot[ends],
                page=last_page[ends],
                seq=per_visit[ends] + 1,
                visit=np.flatnonzero(ends),
                forwarded=vis_fwd[ends],
            )
        )
        clicks = (vis_j == 0) & (rng.random(len(k)) < 0.85)
        out.append(
            part(
                g[clicks],
                CLICK,
                start[clicks] - 2000,
                vis_slot[clicks],
                visit=np.flatnonzero(clicks),
                forwarded=vis_fwd[clicks],
            )
        )
        # a download at the end of one of the recipient's visits
        downloads = opened & (rng.random(n) < 0.04 + 0.4 * q)
        first_visit = (np.cumsum(visits_n) - visits_n)[v_slot == 0]
        own_visits = visits_n[v_slot == 0]
        picked = (first_visit + (rng.random(len(own_visits)) * own_visits).astype(np.int64))[
            downloads[opened]
        ]
        out.append(part(g[picked], DOWNLOAD, last_at[picked] + 300, 0, visit=picked))
        pixels = rng.random(n) < 0.3 + 0.4 * q
        pixel_at = sent + 5_000 + rng.exponential(4 * 3_600_000, n).astype(np.int64)
        out.append(part(link[pixels], PIXEL, pixel_at[pixels], -1))
        opened_at = first[v_slot == 0]  # the recipients' first visits, per opened link
        burst = self._competitor_burst(
            bursts, link[opened], q[opened], opened_at, end[opened], len(k)
        )
        out.extend(burst)
        return out

    def _competitor_burst(
        self, rng: np.random.Generator, link: I64, q: F64, first: I64, end: I64, visits: int
    ) -> list[EventParts]:
        """The recipients' burst of visits to the competitor comparison page (visit numbers
        from `visits` on, after the chunk's other visits)."""
        page = self.links["doc_competitor"][self.links["link_doc"][link]]
        n = np.where(page > 0, rng.poisson(3.5 * (1 - q) ** 2), 0)
        row = np.repeat(np.arange(len(link)), n)
        begin = first + ((end - first) * rng.random(len(link))).astype(np.int64)
        start = begin[row] + (rng.random(len(row)) * 5 * DAY_MS).astype(np.int64)
        beats = rng.integers(2, 8, len(row))  # 20–70 s on the page, in 10 s heartbeats
        beat_visit = np.repeat(np.arange(len(row)), beats)
        seq = _within(beats) + 1
        g, visit = link[row], visits + np.arange(len(row))
        return [
            part(g, START, start, 0, page=np.ones(len(row), np.int64), visit=visit),
            part(
                g[beat_visit],
                DWELL,
                start[beat_visit] + 1500 + seq * _HEARTBEAT_MS,
                0,
                page=page[row][beat_visit],
                dwell=np.full(len(beat_visit), _HEARTBEAT_MS, np.int64),
                seq=seq,
                visit=visit[beat_visit],
            ),
            part(
                g,
                END,
                start + 2000 + beats * _HEARTBEAT_MS,
                0,
                page=page[row],
                seq=beats + 1,
                visit=visit,
            ),
        ]

    def _bots(self, rng: np.random.Generator, link: I64) -> list[EventParts]:
        n, sent = len(link), self.links["link_sent"][link]
        scan = rng.random(n) < 0.3
        slack = rng.random(n) < 0.08
        headless = rng.random(n) < 0.03
        h_at = sent[headless] + rng.integers(10_000, 300_000, int(headless.sum()))
        hl = link[headless]
        pages = np.minimum(
            np.arange(1, 4)[None, :], self.links["doc_pages"][self.links["link_doc"][hl]][:, None]
        )
        return [
            part(
                link[scan],
                CLICK,
                sent[scan] + rng.integers(1_000, 8_000, int(scan.sum())),
                BOT_SLOT,
                1,
            ),
            part(
                link[slack],
                CLICK,
                sent[slack] + rng.integers(60_000, 3_600_000, int(slack.sum())),
                BOT_SLOT + 1,
                2,
            ),
            part(hl, START, h_at, BOT_SLOT + 2, 3, page=np.ones(len(hl), np.int64)),
            part(
                np.repeat(hl, 3),
                DWELL,
                np.repeat(h_at, 3) + np.tile([10_000, 20_000, 30_000], len(hl)),
                BOT_SLOT + 2,
                3,
                page=pages.ravel(),
                dwell=np.full(3 * len(hl), 10_000, np.int64),
                seq=np.tile([1, 2, 3], len(hl)),
            ),
        ]
