"""Visits and forwards, decided atomically with the stream entry.

Who the events of a request belong to in time (visit) and whether the viewer is new to a
link that already had someone (forwarded) is state, and the answer depends on arrival order.
So it is decided where arrival order is defined — in Redis, by the same script call that
appends the request's entry to the stream (`_XADD_TOUCHED`, replacing the plain `XADD`, so
a beacon still costs one command in its coalesced pipeline). The answer travels *in* the
entry (field `a`), and the writer applies it to the rows (`decode_touched`): however many
writers there are, in whatever order they take entries, and however often a batch is
replayed, every row gets the answer given when it arrived.

Per request with a viewer id and at least one human row, the script:

- continues the viewer's current visit when its last activity is within
  `visit_gap_seconds`, otherwise opens a new one (the candidate id the API drew);
- marks the viewer forwarded when the link already had another viewer;
- makes a headless verdict sticky for the rest of the viewer's session.

Flagged rows (other than headless, which the script may spread) never open visits or mark
forwards — a Slackbot unfurl must not make the real recipient look "forwarded".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from ingest.entry import OWN_COLUMNS, SHARED_COLUMNS, Entry, decode_entry
from ingest.model import EVENT_COLUMNS, PoisonEntry
from tracker import redis_keys
from tracker.ids import new_id
from tracker.types import BotReason

__all__ = ["XADD_TOUCHED", "VisitTouch", "decode_touched", "visit_touch"]

# KEYS: viewer state, link viewers, stream. ARGV: now ms, gap ms, candidate visit id, viewer
# id, the two TTLs, headless flag ('' or the reason), then the entry's fields as name/value
# pairs. Returns the new entry's id.
XADD_TOUCHED: Final = """
local state = redis.call('HMGET', KEYS[1], 'bot', 'last', 'visit')
local bot, visit, fwd = ARGV[7], '', '0'
if bot == '' then bot = state[1] or '' end
if bot ~= '' then
  if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'bot', bot) end
else
  local now, last = tonumber(ARGV[1]), tonumber(state[2] or '-1')
  visit = state[3]
  if (not visit) or last < 0 or now - last > tonumber(ARGV[2]) then visit = ARGV[3] end
  local latest = state[2]
  if now > last then latest = ARGV[1] end
  redis.call('HSET', KEYS[1], 'visit', visit, 'last', latest)
  fwd = redis.call('HGET', KEYS[2], ARGV[4])
  if not fwd then
    if redis.call('HLEN', KEYS[2]) > 0 then fwd = '1' else fwd = '0' end
    redis.call('HSET', KEYS[2], ARGV[4], fwd)
  end
  redis.call('EXPIRE', KEYS[2], ARGV[6])
end
redis.call('EXPIRE', KEYS[1], ARGV[5])
local fields = {}
for i = 8, #ARGV do fields[#fields + 1] = ARGV[i] end
fields[#fields + 1] = 'a'
fields[#fields + 1] = visit .. '\\31' .. fwd .. '\\31' .. bot
return redis.call('XADD', KEYS[3], '*', unpack(fields))
"""

_COL: Final = {name: index for index, name in enumerate(EVENT_COLUMNS)}
_VIEWER, _VISIT, _FORWARDED = _COL["viewer_id"], _COL["visit_id"], _COL["forwarded"]
_IS_BOT, _REASON = _COL["is_bot"], _COL["bot_reason"]
_HEADLESS: Final = BotReason.HEADLESS.value
_SEPARATOR: Final = b"\x1f"
_REASONS: Final = frozenset(reason.value for reason in BotReason)
_SHARED_TENANT, _SHARED_LINK, _SHARED_VIEWER = (
    SHARED_COLUMNS.index(name) for name in ("tenant_id", "link_id", "viewer_id")
)
_OWN_IS_BOT, _OWN_REASON = OWN_COLUMNS.index("is_bot"), OWN_COLUMNS.index("bot_reason")


@dataclass(frozen=True, slots=True)
class VisitTouch:
    """The state keys and arguments of one request's `XADD_TOUCHED` call."""

    keys: tuple[str, str]
    args: tuple[int | str, ...]


def visit_touch(entry: Entry, now_ms: int, gap_seconds: int) -> VisitTouch | None:
    """What the script needs for this request, or None when nothing in it can open a visit
    (no viewer id, or only bots): then a plain `XADD` will do."""
    tenant, link, viewer = (entry.shared[i] for i in (_SHARED_TENANT, _SHARED_LINK, _SHARED_VIEWER))
    if not viewer:
        return None
    human = [own for own in entry.events if not own[_OWN_IS_BOT] or own[_OWN_REASON] == _HEADLESS]
    if not human:
        return None
    return VisitTouch(
        keys=(redis_keys.viewer_state(tenant, link, viewer), redis_keys.link_viewers(tenant, link)),
        args=(
            now_ms,
            gap_seconds * 1000,
            new_id("visit", now_ms=now_ms),
            viewer,
            redis_keys.VIEWER_STATE_TTL_SECONDS,
            redis_keys.LINK_VIEWERS_TTL_SECONDS,
            _HEADLESS if any(own[_OWN_IS_BOT] for own in human) else "",
        ),
    )


def decode_touched(fields: dict[bytes, bytes]) -> list[list[Any]]:
    """An entry's rows with its visit answer applied; raises `PoisonEntry`."""
    rows = decode_entry(fields)
    answer = fields.get(b"a")
    if answer is None:
        return rows
    parts = answer.split(_SEPARATOR)
    if len(parts) != 3 or parts[1] not in (b"0", b"1") or len(parts[0]) > 64:
        raise PoisonEntry("bad_visit_answer")
    visit, forwarded, bot = parts[0].decode(), parts[1] == b"1", parts[2].decode()
    if bot and bot not in _REASONS:
        raise PoisonEntry("bad_visit_answer")
    for row in rows:
        if not row[_VIEWER] or (row[_IS_BOT] and row[_REASON] != _HEADLESS):
            continue
        if bot and not row[_IS_BOT]:
            row[_IS_BOT], row[_REASON] = 1, bot
        if not row[_IS_BOT]:
            row[_VISIT], row[_FORWARDED] = visit, int(forwarded)
    return rows
