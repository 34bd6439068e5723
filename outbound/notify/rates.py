"""Per-channel send rate limits in Redis: a message over the limit is *deferred* to the
first moment the limit allows it — never dropped, never counted as a failed attempt.

Each channel target keeps a log of reserved send times (a sorted set). Reserving a slot
finds the earliest time ≥ now and ≥ the last reservation at which every configured window
(e.g. Feishu: 5 per 1 s and 100 per 60 s) would still hold fewer than its count, records
it, and returns it; the caller queues the delivery due at that time. This is exact for
sliding windows — unlike a token bucket of capacity N refilled at N/window, which lets
2N−1 through in one window and would trip WeCom's 20-a-minute limit (errcode 45009).
One Lua script, so concurrent pumps never hand out the same slot."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Final

import redis.asyncio as aioredis

from outbound.notify.settings import RateLimit
from outbound.webhooks.queue import now_ms
from tracker.stores import redis_errors

__all__ = ["RateLimiter"]

_RESERVE: Final = """
local now = tonumber(ARGV[1])
local maxw = 0
for i = 4, #ARGV, 2 do
  local w = tonumber(ARGV[i + 1])
  if w > maxw then maxw = w end
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - maxw - 1)
local s = now
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] and tonumber(last[2]) > s then s = tonumber(last[2]) end
local n = redis.call('ZCARD', KEYS[1])
for i = 4, #ARGV, 2 do
  local count = tonumber(ARGV[i])
  local w = tonumber(ARGV[i + 1])
  if n >= count then
    local e = redis.call('ZRANGE', KEYS[1], n - count, n - count, 'WITHSCORES')
    local t = tonumber(e[2]) + w
    if t > s then s = t end
  end
end
redis.call('ZADD', KEYS[1], s, ARGV[2])
redis.call('PEXPIRE', KEYS[1], math.floor(s - now + maxw + tonumber(ARGV[3])))
return s
"""


class RateLimiter:
    def __init__(self, redis: aioredis.Redis, prefix: str, *, margin_ms: int = 100) -> None:
        self.redis = redis
        self.prefix = prefix
        self.margin_ms = margin_ms  # added to each window: network jitter at the receiver
        self._reserve = redis.register_script(_RESERVE)

    def key(self, target: str) -> str:
        return f"{self.prefix}:rate:{target}"

    async def reserve(
        self, target: str, limits: Sequence[RateLimit], *, at_ms: int | None = None
    ) -> int:
        """Epoch ms of the slot reserved for one message to `target` (≥ now)."""
        now = now_ms() if at_ms is None else at_ms
        if not limits:
            return now
        args: list[int | str] = [now, secrets.token_hex(8), 1000]
        for limit in limits:
            args += [limit.count, int(limit.seconds * 1000) + self.margin_ms]
        with redis_errors("notification rate limit"):
            return int(await self._reserve(keys=[self.key(target)], args=args))
