from __future__ import annotations

import time

import pytest
import redis.asyncio as aioredis
from is_bot import Bots

from ingest import (
    HeadlessSignals,
    RequestMeta,
    request_verdict,
    signals_verdict,
    user_agent_verdict,
)
from ingest.bot_patterns import in_app_browser, isbot_listed
from ingest.verdict import BURST_LINKS, scanner_verdict
from tests.ingest.real_user_agents import (
    CHINESE_BROWSERS,
    IN_APP_BROWSERS,
    MISSED_BY_CRAWLERDETECT,
    MONITORS,
    UNFURLERS,
    WECHAT_DEVTOOLS_CRAWLER,
)
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


_ALL_AGENTS = {
    **IN_APP_BROWSERS,
    **CHINESE_BROWSERS,
    **UNFURLERS,
    **MONITORS,
    **MISSED_BY_CRAWLERDETECT,
    "wechat_devtools": WECHAT_DEVTOOLS_CRAWLER,
    "chrome": CHROME_UA,
}


@pytest.mark.parametrize("event_type", [EventType.VIEW_START, EventType.LINK_CLICK])
@pytest.mark.parametrize("name", sorted({**IN_APP_BROWSERS, **CHINESE_BROWSERS}))
def test_in_app_and_chinese_browsers_are_people(name: str, event_type: EventType) -> None:
    agent = {**IN_APP_BROWSERS, **CHINESE_BROWSERS}[name]
    assert request_verdict(RequestMeta(user_agent=agent), event_type) is BotReason.NONE


def test_allow_rule_keeps_wechat_that_isbot_alone_flags() -> None:
    # WeChat's Android web view runs in a process named "tools"; isbot's `tools` pattern would
    # count every buyer reading in WeChat on Android as a bot without the allow rule.
    for name in ("wechat_android", "wechat_android_tools", "sogou_browser"):
        agent = {**IN_APP_BROWSERS, **CHINESE_BROWSERS}[name].lower()
        assert isbot_listed(agent), name
        assert in_app_browser(agent), name


def test_allow_rule_yields_to_automation_markers() -> None:
    assert not in_app_browser(WECHAT_DEVTOOLS_CRAWLER.lower())
    meta = RequestMeta(user_agent=WECHAT_DEVTOOLS_CRAWLER)
    assert request_verdict(meta, EventType.LINK_CLICK) is BotReason.BOT_USER_AGENT
    spoofed = IN_APP_BROWSERS["wecom_iphone"] + " Bytespider; spider-feedback@bytedance.com"
    assert request_verdict(RequestMeta(user_agent=spoofed), EventType.LINK_CLICK) is (
        BotReason.BOT_USER_AGENT
    )
    # An in-app token without a browser's shape is not the in-app browser.
    assert not in_app_browser("micromessenger/8.0.21 okhttp/4.9.0")


@pytest.mark.parametrize("event_type", [EventType.PIXEL_OPEN, EventType.LINK_CLICK])
@pytest.mark.parametrize("name", sorted({**UNFURLERS, **MONITORS}))
def test_unfurlers_and_monitors_are_bots(name: str, event_type: EventType) -> None:
    agent = {**UNFURLERS, **MONITORS}[name]
    assert request_verdict(RequestMeta(user_agent=agent), event_type) is BotReason.BOT_USER_AGENT


@pytest.mark.parametrize("name", sorted(MISSED_BY_CRAWLERDETECT))
def test_second_list_flags_what_crawlerdetect_misses(name: str) -> None:
    agent = MISSED_BY_CRAWLERDETECT[name]
    assert request_verdict(RequestMeta(user_agent=agent), EventType.LINK_CLICK) is (
        BotReason.BOT_USER_AGENT
    )
    assert isbot_listed(agent.lower())


def test_isbot_compiled_here_agrees_with_the_library() -> None:
    library = Bots()
    for name, agent in _ALL_AGENTS.items():
        assert isbot_listed(agent.lower()) == library.is_bot(agent), name


def test_verdict_is_cached_per_user_agent() -> None:
    agent = UNFURLERS["teams"] + " (cache probe)"
    before = user_agent_verdict.cache_info()
    first = user_agent_verdict(agent, EventType.LINK_CLICK)
    second = user_agent_verdict(agent, EventType.LINK_CLICK)
    after = user_agent_verdict.cache_info()
    assert first is second is BotReason.BOT_USER_AGENT
    assert after.misses == before.misses + 1
    assert after.hits == before.hits + 1
