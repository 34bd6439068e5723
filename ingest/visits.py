"""Visits and forwards, assigned by the writer in stream order.

The API answers a beacon once its entry is in the stream; who the events belong to in time
(visit) and whether the viewer is new to a link that already had someone (forwarded) is
state, and state costs a Redis round trip. Doing it here costs one Lua call per writer
batch instead of one per request on the hot path.

Per entry (one request, one viewer), the script `_TOUCH_VIEWERS`:

- continues the viewer's current visit when its last activity is within
  `visit_gap_seconds`, otherwise opens a new one;
- marks the viewer forwarded when the link already had another viewer;
- makes a headless verdict sticky for the rest of the viewer's session.

Flagged rows (other than headless, which the script may spread) never open visits or mark
forwards — a Slackbot unfurl must not make the real recipient look "forwarded". The candidate
visit id is derived from the stream entry, so a replayed batch opens the same visit again.
Entries are processed in stream order; a late entry (reclaimed after a newer one) joins the
current visit rather than opening one in the past.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import redis.asyncio as aioredis

from ingest.keys import (
    LINK_VIEWERS_TTL_SECONDS,
    VIEWER_STATE_TTL_SECONDS,
    link_viewers_key,
    redis_errors,
    viewer_state_key,
)
from ingest.model import EVENT_COLUMNS
from tracker.config import IngestSettings
from tracker.ids import derived_id
from tracker.types import BotReason

__all__ = ["VisitAssigner"]

# One call per batch: KEYS are (viewer state, link viewers) per entry; ARGV[1..3] the gap and
# TTLs, then (now, candidate visit id, viewer id, headless flag) per entry. Returns
# (visit, forwarded, sticky bot reason) per entry.
_TOUCH_VIEWERS: Final = """
local gap = tonumber(ARGV[1])
local out = {}
for e = 0, #KEYS / 2 - 1 do
  local state, viewers = KEYS[2 * e + 1], KEYS[2 * e + 2]
  local at = 4 + 4 * e
  local now_text, candidate, viewer, bot = ARGV[at], ARGV[at + 1], ARGV[at + 2], ARGV[at + 3]
  if bot == '' then
    bot = redis.call('HGET', state, 'bot') or ''
  else
    redis.call('HSET', state, 'bot', bot)
  end
  local visit, fwd = '', '0'
  if bot == '' then
    local now = tonumber(now_text)
    local last = tonumber(redis.call('HGET', state, 'last') or '-1')
    visit = redis.call('HGET', state, 'visit')
    if (not visit) or last < 0 or now - last > gap then
      visit = candidate
      redis.call('HSET', state, 'visit', visit)
    end
    if now > last then redis.call('HSET', state, 'last', now_text) end
    fwd = redis.call('HGET', viewers, viewer)
    if not fwd then
      if redis.call('HLEN', viewers) > 0 then fwd = '1' else fwd = '0' end
      redis.call('HSET', viewers, viewer, fwd)
    end
    redis.call('EXPIRE', viewers, ARGV[3])
  end
  redis.call('EXPIRE', state, ARGV[2])
  out[#out + 1] = visit
  out[#out + 1] = fwd
  out[#out + 1] = bot
end
return out
"""

_COL: Final = {name: index for index, name in enumerate(EVENT_COLUMNS)}
_TENANT, _LINK, _VIEWER = _COL["tenant_id"], _COL["link_id"], _COL["viewer_id"]
_VISIT, _RECEIVED, _FORWARDED = _COL["visit_id"], _COL["received_at"], _COL["forwarded"]
_IS_BOT, _REASON = _COL["is_bot"], _COL["bot_reason"]
_HEADLESS: Final = BotReason.HEADLESS.value


def _human(row: list[Any]) -> bool:
    return bool(row[_VIEWER]) and (not row[_IS_BOT] or row[_REASON] == _HEADLESS)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class VisitAssigner:
    """Fills `visit_id` and `forwarded` (and sticky headless flags) into stream rows."""

    def __init__(self, redis: aioredis.Redis, settings: IngestSettings) -> None:
        self._gap_ms = settings.visit_gap_seconds * 1000
        self._touch = redis.register_script(_TOUCH_VIEWERS)

    async def assign(
        self, entry_ids: Sequence[str], rows_by_entry: Mapping[str, list[list[Any]]]
    ) -> None:
        """Mutates the rows of each entry, entries taken in the given (stream) order."""
        touched: list[list[list[Any]]] = []
        keys: list[str] = []
        args: list[str | int] = [self._gap_ms, VIEWER_STATE_TTL_SECONDS, LINK_VIEWERS_TTL_SECONDS]
        for entry_id in entry_ids:
            human = [row for row in rows_by_entry.get(entry_id, ()) if _human(row)]
            if human:
                keys.extend(_keys(human[0]))
                args.extend(_args(entry_id, human))
                touched.append(human)
        if not touched:
            return
        with redis_errors("visit tracking"):
            replies = await self._touch(keys=keys, args=args)
        for index, human in enumerate(touched):
            visit, fwd, bot = (_text(value) for value in replies[3 * index : 3 * index + 3])
            _apply(human, visit, fwd == "1", bot)


def _keys(row: list[Any]) -> tuple[str, str]:
    return (
        viewer_state_key(row[_TENANT], row[_LINK], row[_VIEWER]),
        link_viewers_key(row[_TENANT], row[_LINK]),
    )


def _args(entry_id: str, human: list[list[Any]]) -> tuple[int, str, str, str]:
    first = human[0]
    received = max(row[_RECEIVED] for row in human)
    headless = _HEADLESS if any(row[_IS_BOT] for row in human) else ""
    material = f"{entry_id}\x1f{first[_TENANT]}\x1f{first[_LINK]}\x1f{first[_VIEWER]}"
    return (
        received,
        derived_id("visit", now_ms=received, material=material),
        first[_VIEWER],
        headless,
    )


def _apply(human: list[list[Any]], visit: str, forwarded: bool, bot: str) -> None:
    for row in human:
        if bot and not row[_IS_BOT]:
            row[_IS_BOT], row[_REASON] = 1, bot
        if not row[_IS_BOT]:
            row[_VISIT], row[_FORWARDED] = visit, int(forwarded)
