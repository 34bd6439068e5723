"""Pure parts: quiet-hour windows, routing plans, message text per locale, the Feishu
signature, and exact sliding-window rate reservations (real Redis)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, date, datetime

import redis.asyncio as aioredis

from outbound.notify import (
    Audience,
    ChannelConfig,
    ChannelKind,
    Preferences,
    RateLimit,
    RateLimiter,
    RoutingRule,
    default_briefing_deals,
    feishu_sign,
    plan_routes,
    quiet_until,
    render,
)
from outbound.notify.facts_store import DealFacts

SH = "Asia/Shanghai"


def test_quiet_hours_wrap_midnight_in_the_persons_zone() -> None:
    prefs = Preferences("t", "a@x.cn", SH, 22 * 60, 8 * 60)
    late = datetime(2024, 6, 3, 15, 30, tzinfo=UTC)  # 23:30 in Shanghai
    assert quiet_until(prefs, late, SH) == datetime(2024, 6, 4, 0, 0, tzinfo=UTC)
    early = datetime(2024, 6, 3, 22, 0, tzinfo=UTC)  # 06:00 next day in Shanghai
    assert quiet_until(prefs, early, SH) == datetime(2024, 6, 4, 0, 0, tzinfo=UTC)
    assert quiet_until(prefs, datetime(2024, 6, 3, 4, 0, tzinfo=UTC), SH) is None  # 12:00
    assert quiet_until(Preferences("t", "a@x.cn"), late, SH) is None  # no window
    ny = Preferences("t", "b@x.com", "America/New_York", 12 * 60, 13 * 60)
    assert quiet_until(ny, datetime(2024, 6, 3, 16, 30, tzinfo=UTC), SH) == datetime(
        2024, 6, 3, 17, 0, tzinfo=UTC
    )


def _channel(cid: str, kind: ChannelKind, owner: str = "") -> ChannelConfig:
    now = datetime.now(UTC)
    return ChannelConfig("t", cid, kind, owner, "", "", "sealed", "", now)


def test_routing_defaults_rules_personal_channels_email_and_mutes() -> None:
    people = {Audience.REP: ["rep@x.cn"], Audience.MANAGER: ["boss@x.cn"]}
    group = _channel("g", ChannelKind.WECOM)
    mail = _channel("m", ChannelKind.EMAIL)
    own = _channel("p", ChannelKind.FEISHU, owner="boss@x.cn")
    channels = [group, mail, own]
    stall = plan_routes("opportunity.stalled", people, channels, [])
    assert [(r.channel.channel_id, r.addressees) for r in stall] == [
        ("g", ("rep@x.cn", "boss@x.cn")),
        ("m", ("rep@x.cn",)),
        ("m", ("boss@x.cn",)),
        ("p", ("boss@x.cn",)),
    ]
    view = plan_routes("document.viewed", people, channels, [])
    assert [r.channel.channel_id for r in view] == ["g", "m"]  # rep only by default
    rule = RoutingRule("t", "r", "g", ("health.red",), ("manager",), datetime.now(UTC))
    assert [r.addressees for r in plan_routes("health.red", people, [group], [rule])] == [
        ("boss@x.cn",)
    ]
    assert plan_routes("opportunity.stalled", people, [group], [rule]) == []
    muted = plan_routes("opportunity.stalled", people, [group], [], {"rep@x.cn"})
    assert [r.addressees for r in muted] == [("boss@x.cn",)]


def test_messages_in_chinese_and_english_keep_names() -> None:
    facts = {
        "recipient_name": "王总",
        "document_title": "年度采购方案",
        "account": "华为技术",
        "read_seconds": 245.4,
        "read_pages": 6,
    }
    zh = render("zh_CN", "document.viewed", facts)
    assert zh.title == "王总 阅读了《年度采购方案》"
    assert [(x.label, x.text) for x in zh.lines] == [
        ("阅读时长", "4 分 5 秒，共 6 页"),
        ("客户", "华为技术"),
    ]
    en = render("en", "document.viewed", facts)
    assert en.title == "王总 read “年度采购方案”" and en.lines[0].text == "4 min 5 s across 6 pages"


def test_feishu_signature_matches_the_documented_construction() -> None:
    key = b"1599360473\nsecret-x"
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert feishu_sign(1599360473, "secret-x") == expected


def test_default_briefing_trend_and_three_actions() -> None:
    now = datetime(2024, 6, 10, 1, 0, tzinfo=UTC)
    deal = DealFacts(
        "o1",
        "华为技术",
        "r",
        "m",
        expected_close_date=date(2024, 6, 15),
        last_view_at=datetime(2024, 6, 9, tzinfo=UTC),
        dwell_7d_s=600,
        dwell_prev_7d_s=100,
        downloads_7d=1,
        viewers_7d=4,
    )
    (b,) = default_briefing_deals([deal], now)
    assert b.trend == "up" and b.last_kind == "view"
    assert [a["code"] for a in b.actions] == ["act.download", "act.close", "act.committee"]
    message = render(
        "zh_CN",
        "briefing.daily",
        {"name": "张伟", "date": "2024-06-10", "now": now.isoformat(), "deals": [b.facts()]},
    )
    text = message.plain()
    assert message.title == "张伟，今日客户健康简报（2024-06-10）"
    assert "最近互动：昨天 · 客户阅读文档" in text and "健康趋势：上升 ↑" in text
    assert "下一步：1. 客户近 7 天下载了文件，24 小时内跟进" in text
    assert "3. 已有 4 位读者，约一次与决策人的会议" in text


async def test_rate_reservations_are_exact_sliding_windows(redis_client: aioredis.Redis) -> None:
    limiter = RateLimiter(redis_client, "test", margin_ms=0)
    feishu = [RateLimit(count=100, seconds=60), RateLimit(count=5, seconds=1)]
    slots = [await limiter.reserve("bot", feishu, at_ms=1_000_000) for _ in range(12)]
    assert slots[:5] == [1_000_000] * 5  # a burst of five within the second
    assert slots[5:10] == [1_001_000] * 5 and slots[10:] == [1_002_000] * 2
    wecom = [RateLimit(count=20, seconds=60)]
    slots = [await limiter.reserve("wecom", wecom, at_ms=0) for _ in range(41)]
    assert slots.count(0) == 20 and slots[20:40] == [60_000] * 20 and slots[40] == 120_000
