"""The beacon's two readings (`ingest.validate`): the typed one (msgspec structs, one pass)
that every accepted beacon takes, and the checked one that names what is wrong with a refused
body. Over thousands of generated bodies — right and wrong values of every type in every
field, unknown and missing keys, bytes flipped — `parse_beacon` answers exactly what the
checked reading alone answers: the same events, or the same refusal code."""

from __future__ import annotations

import json
import random
import time
from typing import Any

import msgspec
import pytest

from ingest import RawBeacon, parse_beacon
from ingest.validate import checked_beacon, typed_beacon
from tracker.config import Settings
from tracker.errors import InvalidBeacon

VALUES: list[Any] = [
    0, 1, 2, 7, -1, 10_000, 3_600_000, 3_600_001, 2**31, 2**32 - 1, 2**32, 2**53,
    2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 1.0, 1.5, -0.0, 1e300,
    True, False, None, "", "1", "page_dwell", "view_start", "link_click", "abcdefgh",
    "abcdefgh\n", "a" * 64, "a" * 65, "short", "有中文的事件编号", [], {}, [1], {"wd": True},
]  # fmt: skip
SIGNALS: list[Any] = [
    {}, {"wd": True}, {"wd": False, "sw": 0, "sh": 0}, {"sw": 1920, "sh": 1080, "pl": 5},
    {"wd": 1}, {"sw": -2}, {"sw": 1_000_000}, {"pl": 1.0}, {"zz": 1}, None, [], "x",
]  # fmt: skip
KEYS = ("id", "t", "p", "d", "q", "ts", "sig")


def event(rng: random.Random, now: int) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": f"ev-{rng.randrange(10**9):09d}",
        "t": rng.choice(["view_start", "page_dwell", "visit_end", "headless_signal"]),
        "p": rng.randrange(0, 6),
        "d": rng.choice([0, 1000, 10_000, 40_000]),
        "q": rng.randrange(0, 100),
        "ts": now + rng.randrange(-(10**9), 10**9),
    }
    for _ in range(rng.choice([0, 0, 1, 2])):
        key = rng.choice(KEYS)
        if rng.random() < 0.15:
            item.pop(key, None)
        elif key == "sig":
            item["sig"] = rng.choice(SIGNALS)
        else:
            item[key] = rng.choice(VALUES)
    if rng.random() < 0.2:
        item["sig"] = rng.choice(SIGNALS)
    if rng.random() < 0.03:
        item[rng.choice(["extra", "T", "sig2"])] = 1
    return item


def body(rng: random.Random, now: int) -> bytes:
    doc: dict[str, Any] = {
        "s": rng.choice(["tok", "x" * 2048, "x" * 2049, "", 5, None]) if rng.random() < 0.1
        else "a-viewer-session-token",
        "events": [event(rng, now) for _ in range(rng.choice([1, 1, 2, 5, 0, 101]))],
    }  # fmt: skip
    if rng.random() < 0.03:
        doc["extra"] = 1
    if rng.random() < 0.03:
        doc.pop(rng.choice(["s", "events"]))
    if rng.random() < 0.03:
        doc["events"] = rng.choice([{}, "x", None, 1])
    # json, not orjson: it writes integers beyond 64 bits too
    data = json.dumps(doc, ensure_ascii=rng.random() < 0.5, separators=(",", ":")).encode()
    if rng.random() < 0.1:  # a flipped byte: broken JSON, UTF-8 or a changed value
        at = rng.randrange(len(data))
        data = data[:at] + bytes([rng.randrange(256)]) + data[at + 1 :]
    return data


def outcome(read: Any, data: bytes, settings: Settings) -> tuple[Any, ...]:
    try:
        beacon: RawBeacon = read(data, settings)
    except InvalidBeacon as exc:
        return "refused", exc.code
    # Client time defaults to the server's clock when absent: compare to the second.
    return (
        "accepted",
        [
            (e.client_id, e.type, e.page, e.dwell_ms, e.seq, e.client_ts_ms // 10_000, e.signals)
            for e in beacon.events
        ],
        beacon.token,
    )


@pytest.mark.parametrize("seed", range(3))
def test_parse_beacon_answers_what_the_checked_reading_answers(
    settings: Settings, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng, now = random.Random(seed), int(time.time() * 1000)
    # one server time for every reading: each clamps `ts` to its own now ± skew, and a
    # millisecond passing between two readings made them differ by one (a flaky failure)
    monkeypatch.setattr(time, "time_ns", lambda: now * 1_000_000)
    typed_accepted = refused = 0
    for _ in range(1500):
        data = body(rng, now)
        expected = outcome(checked_beacon, data, settings)
        parsed = outcome(
            lambda d, s: parse_beacon(d, content_type="application/json", settings=s),
            data,
            settings,
        )
        assert parsed == expected, data
        try:
            typed = outcome(typed_beacon, data, settings)
        except msgspec.DecodeError:
            refused += 1
            continue
        assert typed == expected, data  # what the typed reading accepts, the checked does
        typed_accepted += typed[0] == "accepted"
    assert typed_accepted > 150 and refused > 150  # both readings were exercised
