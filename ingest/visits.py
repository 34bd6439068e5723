"""Visits and forwards, decided atomically with the stream entry.

Who the events of a request belong to in time (visit) and whether the viewer is new to a
link that already had someone (forwarded) is state, and the answer depends on arrival order.
So it is decided where arrival order is defined — in Redis, by the same script call that
appends the request's entry to the stream (`APPEND_TOUCHED`, one call per coalesced round of
requests, deciding them one after the other). The answer travels *in* the entry (field
`a`), and the writer applies it to the rows (`decode_touched`): however many writers there
are, in whatever order they take entries, and however often a batch is replayed, every row
gets the answer given when it arrived.

Per request with a viewer id and at least one human row, the script:

- continues the viewer's current visit when its last activity is within
  `visit_gap_seconds`, otherwise opens a new one (the candidate id the API drew);
- marks the viewer forwarded when the link already had another viewer — unless the viewer
  was already recognised as the same person (`recognise_viewer`: a second browser of the
  recipient who verified the recipient's email, or an email an earlier non-forwarded viewer
  verified, at the link's gate);
- makes a headless verdict sticky for the rest of the viewer's session;
- renews the state's and the link viewers' TTLs at most every `TTL_RENEWAL_SECONDS`;
- bounds the visit's dwell by the wall clock: the active time a viewer reports across all
  pages of one visit cannot exceed the time since the visit opened plus one heartbeat's
  slack (so no page can either). Dwell rows are credited in order while they fit; a row
  that does not is flagged `dwell_over_clock` — stored, left out of every count and score.
  (One forged session once sent 1 000 dwell events in 0.06 s: 4.17 h of "reading".)

Flagged rows (other than headless, which the script may spread) never open visits or mark
forwards — a Slackbot unfurl must not make the real recipient look "forwarded".
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final, NamedTuple

from redis.asyncio import Redis

from ingest.entry import OWN, SHARED, Entry, decode_entry
from ingest.model import ROW, PoisonEntry
from tracker import redis_keys
from tracker.ids import new_id
from tracker.types import BotReason

__all__ = ["APPEND_TOUCHED", "VisitTouch", "decode_touched", "recognise_viewer", "visit_touch"]

# One call appends a round of entries (`ingest.buffer.StreamBuffer`). KEYS: the stream, then
# the viewer-state and link-viewers keys of each entry with a touch, in entry order. ARGV[1]:
# a msgpack array of entries, each [fields, touch]: the entry's fields as a flat name/value
# array, and (for an entry that can open a visit, else absent) `VisitTouch.args` as strings —
# now ms, gap ms, candidate visit id, viewer id, the two TTLs, headless flag ('' or the
# reason), the dwell ms of the request's dwell rows (comma-separated, in row order), the
# slack ms, the TTL renewal interval ms. Returns the entries' ids in order; a touched entry
# gets the answer field `a`: visit, forwarded, sticky bot reason and one '1' (credited) /
# '0' (over the clock) per dwell row. Entries are decided one after the other, in arrival
# order, as separate calls would.
APPEND_TOUCHED: Final = """
local function touch(state_key, viewers_key, t)
  local state = redis.call('HMGET', state_key, 'bot', 'last', 'visit', 'vs', 'dw', 'fwd', 'ex')
  local bot, visit, fwd, mask = t[7], '', '0', ''
  local renew = (not state[7]) or tonumber(t[1]) - tonumber(state[7]) >= tonumber(t[10])
  if bot == '' then bot = state[1] or '' end
  if bot ~= '' then
    if t[7] ~= '' then redis.call('HSET', state_key, 'bot', bot) end
    redis.call('EXPIRE', state_key, t[5])
  else
    local now, last = tonumber(t[1]), tonumber(state[2] or '-1')
    visit = state[3]
    local started, dwelt = tonumber(state[4] or t[1]), tonumber(state[5] or '0')
    if (not visit) or last < 0 or now - last > tonumber(t[2]) then
      visit, started, dwelt = t[3], now, 0
    end
    local allowed = now - started + tonumber(t[9])
    for d in string.gmatch(t[8], '%d+') do
      d = tonumber(d)
      if dwelt + d <= allowed then dwelt = dwelt + d; mask = mask .. '1' else mask = mask .. '0' end
    end
    local latest = state[2]
    if now > last then latest = t[1] end
    fwd = state[6]
    if not fwd then
      fwd = redis.call('HGET', viewers_key, t[4])
      if not fwd then
        if redis.call('HLEN', viewers_key) > 0 then fwd = '1' else fwd = '0' end
        redis.call('HSET', viewers_key, t[4], fwd)
      end
      renew = true
    end
    if renew then
      redis.call('HSET', state_key, 'visit', visit, 'last', latest, 'vs', started, 'dw', dwelt,
                 'fwd', fwd, 'ex', t[1])
      redis.call('EXPIRE', viewers_key, t[6])
      redis.call('EXPIRE', state_key, t[5])
    else
      redis.call('HSET', state_key, 'visit', visit, 'last', latest, 'vs', started, 'dw', dwelt)
    end
  end
  return visit .. '\\31' .. fwd .. '\\31' .. bot .. '\\31' .. mask
