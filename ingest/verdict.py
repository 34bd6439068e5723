"""Bot verdicts, layered cheapest first (DESIGN.md); the first layer that fires gives the reason.

1. HEAD requests → `head_request`; `Sec-Purpose: prefetch` / `Purpose: prefetch` (also
   `X-Purpose`, `X-Moz: prefetch`) → `prefetch`.
2. User agent: a `HeadlessChrome`/`PhantomJS` UA → `headless`. Then the allow rule: an app's
   in-app browser (WeChat, WeCom, Lark/Feishu, DingTalk, Facebook, Instagram, LINE, …) is a
   person, unless it carries an automation marker (`ingest.bot_patterns`). Otherwise two
   maintained lists → `bot_user_agent`: `crawlerdetect` (Slackbot, Googlebot, BingPreview,
   `Microsoft Office` / `Microsoft Outlook` link discovery, Barracuda, facebookexternalhit,
   LinkedInBot, curl, python-requests, …), then isbot's patterns for what crawlerdetect misses
   (Discordbot, Twitterbot, Teams' MicrosoftPreview, DingTalkBot-LinkService, Site24x7,
   StatusCake, Cloudflare-Healthchecks, …). Gaps of both lists are `_SCANNER_UA_GAPS` below
   (Office's `ms-office`/`MSOffice` fetcher, Mimecast, Proofpoint URL Defense), checked before
   the allow rule. An empty UA is treated as a bot.
   Image proxies (`GoogleImageProxy` — Gmail fetches pixels through it when the recipient opens
   the mail; `YahooMailProxy`) are *not* bots for `pixel_open`: like DocSend we count them as
   an open (the proxy only fetches because a person opened the message). For any other event
   type they stay flagged.
3. Scanner timing (Redis, one pipelined round trip, link clicks and pixel opens only): a hit
   within `SCANNER_WINDOW_MS` of the link being sent, or the `BURST_LINKS`-th click on links of
   the same contact within `BURST_WINDOW_MS` → `scanner_timing`.
4. In-page signals from the viewer JS: `navigator.webdriver` or a zero-sized screen →
   `headless`. (`navigator.plugins.length == 0` is stored but not used: mobile browsers
   report 0 too.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import redis.asyncio as aioredis

from ingest.bot_patterns import crawlerdetect_listed, in_app_browser, isbot_listed
from ingest.model import HeadlessSignals
from tracker import redis_keys
from tracker.stores import redis_errors
from tracker.types import BotReason, EventType

__all__ = [
    "BURST_LINKS",
    "BURST_WINDOW_MS",
    "SCANNER_WINDOW_MS",
    "RequestMeta",
    "request_verdict",
    "scanner_verdict",
    "signals_verdict",
    "user_agent_verdict",
]

SCANNER_WINDOW_MS: Final = 10_000
BURST_WINDOW_MS: Final = 1_000
BURST_LINKS: Final = 3

_SCANNER_UA_GAPS: Final = ("ms-office", "msoffice", "mimecast", "proofpoint")
_HEADLESS_UA: Final = ("headlesschrome", "phantomjs")
_IMAGE_PROXIES: Final = ("googleimageproxy", "yahoomailproxy")
_MAX_UA: Final = 512


@dataclass(frozen=True, slots=True)
class RequestMeta:
    """What the verdict and enrichment need from the HTTP request."""

    method: str = "GET"
    user_agent: str = ""
    ip: str = ""
    prefetch: bool = False

    @classmethod
    def from_headers(
        cls, method: str, headers: Mapping[str, str], client_ip: str | None
    ) -> RequestMeta:
        """`headers` with lower-case keys (ASGI/Starlette headers are)."""
        purpose = " ".join(
            headers.get(name, "") for name in ("sec-purpose", "purpose", "x-purpose", "x-moz")
        ).lower()
        return cls(
            method=method.upper(),
            user_agent=headers.get("user-agent", "")[:_MAX_UA],
            ip=client_ip or "",
            prefetch="prefetch" in purpose or "prerender" in purpose,
        )


@lru_cache(maxsize=4096)
def user_agent_verdict(user_agent: str, event_type: EventType) -> BotReason:
    """Layer 2, cached per (UA, event type): a miss asks both lists (about a millisecond)."""
    ua = user_agent.lower()
    if not ua.strip():
        return BotReason.BOT_USER_AGENT
    if any(marker in ua for marker in _HEADLESS_UA):
        return BotReason.HEADLESS
    if event_type is EventType.PIXEL_OPEN and any(proxy in ua for proxy in _IMAGE_PROXIES):
        return BotReason.NONE
    if any(marker in ua for marker in _SCANNER_UA_GAPS):
        return BotReason.BOT_USER_AGENT
    if in_app_browser(ua):
        return BotReason.NONE
    if crawlerdetect_listed(user_agent) or isbot_listed(ua):
        return BotReason.BOT_USER_AGENT
    return BotReason.NONE


def request_verdict(meta: RequestMeta, event_type: EventType) -> BotReason:
    """Layers 1 and 2: method, prefetch headers, user agent."""
    if meta.method == "HEAD":
        return BotReason.HEAD_REQUEST
    if meta.prefetch:
        return BotReason.PREFETCH
    return user_agent_verdict(meta.user_agent, event_type)


def signals_verdict(signals: HeadlessSignals | None) -> BotReason:
    """Layer 4: in-page signals."""
    if signals is not None and (signals.webdriver or signals.zero_screen):
        return BotReason.HEADLESS
    return BotReason.NONE


async def scanner_verdict(
    redis: aioredis.Redis,
    *,
    event_type: EventType,
    tenant_id: str,
    contact_id: str,
    link_sent_at_ms: int | None,
    now_ms: int,
) -> BotReason:
    """Layer 3: link-scanner timing, for server-side link clicks and pixel opens."""
    if event_type not in (EventType.LINK_CLICK, EventType.PIXEL_OPEN):
        return BotReason.NONE
    if link_sent_at_ms is not None and 0 <= now_ms - link_sent_at_ms < SCANNER_WINDOW_MS:
        return BotReason.SCANNER_TIMING
    if event_type is not EventType.LINK_CLICK or not contact_id:
        return BotReason.NONE
    key = redis_keys.burst(tenant_id, contact_id)
    with redis_errors("scanner timing"):
        async with redis.pipeline(transaction=False) as pipe:
            pipe.set(key, 0, nx=True, px=BURST_WINDOW_MS)
            pipe.incr(key)
            _, hits = await pipe.execute()
    return BotReason.SCANNER_TIMING if int(hits) >= BURST_LINKS else BotReason.NONE
