"""The demo's buyers and their browsers, replayed over real HTTP exactly as the viewer page
would: `GET /l/{token}` (keeps the `ds_vid` cookie), `GET /v/{token}` (the viewer-session
token from the viewer script's `data-session`), `POST /e` beacons (`view_start`, 10 s
`page_dwell` heartbeats, `visit_end`) and, for some, a download. Each `Reader` is one browser
session on one contact's link; the last is a colleague the CTO forwarded the link to."""

from __future__ import annotations

import random
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import httpx
import orjson

__all__ = ["CHROME", "CONTACTS", "READERS", "SLACKBOT", "Reader", "expected_heartbeats", "read"]

CHROME: Final = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
SLACKBOT: Final = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
_SESSION: Final = re.compile(r'<script[^>]*src="/static/viewer\.js"[^>]*data-session="([^"]+)"')
_HEARTBEAT_MS: Final = 10_000
_JITTER: Final = 0.05  # each page's reading time varies by up to ±5 %


@dataclass(frozen=True)
class Reader:
    """One browser session: `pages` is [(page, seconds of active reading)]."""

    contact: int  # index into CONTACTS (the link they open)
    pages: list[tuple[int, float]]
    download: bool = False
    forwarded_to: str = ""  # a colleague who got the link forwarded (own browser)


#: (name, role, is decision-maker, mailbox) of the opportunity's contacts, one link each.
CONTACTS: Final = (
    ("王总", "CTO", True, "wang.zong"),
    ("李娜", "Procurement", False, "li.na"),
    ("陈静", "CFO", False, "chen.jing"),
)
READERS: Final = (
    Reader(0, [(1, 12), (2, 48), (3, 75), (4, 40), (5, 160), (6, 35)], download=True),
    Reader(1, [(1, 8), (5, 95), (6, 70)]),
    Reader(2, [(1, 6), (5, 24)]),
    Reader(0, [(2, 30), (3, 62), (4, 55), (5, 40)], forwarded_to="刘工 (架构师)"),
)


def expected_heartbeats() -> int:
    """An upper bound on the `page_dwell` beacons of all READERS (for a progress bar)."""
    most = int(1000 * (1 + _JITTER))
    return sum(-(-int(s * most) // _HEARTBEAT_MS) for r in READERS for _, s in r.pages)


async def _open(http: httpx.AsyncClient, token: str) -> str:
    """Click the tracked link, follow to the viewer, return the viewer-session token."""
    click = await http.get(f"/l/{token}")
    if click.status_code != 302:
        raise RuntimeError(f"tracked link answered {click.status_code}")
    page = await http.get(f"/v/{token}")
    found = _SESSION.search(page.text)
    if page.status_code != 200 or not found:
        raise RuntimeError(f"viewer page without a session ({page.status_code})")
    return found.group(1)


async def _beacon(http: httpx.AsyncClient, session: str, events: list[dict[str, Any]]) -> None:
    body = orjson.dumps({"s": session, "events": events})
    response = await http.post(
        "/e", content=body, headers={"Content-Type": "text/plain;charset=UTF-8"}
    )
    if response.status_code != 204:
        raise RuntimeError(f"beacon refused: {response.status_code} {response.text[:200]}")


async def read(
    http: httpx.AsyncClient,
    token: str,
    reader: Reader,
    rnd: random.Random,
    tick: Callable[[], object],
) -> int:
    """One browser session; returns beacons sent. Client time runs from (now − reading
    time) so every timestamp lies in the recent past, 10 s apart like real heartbeats."""
    session = await _open(http, token)
    total_ms = int(sum(seconds for _, seconds in reader.pages) * 1000)
    clock, seq, sent = int(time.time() * 1000) - total_ms - 5_000, 0, 0

    def event(kind: str, page: int, dwell: int = 0, **extra: Any) -> dict[str, Any]:
        nonlocal seq
        seq += 1
        return {
            "id": uuid.uuid4().hex,
            "t": kind,
            "p": page,
            "d": dwell,
            "q": seq - 1,
            "ts": clock,
            **extra,
        }

    await _beacon(
        http, session, [event("view_start", 1, sig={"wd": False, "sw": 1920, "sh": 1080, "pl": 5})]
    )
    sent += 1
    for page, seconds in reader.pages:
        left = int(seconds * 1000 * rnd.uniform(1 - _JITTER, 1 + _JITTER))
        while left > 0:
            step = min(left, _HEARTBEAT_MS)
            clock, left = clock + step, left - step
            await _beacon(http, session, [event("page_dwell", page, step)])
            sent += 1
            tick()
    if reader.download:
        response = await http.get(f"/v/{token}/download")
        if response.status_code != 200:
            raise RuntimeError(f"download answered {response.status_code}")
    await _beacon(http, session, [event("visit_end", reader.pages[-1][0])])
    return sent + 1
