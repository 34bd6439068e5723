"""Visits and forwards decided with the stream entry (`ingest.visits`), on the real Redis:
the answer is given in arrival order and travels in the entry, so the order in which
writers take entries, and replays, cannot change it."""

from __future__ import annotations

import time
from typing import Any

import pytest
import redis.asyncio as aioredis

from ingest import Event, StreamBuffer
from ingest.entry import Entry
from ingest.model import ROW, PoisonEntry
from ingest.visits import TTL_RENEWAL_SECONDS, decode_touched, recognise_viewer, visit_touch
from tracker import redis_keys
from tracker.config import Settings
from tracker.types import BotReason


def event(viewer: str, link: str = "lnk_1", reason: BotReason = BotReason.NONE) -> Event:
    made = Event("evt_x", "ten_A", "page_dwell", "doc_1", "ver_1", link, "", "", viewer, page=1)
    made.flag(reason)
    return made


class Arrivals:
    """Requests appended through the real `StreamBuffer`, one entry each."""

    def __init__(self, settings: Settings, redis_client: aioredis.Redis) -> None:
        self.redis = redis_client
        self.stream = settings.ingest.stream
        self.gap = settings.ingest.visit_gap_seconds
        self.buffer = StreamBuffer(redis_client, self.stream)

    async def arrive(self, at_ms: int, *events: Event) -> str:
        entry = Entry.of(events)
        return await self.buffer.add(entry, visit_touch(entry, at_ms, self.gap))

    async def rows(self, entry_id: str) -> list[dict[str, Any]]:
        ((_, fields),) = await self.redis.xrange(self.stream, entry_id, entry_id)
        return [
            dict(zip(Event.__dataclass_fields__, row, strict=True))
            for row in decode_touched(fields)
        ]

    async def row(self, entry_id: str) -> dict[str, Any]:
        return (await self.rows(entry_id))[0]


async def test_visit_continues_within_gap_and_splits_after(
    settings: Settings, redis_client: aioredis.Redis
) -> None:
    arrivals = Arrivals(settings, redis_client)
    gap = settings.ingest.visit_gap_seconds * 1000
    t0 = int(time.time() * 1000)
    entries = [
        await arrivals.arrive(at, event("vwr_1"))
        for at in (t0, t0 + gap - 1, t0 + 2 * gap - 2, t0 + 3 * gap)  # gap from last activity
    ]
    first, same, still, split = [await arrivals.row(e) for e in entries]
    assert first["visit_id"].startswith("vis_")
    assert first["visit_id"] == same["visit_id"] == still["visit_id"]
    assert split["visit_id"] != first["visit_id"]


async def test_forwarded_for_a_second_viewer(
    settings: Settings, redis_client: aioredis.Redis
) -> None:
    arrivals = Arrivals(settings, redis_client)
    now = int(time.time() * 1000)
    original = await arrivals.arrive(now, event("vwr_1"))
    again = await arrivals.arrive(now + 1000, event("vwr_1"))
    colleague = await arrivals.arrive(now + 2000, event("vwr_2"))
    other_link = await arrivals.arrive(now + 3000, event("vwr_2", link="lnk_2"))
    flags = [(await arrivals.row(e))["forwarded"] for e in (original, again, colleague)]
    assert flags == [0, 0, 1]
    assert (await arrivals.row(other_link))["forwarded"] == 0


async def test_state_ttls_are_set_then_renewed_at_most_every_renewal_interval(
    settings: Settings, redis_client: aioredis.Redis
) -> None:
    arrivals = Arrivals(settings, redis_client)
    state = redis_keys.viewer_state("ten_A", "lnk_1", "vwr_1")
    viewers = redis_keys.link_viewers("ten_A", "lnk_1")
    now = int(time.time() * 1000)
    await arrivals.arrive(now, event("vwr_1"))
    assert 0 < await redis_client.ttl(state) <= redis_keys.VIEWER_STATE_TTL_SECONDS
    assert 0 < await redis_client.ttl(viewers) <= redis_keys.LINK_VIEWERS_TTL_SECONDS
    await redis_client.persist(state)
    await redis_client.persist(viewers)
    renewal = TTL_RENEWAL_SECONDS * 1000
    await arrivals.arrive(now + renewal - 1, event("vwr_1"))  # a heartbeat: no renewal
    assert await redis_client.ttl(state) == await redis_client.ttl(viewers) == -1
    answer = await arrivals.row(await arrivals.arrive(now + renewal, event("vwr_1")))
    assert await redis_client.ttl(state) > 0
    assert await redis_client.ttl(viewers) > 0
    assert answer["forwarded"] == 0  # the first viewer, from the state's kept answer


async def test_bots_neither_open_visits_nor_mark_forwards(
    settings: Settings, redis_client: aioredis.Redis
) -> None:
    arrivals = Arrivals(settings, redis_client)
    now = int(time.time() * 1000)
    bot = await arrivals.arrive(now, event("vwr_bot", reason=BotReason.BOT_USER_AGENT))
    person = await arrivals.arrive(now + 1, event("vwr_1"))
    assert {k: (await arrivals.row(bot))[k] for k in ("is_bot", "visit_id", "forwarded")} == {
        "is_bot": 1,
        "visit_id": "",
        "forwarded": 0,
    }
    assert (await arrivals.row(person))["forwarded"] == 0
    assert (await arrivals.row(person))["visit_id"]


