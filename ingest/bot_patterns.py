"""The user-agent lists behind the verdict's second layer, and the allow rule in front of them.

Two maintained lists, asked in this order by `ingest.verdict.user_agent_verdict`:

1. `crawlerdetect` (the Python port of JayBizzle/Crawler-Detect).
2. isbot's patterns (omrilotan/isbot, through its Python port `is-bot`). It knows what
   crawlerdetect misses on public crawler lists, among them link unfurlers and uptime/CDN
   monitors (Discordbot, Twitterbot, Teams' MicrosoftPreview, DingTalkBot-LinkService,
   Site24x7, StatusCake, Cloudflare-Healthchecks, …). The patterns are compiled once, into one
   alternation matched against the lower-cased UA: isbot's patterns are all lower case, and
   without IGNORECASE the `regex` engine does the same work in about half the time
   (`load_tests/bench_bots.py`).

In front of both lists stands an allow rule: a browser-shaped UA (`Mozilla/5.0 (…)
AppleWebKit/…`) that carries an app's in-app-browser token — WeChat `MicroMessenger/`, WeCom
`wxwork/`, Lark/Feishu, DingTalk, Facebook, Instagram, LINE, X/Twitter, LinkedIn, QQ, Weibo,
Alipay, the Baidu app, Sogou's mobile browser and search app — is a person reading inside that
app. isbot's generic patterns flag some of them (WeChat's Android web view names its process
`tools`; Sogou shares a name with its spider). The rule yields to automation markers seen on
crawlers that borrow these UAs: `bot`, `spider`, `crawl`, a URL, WeChat's developer tools
behind Tencent's CDN (`wechatdevtools qcloudcdn-xinan`, in isbot's crawler fixtures).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Final

import regex
from crawlerdetect import CrawlerDetect
from is_bot import Bots

__all__ = ["crawlerdetect_listed", "in_app_browser", "isbot_listed"]

_BROWSER_SHAPE: Final = re.compile(r"^mozilla/5\.0 \(.*applewebkit/")
_IN_APP_TOKENS: Final = re.compile(
    r"micromessenger/"  # WeChat (and WeCom, which also sends it)
    r"|wxwork/"  # WeCom / 企业微信
    r"|\blark/\d|larklocale/|channelname/feishu|appname/feishu"  # Lark / Feishu (飞书)
    r"|aliapp\(dingtalk/|com\.laiwang\.dingtalk|com\.alibaba\.android\.rimet"  # DingTalk (钉钉)
    r"|\bfban/|\bfbav/|\bfb_iab/"  # Facebook, Messenger
    r"|\binstagram \d"
    r"|\bline/\d"
    r"|twitter for (?:iphone|ipad|android)"
    r"|\[linkedinapp\]"
    r"|\bqq/\d"
    r"|__weibo__"
    r"|alipayclient/"
    r"|baiduboxapp/"
    r"|sogoumobilebrowser/|sogousearch android"
)
_AUTOMATION_MARKERS: Final = re.compile(
    r"(?<!cu)bot\b|bot/|spider|crawl|https?://|wechatdevtools|qcloudcdn|headless"
)


def in_app_browser(ua_lower: str) -> bool:
    """The allow rule: an app's in-app browser, with no automation marker."""
    return (
        _BROWSER_SHAPE.search(ua_lower) is not None
        and _IN_APP_TOKENS.search(ua_lower) is not None
        and _AUTOMATION_MARKERS.search(ua_lower) is None
    )


def crawlerdetect_listed(user_agent: str) -> bool:
    # crawlerdetect compiles its two alternations once per process (its own lru_cache).
    return bool(CrawlerDetect(user_agent=user_agent).is_crawler())


@lru_cache(maxsize=1)
def _isbot_pattern() -> Any:
    return regex.compile("|".join(sorted(Bots().patterns)))


def isbot_listed(ua_lower: str) -> bool:
    """isbot's verdict (`is_bot.Bots().is_bot`) on a lower-cased UA."""
    return _isbot_pattern().search(ua_lower) is not None
