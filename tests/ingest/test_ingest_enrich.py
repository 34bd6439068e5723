from __future__ import annotations

import time

import redis.asyncio as aioredis

from ingest import Enricher, Event, EventContext, RequestMeta, ip_key_from_secret
from ingest.enrich import EnrichBatch
from ingest.entry import Entry
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
    entry = await enricher.enrich(EnrichBatch(context, request, Entry.of([event()]), now_ms))
    (row,) = entry.rows()
    return Event.from_row(row)


async def test_request_fields_and_verdicts(
    settings: Settings, redis_client: aioredis.Redis
) -> None:
    enricher = Enricher(settings, redis_client, ip_key=b"k")
    now = int(time.time() * 1000)
    person = await run(enricher, ctx("vwr_1"), now)
    slack = RequestMeta(user_agent="Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)")
    bot = await run(enricher, ctx("vwr_bot"), now, request=slack)
    assert person.received_at == now and person.viewer_id == "vwr_1"
    assert (person.ua_browser, person.ua_os) == ("Chrome", "Windows")
    assert (person.is_bot, person.bot_reason) == (0, BotReason.NONE)
    assert (bot.is_bot, bot.bot_reason) == (1, BotReason.BOT_USER_AGENT)
    # Visits and forwards are the writer's (ingest.visits): nothing stateful here.
    assert (person.visit_id, person.forwarded) == ("", 0)


async def test_ip_modes(settings: Settings, redis_client: aioredis.Redis) -> None:
    hashed = Enricher(settings, redis_client, ip_key=ip_key_from_secret("s")).hash_ip("1.2.3.4")
    assert len(hashed) == 16 and "1.2.3" not in hashed
    settings.ingest.ip_mode = "truncate"
    enricher = Enricher(settings, redis_client, ip_key=b"k")
    assert enricher.hash_ip("1.2.3.4") == "1.2.3.0"
    assert enricher.hash_ip("2001:db8:1:2::5") == "2001:db8:1::"