async def test_headless_sticks_to_the_viewer_session(
    settings: Settings, redis_client: aioredis.Redis
) -> None:
    arrivals = Arrivals(settings, redis_client)
    now = int(time.time() * 1000)
    await arrivals.arrive(now, event("vwr_h", reason=BotReason.HEADLESS))
    later = await arrivals.row(await arrivals.arrive(now + 5000, event("vwr_h")))
    assert (later["is_bot"], later["bot_reason"], later["visit_id"]) == (1, "headless", "")


async def test_the_answer_is_fixed_at_arrival_whatever_the_writers_do(
    settings: Settings, redis_client: aioredis.Redis
) -> None:
    """The review's scenario: recipient R opens, a forwardee F opens 5 s later, R comes back
    20 minutes later. Decoded in reverse order, and twice, every row keeps its answer."""
    arrivals = Arrivals(settings, redis_client)
    t0 = int(time.time() * 1000)
    entries = [
        await arrivals.arrive(t0, event("vwr_R")),
        await arrivals.arrive(t0 + 5_000, event("vwr_F")),
        await arrivals.arrive(t0 + 1_200_000, event("vwr_R")),
    ]
    in_order = [await arrivals.row(e) for e in entries]
    reversed_replayed = [await arrivals.row(e) for e in reversed(entries * 2)][::-1][:3]
    assert in_order == reversed_replayed
    r_first, forwardee, r_back = in_order
    assert (r_first["forwarded"], forwardee["forwarded"], r_back["forwarded"]) == (0, 1, 0)
    assert r_first["visit_id"] != r_back["visit_id"]  # two visits, 20 minutes apart


async def test_requests_without_a_person_take_a_plain_xadd() -> None:
    assert visit_touch(Entry.of([event("")]), 0, 600) is None  # e.g. a pixel open: no viewer
    bot = Entry.of([event("vwr_1", reason=BotReason.BOT_USER_AGENT)])
    assert visit_touch(bot, 0, 600) is None


def test_a_malformed_answer_makes_the_entry_poison() -> None:
    fields = Entry.of([event("vwr_1")]).encode()
    for answer in (b"x", b"vis_1\x1f2\x1f", b"vis_1\x1f0\x1fnot_a_reason"):
        with pytest.raises(PoisonEntry) as caught:
            decode_touched({**fields, b"a": answer})
        assert caught.value.reason == "bad_visit_answer"
    assert decode_touched({**fields, b"a": b"vis_1\x1f1\x1f"})[0][ROW.visit_id] == "vis_1"


async def _gate(redis_client: aioredis.Redis, viewer: str, email: str) -> bool:
    """What the link's email gate does when `viewer` verifies `email` (api.recipient.gates)."""
    await redis_client.hset(redis_keys.gate_email("ten_A", "lnk_1"), viewer, email)
    return await recognise_viewer(
        redis_client, "ten_A", "lnk_1", viewer,
        verified_email=email, recipient_email="Wang@Example.cn",
    )  # fmt: skip


async def test_a_second_browser_of_the_recipient_is_not_a_forward(
    settings: Settings, redis_client: aioredis.Redis
) -> None:
    arrivals = Arrivals(settings, redis_client)
    now = int(time.time() * 1000)
    # the recipient opens the link on the laptop, then in a second browser (the phone),
    # where the gate asks for the email again; then someone they forwarded it to
    assert not await _gate(redis_client, "vwr_laptop", "li.lei@example.cn")
    laptop = await arrivals.arrive(now, event("vwr_laptop"))
    assert await _gate(redis_client, "vwr_phone", " wang@example.CN")
    phone = await arrivals.arrive(now + 1000, event("vwr_phone"))
    assert not await _gate(redis_client, "vwr_cfo", "cfo@example.cn")
    cfo = await arrivals.arrive(now + 2000, event("vwr_cfo"))
    # the forwardee's own second browser verifies the forwardee's email: still a forward
    assert not await _gate(redis_client, "vwr_cfo_2", "cfo@example.cn")
    cfo_2 = await arrivals.arrive(now + 3000, event("vwr_cfo_2"))
    flags = [(await arrivals.row(e))["forwarded"] for e in (laptop, phone, cfo, cfo_2)]
    assert flags == [0, 0, 1, 1]
    # a viewer decided before keeps its answer (the gate passed again later changes nothing)
    assert not await _gate(redis_client, "vwr_cfo", "wang@example.cn")
    assert (await arrivals.row(await arrivals.arrive(now + 4000, event("vwr_cfo"))))[
        "forwarded"
    ] == 1


async def test_the_same_email_as_an_earlier_recipient_viewer_is_the_same_person(
    settings: Settings, redis_client: aioredis.Redis
) -> None:
    """A link without a known recipient email: the first viewer's verified email identifies
    them in a second browser."""
    arrivals = Arrivals(settings, redis_client)
    now = int(time.time() * 1000)
    await redis_client.hset(redis_keys.gate_email("ten_A", "lnk_1"), "vwr_a", "zhao@example.cn")
    assert not await recognise_viewer(
        redis_client, "ten_A", "lnk_1", "vwr_a", verified_email="zhao@example.cn",
        recipient_email="",
    )  # fmt: skip
    first = await arrivals.arrive(now, event("vwr_a"))
    await redis_client.hset(redis_keys.gate_email("ten_A", "lnk_1"), "vwr_b", "Zhao@example.cn")
    assert await recognise_viewer(
        redis_client, "ten_A", "lnk_1", "vwr_b", verified_email="Zhao@example.cn",
        recipient_email="",
    )  # fmt: skip
    second = await arrivals.arrive(now + 1000, event("vwr_b"))
    other = await arrivals.arrive(now + 2000, event("vwr_c"))
    flags = [(await arrivals.row(e))["forwarded"] for e in (first, second, other)]
    assert flags == [0, 0, 1]
