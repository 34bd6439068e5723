"""The Redis delivery queue, one per channel (`webhook` now; notification channels later).

Keys (one hash tag per channel, so a Redis Cluster keeps them in one slot)::

    {<prefix>:<channel>}:due        zset  delivery id → due time (epoch ms)
    {<prefix>:<channel>}:jobs       hash  delivery id → Job JSON (next attempt number inside)
    {<prefix>:<channel>}:lease      zset  delivery id → lease expiry (epoch ms) while in flight
    {<prefix>:<channel>}:owner      hash  delivery id → token of the claim holding it
    {<prefix>:<channel>}:dd:<key>   str   emission dedupe marker (set with the enqueue)

Every transition is one Lua script, so it is atomic:

- `enqueue`: SET NX the dedupe marker (if any) and add the jobs — both or neither, so an event
  replayed by an at-least-once producer is queued once and never lost between the two.
- `claim`: first return expired leases to `due` (a dispatcher died mid-attempt: at-least-once),
  then move up to N due ids from `due` to `lease` under a fresh token. Two dispatchers never
  claim the same attempt.
- `finish`: only the holder of the current token may complete (drop the job) or reschedule
  it (write the updated job, put it back in `due`); a stale holder's finish is ignored.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import redis.asyncio as aioredis

from outbound.webhooks.model import Job
from tracker.stores import redis_errors

__all__ = ["Claim", "DeliveryQueue", "now_ms"]

_ENQUEUE: Final = """
if KEYS[3] ~= nil then
  if not redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[1]) then return 0 end
end
for i = 2, #ARGV, 3 do
  redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 2])
  redis.call('ZADD', KEYS[1], 'NX', ARGV[i + 1], ARGV[i])
end
return 1
"""

_CLAIM: Final = """
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, id in ipairs(expired) do
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[4], id)
  redis.call('ZADD', KEYS[1], ARGV[1], id)
end
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZREM', KEYS[1], id)
  local job = redis.call('HGET', KEYS[3], id)
  if job then
    redis.call('ZADD', KEYS[2], ARGV[3], id)
    redis.call('HSET', KEYS[4], id, ARGV[4])
    table.insert(out, job)
  end
end
return out
"""

_DROP: Final = """
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
return redis.call('HDEL', KEYS[3], ARGV[1])
"""
_FINISH: Final = """
if redis.call('HGET', KEYS[4], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
if ARGV[3] == 'retry' then
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[5])
  redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
else
  redis.call('HDEL', KEYS[3], ARGV[1])
end
return 1
"""


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class Claim:
    job: Job
    token: str


class DeliveryQueue:
    def __init__(self, redis: aioredis.Redis, prefix: str, channel: str) -> None:
        self.redis = redis
        self.channel = channel
        tag = f"{{{prefix}:{channel}}}"
        self.due_key = f"{tag}:due"
        self.jobs_key = f"{tag}:jobs"
        self.lease_key = f"{tag}:lease"
        self.owner_key = f"{tag}:owner"
        self._dedupe_prefix = f"{tag}:dd:"
        self._enqueue = redis.register_script(_ENQUEUE)
        self._claim = redis.register_script(_CLAIM)
        self._finish = redis.register_script(_FINISH)
        self._drop = redis.register_script(_DROP)

    @property
    def _keys(self) -> list[str]:
        return [self.due_key, self.lease_key, self.jobs_key, self.owner_key]

    async def drop_mentioning(self, needles: Sequence[str]) -> int:
        """Drops queued jobs whose payload contains any of `needles` (a person's erasure:
        a message naming them must not go out after it). Returns how many were dropped."""
        dropped = 0
        wanted = [n.encode() for n in needles if n]
        with redis_errors("queue erasure"):
            async for delivery_id, raw in self.redis.hscan_iter(self.jobs_key, count=500):
                if any(n in bytes(raw) for n in wanted):
                    dropped += int(await self._drop(keys=self._keys, args=[delivery_id]))
        return dropped

    async def deduped(self, dedupe_key: str) -> bool:
        """Whether `enqueue` already queued jobs under `dedupe_key` (within its TTL)."""
        with redis_errors("webhook dedupe check"):
            return bool(await self.redis.exists(self._dedupe_prefix + dedupe_key))

    async def enqueue(
        self,
        jobs: Sequence[Job],
        *,
        due_ms: int | None = None,
        dedupe_key: str | None = None,
        dedupe_ttl_seconds: int = 30 * 86_400,
    ) -> bool:
        """Queue jobs; False (nothing queued) when `dedupe_key` was already used."""
        if not jobs:
            return False
        due = now_ms() if due_ms is None else due_ms
        keys = [self.due_key, self.jobs_key]
        if dedupe_key is not None:
            keys.append(self._dedupe_prefix + dedupe_key)
        args: list[Any] = [dedupe_ttl_seconds]
        for job in jobs:
            args += [job.delivery_id, due, job.dumps()]
        with redis_errors("webhook enqueue"):
            return bool(await self._enqueue(keys=keys, args=args))

    async def claim(
        self, limit: int, lease_seconds: float, *, at_ms: int | None = None
    ) -> list[Claim]:
        now = now_ms() if at_ms is None else at_ms
        token = secrets.token_hex(8)
        with redis_errors("webhook claim"):
            raw: list[bytes] = await self._claim(
                keys=self._keys, args=[now, limit, now + int(lease_seconds * 1000), token]
            )
        return [Claim(Job.loads(item), token) for item in raw]

    async def complete(self, claim: Claim) -> bool:
        """Drop a finished delivery; False if the claim had been taken over."""
        with redis_errors("webhook complete"):
            done = await self._finish(
                keys=self._keys, args=[claim.job.delivery_id, claim.token, "done", 0, ""]
            )
        return bool(done)

    async def reschedule(self, claim: Claim, job: Job, due_ms: int) -> bool:
        """Put the delivery back with its updated job (next attempt) due at `due_ms`."""
        with redis_errors("webhook reschedule"):
            done = await self._finish(
                keys=self._keys,
                args=[claim.job.delivery_id, claim.token, "retry", due_ms, job.dumps()],
            )
        return bool(done)

    async def next_due_ms(self) -> int | None:
        with redis_errors("webhook queue peek"):
            first: Any = await self.redis.zrange(self.due_key, 0, 0, withscores=True)
            lease: Any = await self.redis.zrange(self.lease_key, 0, 0, withscores=True)
        times = [int(score) for _, score in [*first, *lease]]
        return min(times) if times else None

    async def pending(self) -> int:
        """Deliveries queued or in flight."""
        with redis_errors("webhook queue size"):
            return int(await self.redis.hlen(self.jobs_key))  # type: ignore[misc]