end
local ids, k = {}, 2
for i, entry in ipairs(cmsgpack.unpack(ARGV[1])) do
  local fields, t = entry[1], entry[2]
  if t then
    fields[#fields + 1] = 'a'
    fields[#fields + 1] = touch(KEYS[k], KEYS[k + 1], t)
    k = k + 2
  end
  ids[i] = redis.call('XADD', KEYS[1], '*', unpack(fields))
end
return ids
"""

# KEYS: link viewers, gate emails. ARGV: viewer id, verified email (lower case), the link's
# recipient email (lower case, may be ''), the link-viewers TTL. A viewer already decided
# keeps its answer; returns '0' when recognised as the recipient, else ''.
_RECOGNISE: Final = """
local have = redis.call('HGET', KEYS[1], ARGV[1])
if have then return have end
local same = ARGV[2] ~= '' and ARGV[2] == ARGV[3]
if not same and ARGV[2] ~= '' then
  local emails = redis.call('HGETALL', KEYS[2])
  for i = 1, #emails, 2 do
    if emails[i] ~= ARGV[1] and string.lower(emails[i + 1]) == ARGV[2]
       and redis.call('HGET', KEYS[1], emails[i]) == '0' then
      same = true
      break
    end
  end
end
if not same then return '' end
redis.call('HSET', KEYS[1], ARGV[1], '0')
redis.call('EXPIRE', KEYS[1], ARGV[4])
return '0'
"""

_HEADLESS: Final = BotReason.HEADLESS.value
#: How often a viewer's requests renew the TTLs of its state and its link's viewers (days
#: long): at most once in this long, not with every heartbeat. The state also keeps the
#: viewer's forward answer, which never changes once given (`recognise_viewer` keeps it),
#: so a heartbeat costs the script an HMGET, an HSET and the XADD — three commands, not six
#: (Redis's CPU a beacon 19 → 16.5–17 µs on the API-only load, 2026-12-04).
TTL_RENEWAL_SECONDS: Final = 600
_SEPARATOR: Final = b"\x1f"
_REASONS: Final = frozenset(reason.value for reason in BotReason)
_OVER_CLOCK: Final = BotReason.DWELL_OVER_CLOCK.value


@lru_cache(maxsize=50_000)  # as many as `ingest.enrich.SESSION_CACHE_SIZE` viewer sessions
def _state_keys(tenant: str, link: str, viewer: str) -> tuple[str, str]:
    """The viewer-state and link-viewers keys: the same for every beacon of a session."""
    return redis_keys.viewer_state(tenant, link, viewer), redis_keys.link_viewers(tenant, link)


class VisitTouch(NamedTuple):
    """The state keys and arguments of one request's entry in `APPEND_TOUCHED` (a named
    tuple: a frozen dataclass costs ~1 µs more to build, once per beacon). The arguments are
    strings, as the script would have read them from ARGV."""

    keys: tuple[str, str]
    args: tuple[str, ...]


def visit_touch(
    entry: Entry, now_ms: int, gap_seconds: int, *, dwell_slack_ms: int = 15_000
) -> VisitTouch | None:
    """What the script needs for this request, or None when nothing in it can open a visit
    (no viewer id, or only bots): then a plain `XADD` will do. `dwell_slack_ms`: dwell a
    visit may report beyond its wall-clock age (one heartbeat plus the clamp's slack)."""
    shared = entry.shared
    tenant, link, viewer = (
        shared[SHARED.tenant_id],
        shared[SHARED.link_id],
        shared[SHARED.viewer_id],
    )
    if not viewer:
        return None
    # One pass over the events (this runs for every beacon): the human rows — not flagged,
    # or flagged headless, which the script may spread — their dwell, any headless among them.
    human = headless = False
    dwells: list[str] = []
    for own in entry.events:
        if own[OWN.is_bot]:
            if own[OWN.bot_reason] != _HEADLESS:
                continue
            headless = True
        human = True
        if own[OWN.dwell_ms] > 0:
            dwells.append(str(own[OWN.dwell_ms]))
    if not human:
        return None
    gap, state_ttl, viewers_ttl, slack, renew = _constants(gap_seconds, dwell_slack_ms)
    return VisitTouch(
        keys=_state_keys(tenant, link, viewer),
        args=(
            str(now_ms),
            gap,
            new_id("visit", now_ms=now_ms),
            viewer,
            state_ttl,
            viewers_ttl,
            _HEADLESS if headless else "",
            ",".join(dwells),
            slack,
            renew,
        ),
    )


@lru_cache(maxsize=16)
def _constants(gap_seconds: int, dwell_slack_ms: int) -> tuple[str, str, str, str, str]:
    """The touch arguments every request of one configuration shares, as strings."""
    return (
        str(gap_seconds * 1000),
        str(redis_keys.VIEWER_STATE_TTL_SECONDS),
        str(redis_keys.LINK_VIEWERS_TTL_SECONDS),
        str(dwell_slack_ms),
        str(TTL_RENEWAL_SECONDS * 1000),
    )


async def recognise_viewer(
    redis: Redis,
    tenant_id: str,
    link_id: str,
    viewer_id: str,
    *,
    verified_email: str,
    recipient_email: str,
) -> bool:
    """Called when a viewer passes the link's email gate (the email is stored under
    `redis_keys.gate_email` first): a second browser of the same person — the recipient's
    email, or the email an earlier non-forwarded viewer verified — is registered as not
    forwarded before its first beacon, so its reading counts for the recipient. True when
    the viewer is (now or already) the recipient's."""
    keys = (redis_keys.link_viewers(tenant_id, link_id), redis_keys.gate_email(tenant_id, link_id))
    answer = await redis.eval(  # type: ignore[misc]
        _RECOGNISE,
        2,
        *keys,
        viewer_id,
        verified_email.strip().lower(),
        recipient_email.strip().lower(),
        redis_keys.LINK_VIEWERS_TTL_SECONDS,
    )
    return bool(answer) and (answer.decode() if isinstance(answer, bytes) else answer) == "0"


def decode_touched(fields: dict[bytes, bytes]) -> list[list[Any]]:
    """An entry's rows with its visit answer applied; raises `PoisonEntry`."""
    rows = decode_entry(fields)
    answer = fields.get(b"a")
    if answer is None:
        return rows
    parts = answer.split(_SEPARATOR)
    if len(parts) == 3:  # written before dwell was bounded: nothing to apply
        parts.append(b"")
    if len(parts) != 4 or parts[1] not in (b"0", b"1") or len(parts[0]) > 64:
        raise PoisonEntry("bad_visit_answer")
    visit, forwarded, bot = parts[0].decode(), parts[1] == b"1", parts[2].decode()
    credited = parts[3]
    if (bot and bot not in _REASONS) or credited.strip(b"01"):
        raise PoisonEntry("bad_visit_answer")
    dwell_rows = 0
    for row in rows:
        if not row[ROW.viewer_id] or (row[ROW.is_bot] and row[ROW.bot_reason] != _HEADLESS):
            continue
        if bot and not row[ROW.is_bot]:
            row[ROW.is_bot], row[ROW.bot_reason] = 1, bot
        if row[ROW.dwell_ms] > 0 and not bot:
            # The script judged the same dwell rows, in the same order.
            if dwell_rows < len(credited) and credited[dwell_rows] == ord("0"):
                row[ROW.is_bot], row[ROW.bot_reason] = 1, _OVER_CLOCK
            dwell_rows += 1
        if not row[ROW.is_bot]:
            row[ROW.visit_id], row[ROW.forwarded] = visit, int(forwarded)
    return rows
