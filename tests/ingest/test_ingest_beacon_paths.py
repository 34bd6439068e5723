"""`Ingestor.accept_beacon` builds a typed beacon's columns straight from the decoded wire
events (`validate_wire`); a body only the checked reading takes goes the `RawEvent` way
(`validate_beacon`, `gate_beacon`). Over generated bodies with real tokens — every privacy
choice, pages beyond the document, clamped dwell and client time, signals, broken bodies —
both ways answer the same: the same stream entry, or the same refusal (type and code)."""

from __future__ import annotations

import dataclasses
import random
import time
from typing import Any

import pytest
import redis.asyncio as aioredis

from ingest import Ingestor, validate_beacon
from ingest.entry import Entry
from tests.ingest.support import HUMAN, make_claims
from tests.ingest.test_ingest_validate_paths import body
from tracker.config import Settings
from tracker.errors import DealsignalError
from tracker.tokens import TokenSigner
from tracker.types import Tracking

_PLACEHOLDER = b'"a-viewer-session-token"'


class Captured:
    """An `EventStream` keeping what the API would append (its Redis half is the buffer's
    tests' business)."""

    def __init__(self) -> None:
        self.fields: list[dict[bytes, bytes]] = []
        self.touches: list[object] = []

    async def add(self, entry: Entry, touch: object = None) -> str:
        self.fields.append(entry.encode())
        self.touches.append(touch)
        return f"0-{len(self.fields)}"


async def answer(call: Any) -> tuple[Any, ...]:
    try:
        entry = await call()
    except DealsignalError as exc:
        return "refused", type(exc).__name__, exc.code
    return "accepted", entry.shared, entry.events


@pytest.mark.parametrize("seed", range(2))
async def test_both_ways_of_accepting_a_beacon_answer_the_same(
    settings: Settings,
    redis_client: aioredis.Redis,
    signer: TokenSigner,
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
) -> None:
    # One clock for both ways: client time is clamped against it, received_at is it, and
    # a visit's candidate id (drawn fresh per request) is left out of the comparison.
    frozen = time.time_ns()
    monkeypatch.setattr(time, "time_ns", lambda: frozen)
    rng = random.Random(seed)
    fast_stream, slow_stream = Captured(), Captured()
    wired = Ingestor(settings, redis_client, signer, fast_stream, ip_key=b"k")
    checked = Ingestor(settings, redis_client, signer, slow_stream, ip_key=b"k")
    tokens = [
        signer.viewer_session_token(dataclasses.replace(make_claims(pages=pages), tracking=mode))
        for mode in (*Tracking, Tracking.ALL, Tracking.ALL)  # half of them record all
        for pages in (1, 5)
    ]
    kinds: dict[str, int] = {}
    for _ in range(1500):
        data = body(rng, frozen // 1_000_000)
        data = data.replace(_PLACEHOLDER, b'"' + rng.choice(tokens).encode() + b'"')
        content_type = rng.choice(["application/json", "text/plain;charset=UTF-8"])
        got = await answer(
            lambda d=data, c=content_type: wired.accept_beacon(d, content_type=c, request=HUMAN)
        )
        expected = await answer(
            lambda d=data, c=content_type: checked._accept_valid(
                validate_beacon(d, content_type=c, settings=settings, signer=signer), HUMAN
            )
        )
        assert got == expected, data
        kind = got[-1] if got[0] == "refused" else "accepted"
        kinds[kind] = kinds.get(kind, 0) + 1
    assert fast_stream.fields == slow_stream.fields
    assert [_without_visit_id(t) for t in fast_stream.touches] == [
        _without_visit_id(t) for t in slow_stream.touches
    ]
    # Accepted, gated and refused beacons were all exercised.
    assert kinds["accepted"] > 50 and kinds.get("consent_required", 0) > 10, kinds
    assert kinds.get("page_out_of_range", 0) > 20 and kinds.get("malformed_json", 0) > 20, kinds


def _without_visit_id(touch: Any) -> Any:
    return None if touch is None else (touch.keys, touch.args[:2], touch.args[3:])
