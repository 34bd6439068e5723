"""Notification tuning, `Settings.notify` (env `DEALSIGNAL_NOTIFY__…`, e.g.
`DEALSIGNAL_NOTIFY__BRIEFING_HOUR=8`)."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["NotifySettings", "RateLimit"]


class RateLimit(BaseModel):
    """At most `count` messages in any `seconds`-long window."""

    count: int
    seconds: float


def _limits() -> dict[str, list[RateLimit]]:
    return {
        # WeCom group robots: 20 messages a minute.
        "wecom": [RateLimit(count=20, seconds=60)],
        # Feishu custom bots: 100 a minute and 5 a second.
        "feishu": [RateLimit(count=100, seconds=60), RateLimit(count=5, seconds=1)],
        # Slack incoming webhooks: about one a second.
        "slack": [RateLimit(count=1, seconds=1)],
        "email": [RateLimit(count=60, seconds=60)],
    }


class NotifySettings(BaseModel):
    # The first-view message goes out this long after the visit starts, with the read time.
    view_delay_seconds: float = 300.0
    # The outbox of notices waiting for their time (view delay, quiet hours).
    outbox_queue: str = "ds:notify"
    outbox_batch: int = 200
    outbox_lease_seconds: float = 60.0
    # Per-channel-kind rate limits (every window is respected; over-limit = deferred).
    rate_limits: dict[str, list[RateLimit]] = Field(default_factory=_limits)
    # Event dedupe lifetime (same stall, same visit → one notice).
    dedupe_ttl_seconds: int = 30 * 86_400
    # Channel-config cache in dispatchers and the outbox pump.
    cache_seconds: float = 5.0
    # Daily briefing: local hour (the person's time zone) after which it is sent, and deals.
    briefing_hour: int = 9
    briefing_interval_seconds: float = 600.0
    briefing_max_deals: int = 10
    # Weekly process-health report: due from Monday at this local hour (each manager's time
    # zone), looked for every interval.
    process_report_hour: int = 9
    process_report_interval_seconds: float = 600.0
    smtp_timeout_seconds: float = 15.0
    default_time_zone: str = "Asia/Shanghai"
