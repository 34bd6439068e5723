from __future__ import annotations

import time

import pytest
import redis.asyncio as aioredis

from ingest import HeadlessSignals, RequestMeta, request_verdict, signals_verdict
from ingest.verdict import BURST_LINKS, scanner_verdict
from tests.ingest.support import CHROME_UA
from tracker.types import BotReason, EventType

SLACKBOT = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
OFFICE = "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.4266; Pro)"
MS_OFFICE = "Mozilla/4.0 (compatible; ms-office; MSOffice 16)"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
HEADLESS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0.0.0 Safari/537.36"
)
GMAIL_PROXY = (
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
)


@pytest.mark.parametrize(
    ("meta", "reason"),
    [
        (RequestMeta(user_agent=SLACKBOT), BotReason.BOT_USER_AGENT),
        (RequestMeta(user_agent=OFFICE), BotReason.BOT_USER_AGENT),
        (RequestMeta(user_agent=MS_OFFICE), BotReason.BOT_USER_AGENT),
        (RequestMeta(user_agent="Mimecast Link Scanner"), BotReason.BOT_USER_AGENT),
        (RequestMeta(user_agent=GOOGLEBOT), BotReason.BOT_USER_AGENT),
        (RequestMeta(user_agent=""), BotReason.BOT_USER_AGENT),
        (RequestMeta(user_agent=HEADLESS), BotReason.HEADLESS),
        (RequestMeta(method="HEAD", user_agent=CHROME_UA), BotReason.HEAD_REQUEST),
        (
            RequestMeta.from_headers(
                "GET", {"user-agent": CHROME_UA, "sec-purpose": "prefetch"}, None
            ),
            BotReason.PREFETCH,
        ),
        (
            RequestMeta.from_headers("GET", {"user-agent": CHROME_UA, "purpose": "prefetch"}, None),
            BotReason.PREFETCH,
        ),
        (RequestMeta(user_agent=CHROME_UA), BotReason.NONE),
    ],
)
def test_request_verdicts(meta: RequestMeta, reason: BotReason) -> None:
    assert request_verdict(meta, EventType.LINK_CLICK) is reason


def test_gmail_image_proxy_counts_as_open_but_not_as_click() -> None:
    meta = RequestMeta(user_agent=GMAIL_PROXY)
    assert request_verdict(meta, EventType.PIXEL_OPEN) is BotReason.NONE
    assert request_verdict(meta, EventType.LINK_CLICK) is BotReason.BOT_USER_AGENT


def test_headless_signals() -> None:
    assert signals_verdict(HeadlessSignals(webdriver=True)) is BotReason.HEADLESS
    assert signals_verdict(HeadlessSignals(screen_width=0, screen_height=0)) is BotReason.HEADLESS
    normal = HeadlessSignals(webdriver=False, screen_width=1920, screen_height=1080, plugins=0)
    assert signals_verdict(normal) is BotReason.NONE
    assert signals_verdict(None) is BotReason.NONE


async def test_scanner_timing_soon_after_sending(redis_client: aioredis.Redis) -> None:
    now = int(time.time() * 1000)
    common = {"tenant_id": "ten_A", "contact_id": "con_1", "now_ms": now}
    fresh = await scanner_verdict(
        redis_client, event_type=EventType.LINK_CLICK, link_sent_at_ms=now - 2_000, **common
    )
    assert fresh is BotReason.SCANNER_TIMING
    later = await scanner_verdict(
        redis_client, event_type=EventType.PIXEL_OPEN, link_sent_at_ms=now - 3_600_000, **common
    )
    assert later is BotReason.NONE


async def test_scanner_timing_burst_of_links(redis_client: aioredis.Redis) -> None:
    now = int(time.time() * 1000)
    verdicts = [
        await scanner_verdict(
            redis_client,
            event_type=EventType.LINK_CLICK,
            tenant_id="ten_A",
            contact_id="con_burst",
            link_sent_at_ms=None,
            now_ms=now,
        )
        for _ in range(BURST_LINKS)
    ]
    assert verdicts[:-1] == [BotReason.NONE] * (BURST_LINKS - 1)
    assert verdicts[-1] is BotReason.SCANNER_TIMING
