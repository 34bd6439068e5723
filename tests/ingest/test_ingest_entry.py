"""Stream entries: the compact v2 entry the API writes expands to exactly the rows the full-row
v1 entry carried for the same request; v1 entries still decode (and are written); malformed
v2 entries are poison with a reason."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis

from ingest import Event, EventContext, Ingestor, RequestMeta, Writer, validate_beacon
from ingest.enrich import parse_user_agent
from ingest.entry import Entry, decode_entry
from ingest.model import ROW, PoisonEntry, RawEvent
from ingest.service import beacon_event_id
from ingest.verdict import request_verdict, scanner_verdict, signals_verdict
from tests.ingest.support import HUMAN, drain, dwell, make_claims
from tracker.config import Settings
from tracker.tokens import TokenSigner
from tracker.types import EventType

NOW = int(time.time() * 1000)


@pytest.fixture(autouse=True)
def _fresh_now() -> None:
    """`NOW` per test: beacons are checked against the real clock (client clock skew), so a
    value taken at import goes stale when the suite runs long."""
    global NOW
    NOW = int(time.time() * 1000)


SLACK = RequestMeta(user_agent="Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)")


class Captured:
    """An `EventStream` keeping what the API would append."""

    def __init__(self) -> None:
        self.fields: list[dict[bytes, bytes]] = []

    async def add(self, entry: Entry, touch: object = None) -> str:
        self.fields.append(entry.encode())
        return f"0-{len(self.fields)}"


@pytest.fixture
def captured(
    settings: Settings,
    redis_client: aioredis.Redis,
    signer: TokenSigner,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Ingestor, Captured]:
    monkeypatch.setattr("ingest.service._now_ms", lambda: NOW)
    monkeypatch.setattr("ingest.service._server_event_id", lambda now_ms: "evt_server")
    stream = Captured()
    return Ingestor(settings, redis_client, signer, stream, ip_key=b"k"), stream


async def expected_rows(
    ingestor: Ingestor,
    context: EventContext,
    raws: list[RawEvent],
    request: RequestMeta,
    event_ids: list[str],
    props: list[str],
) -> list[list[Any]]:
    """The rows these events should become: one `Event` each, enriched column by column
    (the long way round the entry's shared/own split)."""
    browser, os_family, device = parse_user_agent(request.user_agent)
    events = []
    for raw, event_id, prop in zip(raws, event_ids, props, strict=True):
        event = Event(
            event_id=event_id,
            tenant_id=context.tenant_id,
            event_type=raw.type.value,
            document_id=context.document_id,
            version_id=context.version_id,
            link_id=context.link_id,
            opportunity_id=context.opportunity_id,
            contact_id=context.contact_id,
            viewer_id=context.viewer_id,
            page=raw.page,
            dwell_ms=raw.dwell_ms,
            seq=raw.seq,
            client_ts=raw.client_ts_ms,
            received_at=NOW,
            ua_browser=browser,
            ua_os=os_family,
            ua_device=device,
            ip_hash=ingestor.enricher.hash_ip(request.ip),
            props=prop,
        )
        event.flag(request_verdict(request, raw.type))
        if not event.is_bot:
            event.flag(
                await scanner_verdict(
                    ingestor.enricher.redis,
                    event_type=raw.type,
                    tenant_id=context.tenant_id,
                    contact_id=context.contact_id,
                    link_sent_at_ms=context.link_sent_at_ms,
                    now_ms=NOW,
                )
            )
        event.flag(signals_verdict(raw.signals))
        events.append(event)
    return [event.to_row() for event in events]


@pytest.mark.parametrize(
    ("request_meta", "reasons"),
    [
        (HUMAN, ["headless", "none", "none", "none", "none"]),
        (SLACK, ["bot_user_agent"] * 5),
        (RequestMeta(method="HEAD", user_agent=HUMAN.user_agent), ["head_request"] * 5),
    ],
)
async def test_a_beacons_entry_decodes_to_the_rows_of_its_events(
    captured: tuple[Ingestor, Captured],
    settings: Settings,
    signer: TokenSigner,
    request_meta: RequestMeta,
    reasons: list[str],
) -> None:
    ingestor, stream = captured
    items = [
        {"id": "view-0001", "t": "view_start", "q": 0, "ts": NOW - 5, "sig": {"wd": True}},
        dwell(1, 10_000, ts=NOW - 4),
        dwell(2, 999_999, ts=NOW - 3),  # clamped
        {"id": "end-00001", "t": "visit_end", "p": 2, "q": 9, "ts": NOW - 2},
        {"id": "plain-001", "t": "view_start", "q": 1, "ts": NOW, "sig": {"sw": 1, "sh": 2}},
    ]
    body = orjson.dumps({"s": signer.viewer_session_token(make_claims()), "events": items})
    await ingestor.accept_beacon(body, content_type="text/plain", request=request_meta)
    (fields,) = stream.fields
    assert fields[b"v"] == b"2" and set(fields) == {b"v", b"c", b"e"}
    valid = validate_beacon(body, content_type="text/plain", settings=settings, signer=signer)
    context = EventContext.from_claims(valid.claims)
    raws = list(valid.events)
    expected = await expected_rows(
        ingestor,
        context,
        raws,
        request_meta,
        [beacon_event_id(context, raw.client_id) for raw in raws],
        [orjson.dumps(raw.signals.to_props()).decode() if raw.signals else "" for raw in raws],
    )
    assert decode_entry(fields) == expected
    assert [row[ROW.bot_reason] for row in expected] == reasons


async def test_server_events_decode_to_the_rows_of_their_events(
    captured: tuple[Ingestor, Captured],
) -> None:
    ingestor, stream = captured
    context = EventContext("ten_A", "lnk_1", "doc_1", "ver_1", "opp_1", "", "vwr_1", NOW - 10)
    cases = [
        (EventType.DOWNLOAD, 0, {"format": "pdf"}),
        (EventType.PIXEL_OPEN, 3, None),  # within the scanner window: flagged
    ]
    for kind, page, props in cases:
        await ingestor.accept_server_event(kind, context, request=HUMAN, page=page, props=props)
        raw = RawEvent("unused", kind, page, 0, 0, NOW)
        prop = orjson.dumps(props).decode() if props else ""
        expected = await expected_rows(ingestor, context, [raw], HUMAN, ["evt_server"], [prop])
        assert decode_entry(stream.fields[-1]) == expected
    (row,) = decode_entry(stream.fields[-1])
    assert (row[ROW.is_bot], row[ROW.bot_reason]) == (1, "scanner_timing")


def sample() -> list[Event]:
    ids = ("ten_A", "doc_1", "ver_1", "lnk_1", "", "", "vwr_1")
    return [
        Event("evt_1", ids[0], "page_dwell", *ids[1:], page=1, client_ts=NOW, received_at=NOW),
        Event("evt_2", ids[0], "visit_end", *ids[1:], seq=3, client_ts=NOW, received_at=NOW),
    ]


def test_entries_round_trip_and_full_row_entries_are_an_unknown_version() -> None:
    events = sample()
    assert decode_entry(Entry.of(events).encode()) == [event.to_row() for event in events]
    full_rows = {b"v": b"1", b"e": orjson.dumps([event.to_row() for event in events])}
    with pytest.raises(PoisonEntry) as caught:
        decode_entry(full_rows)
    assert caught.value.reason == "unknown_entry_version"


def v2(shared: Any, events: Any, *, raw_shared: bytes | None = None) -> dict[bytes, bytes]:
    return {
        b"v": b"2",
        b"c": raw_shared if raw_shared is not None else orjson.dumps(shared),
        b"e": orjson.dumps(events),
    }


GOOD = Entry.of(sample())


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (v2(GOOD.shared, GOOD.events, raw_shared=b"[not json"), "unparseable"),
        ({b"v": b"2", b"e": orjson.dumps(GOOD.events)}, "unparseable"),  # no shared columns
        (v2(GOOD.shared[:-1], GOOD.events), "bad_shared_columns"),
        (v2({"tenant_id": "ten_A"}, GOOD.events), "bad_shared_columns"),
        (v2(GOOD.shared, []), "no_rows"),
        (v2(GOOD.shared, {"a": 1}), "no_rows"),
        (v2(GOOD.shared, [GOOD.events[0][:-1]]), "bad_row"),
        (v2(GOOD.shared, [[*GOOD.events[0], "extra"]]), "bad_row"),
        (v2(GOOD.shared, ["evt_1"]), "bad_row"),
        (v2(GOOD.shared, [[*GOOD.events[0][:2], -1, *GOOD.events[0][3:]]]), "bad_row"),  # page
        (v2([*GOOD.shared[:7], "now", *GOOD.shared[8:]], GOOD.events), "bad_row"),  # received
        (v2([1, *GOOD.shared[1:]], GOOD.events), "bad_row"),  # tenant not a string
    ],
)
def test_malformed_v2_entries_are_poison(fields: dict[bytes, bytes], reason: str) -> None:
    assert decode_entry(v2(GOOD.shared, GOOD.events))  # the well-formed one decodes
    with pytest.raises(PoisonEntry) as caught:
        decode_entry(fields)
    assert caught.value.reason == reason


async def test_malformed_v2_entries_go_to_dead_letters(
    fast_settings: Settings, writer: Writer, redis_client: aioredis.Redis
) -> None:
    stream = fast_settings.ingest.stream
    await redis_client.xadd(stream, v2(GOOD.shared[:3], GOOD.events))  # type: ignore[arg-type]
    await redis_client.xadd(stream, v2(GOOD.shared, [["evt_1"]]))  # type: ignore[arg-type]
    await redis_client.xadd(stream, GOOD.encode())  # type: ignore[arg-type]
    assert await drain(writer) == 2
    letters: Any = await redis_client.xrange(fast_settings.ingest.dead_letter_stream)
    assert sorted(fields[b"reason"] for _, fields in letters) == [
        b"bad_row",
        b"bad_shared_columns",
    ]
