from __future__ import annotations

import time

import redis.asyncio as aioredis

from ingest import Enricher, Event, EventContext, RequestMeta, ip_key_from_secret
from ingest.enrich import EnrichBatch
from tests.ingest.support import HUMAN
from tracker.config import Settings
from tracker.types import BotReason


def ctx(viewer: str, link: str = "lnk_1") -> EventContext:
    return EventContext(tenant_id="ten_A", link_id=link, document_id="doc_1", viewer_id=viewer)


def event(kind: str = "page_dwell") -> Event:
    return Event("evt_x", "ten_A", kind, "doc_1", "ver_1", "lnk_1", "", "", "", page=1)


async def run(
    enricher: Enricher, context: EventContext, now_ms: int, request: RequestMeta = HUMAN
) -> Event:
    (out,) = await enricher.enrich(EnrichBatch(context, request, [event()], now_ms))
    return out


async def test_visit_continues_within_gap_and_splits_after(
    settings: Settings, redis_client: aioredis.Redis
) -> None:
    enricher = Enricher(settings, redis_client, ip_key=b"k")
    gap = settings.ingest.visit_gap_seconds * 1000
    t0 = int(time.time() * 1000)
    first = await run(enricher, ctx("vwr_1"), t0)
    same = await run(enricher, ctx("vwr_1"), t0 + gap - 1)
    still = await run(enricher, ctx("vwr_1"), t0 + 2 * gap - 2)  # gap measured from last activity
    split = await run(enricher, ctx("vwr_1"), t0 + 3 * gap)
    assert first.visit_id.startswith("vis_")
    assert first.visit_id == same.visit_id == still.visit_id
    assert split.visit_id != first.visit_id
    assert first.received_at == t0 and first.viewer_id == "vwr_1"
    assert (first.ua_browser, first.ua_os) == ("Chrome", "Windows")


async def test_forwarded_for_a_second_viewer(
    settings: Settings, redis_client: aioredis.Redis
) -> None:
    enricher = Enricher(settings, redis_client, ip_key=b"k")
    now = int(time.time() * 1000)
    original = await run(enricher, ctx("vwr_1"), now)
    again = await run(enricher, ctx("vwr_1"), now + 1000)
    colleague = await run(enricher, ctx("vwr_2"), now + 2000)
    other_link = await run(enricher, ctx("vwr_2", link="lnk_2"), now + 3000)
    assert (original.forwarded, again.forwarded, colleague.forwarded) == (0, 0, 1)
    assert other_link.forwarded == 0


async def test_bots_neither_open_visits_nor_mark_forwards(
    settings: Settings, redis_client: aioredis.Redis
) -> None:
    enricher = Enricher(settings, redis_client, ip_key=b"k")
    now = int(time.time() * 1000)
    slack = RequestMeta(user_agent="Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)")
    bot = await run(enricher, ctx("vwr_bot"), now, request=slack)
    person = await run(enricher, ctx("vwr_1"), now + 1)
    assert (bot.is_bot, bot.bot_reason, bot.visit_id) == (1, BotReason.BOT_USER_AGENT, "")
    assert person.forwarded == 0 and person.visit_id


async def test_ip_modes(settings: Settings, redis_client: aioredis.Redis) -> None:
    hashed = Enricher(settings, redis_client, ip_key=ip_key_from_secret("s")).hash_ip("1.2.3.4")
    assert len(hashed) == 16 and "1.2.3" not in hashed
    settings.ingest.ip_mode = "truncate"
    enricher = Enricher(settings, redis_client, ip_key=b"k")
    assert enricher.hash_ip("1.2.3.4") == "1.2.3.0"
    assert enricher.hash_ip("2001:db8:1:2::5") == "2001:db8:1::"
