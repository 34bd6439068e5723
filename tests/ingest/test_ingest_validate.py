from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import orjson
import pytest

from ingest import parse_beacon, validate_beacon
from tests.ingest.support import dwell
from tracker.config import Settings
from tracker.errors import InvalidBeacon
from tracker.tokens import TokenSigner


def check(
    body: bytes, settings: Settings, signer: TokenSigner, content_type: str = "application/json"
) -> Any:
    return validate_beacon(body, content_type=content_type, settings=settings, signer=signer)


def code_of(body: bytes, settings: Settings, signer: TokenSigner, **kw: Any) -> str:
    with pytest.raises(InvalidBeacon) as info:
        check(body, settings, signer, **kw)
    return info.value.code


def test_good_beacon_fetch_and_sendbeacon_bodies(
    settings: Settings, signer: TokenSigner, make_beacon: Callable[..., bytes]
) -> None:
    body = make_beacon([{"id": "abcdefgh", "t": "view_start", "p": 1}, dwell(2, 10_000)])
    for content_type in ("application/json", "text/plain;charset=UTF-8", None):
        valid = check(body, settings, signer, content_type=content_type)
        assert valid.claims.link_id == "lnk_1"
        assert [e.type.value for e in valid.events] == ["view_start", "page_dwell"]
        assert valid.events[1].dwell_ms == 10_000


@pytest.mark.parametrize(
    ("events", "code"),
    [
        ([{"id": "abcdefgh", "t": "teleport"}], "unknown_event_type"),
        ([{"id": "abcdefgh", "t": "link_click"}], "unknown_event_type"),
        ([dwell(6, 1000)], "page_out_of_range"),
        ([dwell(0, 1000)], "page_out_of_range"),
        ([dwell(-1, 1000)], "page_out_of_range"),
        ([dwell(1, -5)], "absurd_dwell"),
        ([dwell(1, 3_600_001)], "absurd_dwell"),
        ([dwell(1, 1.5)], "absurd_dwell"),
        ([dwell(1, "10")], "absurd_dwell"),
        ([{**dwell(1, 10), "q": -1}], "bad_seq"),
        ([{**dwell(1, 10), "ts": "yesterday"}], "bad_timestamp"),
        ([{**dwell(1, 10), "id": "short"}], "bad_event_id"),
        ([{**dwell(1, 10), "id": "has spaces in it"}], "bad_event_id"),
        ([{**dwell(1, 10), "extra": 1}], "malformed_json"),
        ([{"id": "abcdefgh", "t": "view_start", "sig": {"wd": "yes"}}], "bad_signals"),
        ([], "too_many_events"),
        ([dwell(1, 10) for _ in range(101)], "too_many_events"),
    ],
)
def test_bad_events_rejected_with_code(
    settings: Settings,
    signer: TokenSigner,
    make_beacon: Callable[..., bytes],
    events: list[dict[str, Any]],
    code: str,
) -> None:
    assert code_of(make_beacon(events), settings, signer) == code


def test_whole_batch_rejected_if_one_event_is_bad(
    settings: Settings, signer: TokenSigner, make_beacon: Callable[..., bytes]
) -> None:
    body = make_beacon([dwell(1, 1000), dwell(2, 1000), dwell(9, 1000)])
    assert code_of(body, settings, signer) == "page_out_of_range"


def test_body_too_large_rejected_before_parsing(settings: Settings, signer: TokenSigner) -> None:
    body = b"{" * (settings.limits.max_beacon_bytes + 1)
    assert code_of(body, settings, signer) == "body_too_large"


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1,2]", b'{"s": "x"}', b'{"s": "x", "events": {}, "z": 1}', b"\xff\xfe"],
)
def test_malformed_bodies(settings: Settings, signer: TokenSigner, body: bytes) -> None:
    assert code_of(body, settings, signer) == "malformed_json"


def test_bad_and_forged_tokens(settings: Settings, make_beacon: Callable[..., bytes]) -> None:
    other = TokenSigner(["another-deployment"])
    body = make_beacon([dwell(1, 10)])
    assert code_of(body, settings, other) == "bad_token"
    empty = orjson.dumps({"s": "", "events": [dwell(1, 10)]})
    assert code_of(empty, settings, other) == "bad_token"


def test_unsupported_media_type(
    settings: Settings, signer: TokenSigner, make_beacon: Callable[..., bytes]
) -> None:
    body = make_beacon([dwell(1, 10)])
    assert code_of(body, settings, signer, content_type="multipart/form-data") == (
        "unsupported_media"
    )


def test_modest_dwell_clamped_and_clock_skew_clamped(settings: Settings) -> None:
    now = time.time() * 1000
    body = orjson.dumps(
        {"s": "t", "events": [dwell(1, 40_000, ts=0), dwell(1, 500, ts=int(now) + 10**9)]}
    )
    raw = parse_beacon(body, content_type="text/plain", settings=settings)
    limit = (settings.ingest.heartbeat_seconds + settings.ingest.dwell_slack_seconds) * 1000
    skew = settings.ingest.clock_skew_seconds * 1000
    assert raw.events[0].dwell_ms == limit
    assert raw.events[1].dwell_ms == 500
    assert abs(raw.events[0].client_ts_ms - (now - skew)) < 5_000
    assert abs(raw.events[1].client_ts_ms - (now + skew)) < 5_000
