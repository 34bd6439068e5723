"""Writer-side visit and forward assignment (`ingest.visits`) on the real Redis."""

from __future__ import annotations

import time
from typing import Any

import redis.asyncio as aioredis

from ingest import Event
from ingest.visits import VisitAssigner
from tracker.config import Settings
from tracker.types import BotReason


def row(
    viewer: str, at_ms: int, link: str = "lnk_1", reason: BotReason = BotReason.NONE
) -> list[Any]:
    event = Event("evt_x", "ten_A", "page_dwell", "doc_1", "ver_1", link, "", "", viewer, page=1)
    event.received_at = at_ms
    event.flag(reason)
    return event.to_row()


class Rows:
    """One stream entry per call, assigned through the real `VisitAssigner`."""

    def __init__(self, settings: Settings, redis_client: aioredis.Redis) -> None:
        self.assigner = VisitAssigner(redis_client, settings.ingest)
        self.entries = 0

    async def entry(self, *rows: list[Any]) -> dict[str, Any]:
        self.entries += 1
        entry_id = f"{1_700_000_000_000 + self.entries}-0"
        await self.assigner.assign([entry_id], {entry_id: list(rows)})
        return dict(zip(Event.__dataclass_fields__, rows[0], strict=True))

    async def batch(self, *entries: list[Any]) -> list[dict[str, Any]]:
        ids = [f"{1_800_000_000_000 + i}-0" for i in range(len(entries))]
        await self.assigner.assign(ids, {e: [r] for e, r in zip(ids, entries, strict=True)})
        return [dict(zip(Event.__dataclass_fields__, r, strict=True)) for r in entries]


async def test_visit_continues_within_gap_and_splits_after(
    settings: Settings, redis_client: aioredis.Redis
) -> None:
    rows = Rows(settings, redis_client)
    gap = settings.ingest.visit_gap_seconds * 1000
    t0 = int(time.time() * 1000)
    first = await rows.entry(row("vwr_1", t0))
    same = await rows.entry(row("vwr_1", t0 + gap - 1))
    still = await rows.entry(row("vwr_1", t0 + 2 * gap - 2))  # gap measured from last activity
    split = await rows.entry(row("vwr_1", t0 + 3 * gap))
    assert first["visit_id"].startswith("vis_")
    assert first["visit_id"] == same["visit_id"] == still["visit_id"]
    assert split["visit_id"] != first["visit_id"]


async def test_entries_of_one_batch_are_taken_in_stream_order(
    settings: Settings, redis_client: aioredis.Redis
) -> None:
    t0 = int(time.time() * 1000)
    gap = settings.ingest.visit_gap_seconds * 1000
    first, same, split = await Rows(settings, redis_client).batch(
        row("vwr_9", t0), row("vwr_9", t0 + 1000), row("vwr_9", t0 + 1000 + gap + 1)
    )
    assert first["visit_id"] == same["visit_id"] != split["visit_id"]


async def test_forwarded_for_a_second_viewer(
    settings: Settings, redis_client: aioredis.Redis
) -> None:
    rows = Rows(settings, redis_client)
    now = int(time.time() * 1000)
    original = await rows.entry(row("vwr_1", now))
    again = await rows.entry(row("vwr_1", now + 1000))
    colleague = await rows.entry(row("vwr_2", now + 2000))
    other_link = await rows.entry(row("vwr_2", now + 3000, link="lnk_2"))
    assert (original["forwarded"], again["forwarded"], colleague["forwarded"]) == (0, 0, 1)
    assert other_link["forwarded"] == 0


async def test_bots_neither_open_visits_nor_mark_forwards(
    settings: Settings, redis_client: aioredis.Redis
) -> None:
    rows = Rows(settings, redis_client)
    now = int(time.time() * 1000)
    bot = await rows.entry(row("vwr_bot", now, reason=BotReason.BOT_USER_AGENT))
    person = await rows.entry(row("vwr_1", now + 1))
    assert (bot["is_bot"], bot["visit_id"], bot["forwarded"]) == (1, "", 0)
    assert person["forwarded"] == 0 and person["visit_id"]


async def test_headless_sticks_to_the_viewer_session(
    settings: Settings, redis_client: aioredis.Redis
) -> None:
    rows = Rows(settings, redis_client)
    now = int(time.time() * 1000)
    await rows.entry(row("vwr_h", now, reason=BotReason.HEADLESS))
    later = await rows.entry(row("vwr_h", now + 5000))
    assert (later["is_bot"], later["bot_reason"], later["visit_id"]) == (1, "headless", "")


async def test_a_replayed_entry_gets_the_same_visit(
    settings: Settings, redis_client: aioredis.Redis
) -> None:
    assigner = VisitAssigner(redis_client, settings.ingest)
    now = int(time.time() * 1000)
    first, replay = row("vwr_r", now), row("vwr_r", now)
    await assigner.assign(["1-0"], {"1-0": [first]})
    await redis_client.flushdb()  # the viewer state is gone (e.g. expired): a fresh visit
    await assigner.assign(["1-0"], {"1-0": [replay]})
    assert first == replay
