"""The synthetic events of one chunk as column arrays (`EventParts`, built per kind of event
with `part()`), and their encoding as an Arrow table of the `events` table: event, viewer and
visit ids (they carry the seed and the chunk number), the document version in force at each
event, user agents and IP hashes stable per viewer, bot flags and reasons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from scoring.synthetic.arrow import COLUMNS, EVENT_COLUMNS

__all__ = [
    "BOT_SLOT",
    "CLICK",
    "DOWNLOAD",
    "DWELL",
    "END",
    "I64",
    "PIXEL",
    "START",
    "EventParts",
    "event_table",
    "part",
]

I64 = npt.NDArray[np.int64]

_TYPES: Final = ("link_click", "pixel_open", "view_start", "page_dwell", "visit_end", "download")
CLICK, PIXEL, START, DWELL, END, DOWNLOAD = range(6)
_REASONS: Final = ("none", "scanner_timing", "bot_user_agent", "headless")
_UA: Final = (
    ("Chrome", "Windows", "Other"),
    ("Edge", "Windows", "Other"),
    ("Safari", "Mac OS X", "Mac"),
    ("WeChat", "iOS", "iPhone"),
    ("Chrome Mobile", "Android", "Generic Smartphone"),
    ("Chrome", "Mac OS X", "Mac"),
    ("Other", "Other", "Other"),  # scanners
    ("Slackbot", "Other", "Spider"),
    ("HeadlessChrome", "Linux", "Other"),
)
BOT_SLOT: Final = 100  # viewer slots ≥ this are bots; −1 = no viewer (pixel)


@dataclass
class EventParts:
    """Column arrays of one chunk's events before the Arrow build (all the same length)."""

    link: I64
    kind: I64
    page: I64
    dwell: I64
    seq: I64
    at: I64
    slot: I64
    visit: I64  # −1 = no visit
    reason: I64
    forwarded: I64

    @staticmethod
    def concat(parts: list[EventParts]) -> EventParts:
        names = EventParts.__dataclass_fields__
        return EventParts(**{n: np.concatenate([getattr(p, n) for p in parts]) for n in names})

    def where(self, mask: npt.NDArray[np.bool_]) -> EventParts:
        return EventParts(**{n: getattr(self, n)[mask] for n in EventParts.__dataclass_fields__})


def part(link: I64, kind: int, at: I64, slot: I64 | int, reason: int = 0, **kw: I64) -> EventParts:
    """Events of one `kind` (CLICK … DOWNLOAD) on `link`s at times `at`; `reason` 0 = human,
    1 scanner timing, 2 bot user agent, 3 headless; `kw` sets page, dwell, seq, visit and
    forwarded (default 0; visit −1)."""
    n = len(link)
    zeros = np.zeros(n, np.int64)
    return EventParts(
        link=link,
        kind=np.full(n, kind, np.int64),
        page=kw.get("page", zeros),
        dwell=kw.get("dwell", zeros),
        seq=kw.get("seq", zeros),
        at=at,
        slot=np.broadcast_to(np.asarray(slot, np.int64), (n,)).copy(),
        visit=kw.get("visit", np.full(n, -1, np.int64)),
        reason=np.full(n, reason, np.int64),
        forwarded=kw.get("forwarded", zeros),
    )


def event_table(
    rng: np.random.Generator,
    number: int,
    e: EventParts,
    *,
    seed: int,
    links: dict[str, I64],
    link_strings: dict[str, pa.Array],
    version_ids: pa.Array,
) -> pa.Table:
    """Chunk `number`'s events as an Arrow table in the `events` table's column order; `rng`
    draws only the server's receive delays."""
    lk, s = links, seed
    link = pa.array(e.link)
    doc = lk["link_doc"][e.link]
    revision = sum(
        (e.at >= lk["version_ms"][doc, r]).astype(np.int64)
        for r in range(1, lk["version_ms"].shape[1])
    )
    slot_s = pc.cast(pa.array(e.slot), pa.string())
    viewer = pc.binary_join_element_wise(
        f"vwr_syn{s}_", pc.cast(link, pa.string()), "_", slot_s, ""
    )
    viewer = pc.if_else(pa.array(e.slot < 0), "", viewer)
    visit = pc.binary_join_element_wise(
        f"vis_syn{s}_{number}_", pc.cast(pa.array(e.visit), pa.string()), ""
    )
    visit = pc.if_else(pa.array(e.visit < 0), "", visit)
    ua = np.where(
        e.slot >= BOT_SLOT,
        6 + e.slot - BOT_SLOT,
        (e.link * 7 + np.maximum(e.slot, 0) * 3) % 6,
    )
    n = len(e.link)
    columns = {
        "event_id": pc.binary_join_element_wise(
            f"evt_syn{s}_{number:05d}_",
            pc.utf8_lpad(pc.cast(pa.array(np.arange(n)), pa.string()), 8, "0"),
            "",
        ),
        "tenant_id": link_strings["tenant"].take(link),
        "event_type": pa.array(np.array(_TYPES, object)[e.kind], pa.string()),
        "document_id": link_strings["document"].take(link),
        "version_id": version_ids.take(pa.array(doc * lk["version_ms"].shape[1] + revision)),
        "link_id": link_strings["link"].take(link),
        "opportunity_id": link_strings["opp"].take(link),
        "contact_id": link_strings["contact"].take(link),
        "viewer_id": viewer,
        "visit_id": visit,
        "page": e.page,
        "dwell_ms": e.dwell,
        "seq": e.seq,
        "client_ts": e.at,
        "received_at": e.at + rng.integers(20, 800, n),
        "ua_browser": pa.array(np.array([u[0] for u in _UA], object)[ua], pa.string()),
        "ua_os": pa.array(np.array([u[1] for u in _UA], object)[ua], pa.string()),
        "ua_device": pa.array(np.array([u[2] for u in _UA], object)[ua], pa.string()),
        "ip_hash": pc.cast(
            pa.array((e.link * 2_654_435_761 + np.maximum(e.slot, 0) * 40_503) % 2**32),
            pa.string(),
        ),
        "is_bot": (e.reason > 0).astype(np.uint8),
        "bot_reason": pa.array(np.array(_REASONS, object)[e.reason], pa.string()),
        "forwarded": e.forwarded,
        "link_revoked": np.zeros(n, np.uint8),
        "props": pa.nulls(n, pa.string()).fill_null(""),
    }
    types = COLUMNS["events"]
    return pa.table(
        {
            name: pa.array(columns[name], types[name]) if name in types else columns[name]
            for name in EVENT_COLUMNS
        }
    )
