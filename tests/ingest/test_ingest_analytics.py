"""Rollups (migration 0003) and document_analytics, end to end through the writer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pyarrow as pa

from ingest import (
    EventContext,
    Ingestor,
    RequestMeta,
    Writer,
    document_analytics,
    link_analytics,
)
from tests.ingest.support import HUMAN, drain, dwell
from tracker.stores.clickhouse import ClickHouse
from tracker.types import EventType

SLACK = RequestMeta(user_agent="Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)")


def add_version(ch: ClickHouse, tenant: str, pages: int) -> None:
    now = datetime.now(UTC)
    ch.insert(
        "documents",
        pa.table(
            {
                "tenant_id": [tenant],
                "document_id": ["doc_1"],
                "title": ["Proposal"],
                "current_version_id": ["ver_1"],
                "created_at": pa.array([now], pa.timestamp("ms", tz="UTC")),
                "version": pa.array([1], pa.uint64()),
            }
        ),
    )
    ch.insert(
        "document_versions",
        pa.table(
            {
                "tenant_id": [tenant],
                "document_id": ["doc_1"],
                "version_id": ["ver_1"],
                "revision": pa.array([1], pa.uint32()),
                "filename": ["p.pdf"],
                "sha256": ["0" * 64],
                "size_bytes": pa.array([1], pa.uint64()),
                "pages": pa.array([pages], pa.uint16()),
                "page_words": pa.array([[0] * pages], pa.list_(pa.uint32())),
                "page_tags": pa.array([[[]] * pages], pa.list_(pa.list_(pa.string()))),
                "created_at": pa.array([now], pa.timestamp("ms", tz="UTC")),
                "version": pa.array([1], pa.uint64()),
            }
        ),
    )


async def test_document_analytics_from_rollups(
    ingestor: Ingestor,
    writer: Writer,
    clickhouse: ClickHouse,
    make_beacon: Callable[..., bytes],
) -> None:
    add_version(clickhouse, "ten_A", pages=4)
    accept = ingestor.accept_beacon
    start = {
        "id": "start-vwr1",
        "t": "view_start",
        "p": 1,
        "sig": {"wd": False, "sw": 1920, "sh": 1080, "pl": 5},
    }
    await accept(
        make_beacon([start, dwell(1, 10_000), dwell(2, 4_000)]), content_type=None, request=HUMAN
    )
    await accept(make_beacon([dwell(1, 10_000), dwell(2, 3_000)]), content_type=None, request=HUMAN)
    # a forwarded colleague on the same link
    await accept(make_beacon([dwell(1, 5_000)], viewer="vwr_2"), content_type=None, request=HUMAN)
    # a headless browser: flagged by its in-page signals, and its later dwell too
    robot = {"id": "start-robot", "t": "view_start", "p": 1, "sig": {"wd": True}}
    await accept(make_beacon([robot], viewer="vwr_bot"), content_type=None, request=HUMAN)
    await accept(
        make_beacon([dwell(3, 15_000)], viewer="vwr_bot"), content_type=None, request=HUMAN
    )
    # an unfurler clicking the link and a real click + download
    ctx = EventContext(tenant_id="ten_A", link_id="lnk_1", document_id="doc_1", viewer_id="vwr_s")
    await ingestor.accept_server_event(EventType.LINK_CLICK, ctx, request=SLACK)
    await ingestor.accept_server_event(
        EventType.DOWNLOAD, ctx, request=HUMAN, props={"file": "p.pdf"}
    )
    # tenant B, same document and link ids
    await accept(make_beacon([dwell(1, 9_000)], tenant="ten_B"), content_type=None, request=HUMAN)
    await drain(writer)
    # a replayed insert (same token) must not double count in the rollups
    a = document_analytics(clickhouse, "ten_A", "doc_1")
    assert a["pages"] == [
        {"page": 1, "dwell_ms": 25_000, "viewers": 2},
        {"page": 2, "dwell_ms": 7_000, "viewers": 1},
    ]
    assert a["page_count"] == 4
    assert a["completion_pct"] == 50.0  # pages 1 and 2 have >= 5 s of 4
    assert (a["views"], a["viewers"], a["forwarded_viewers"], a["visits"]) == (1, 2, 1, 2)
    assert (a["downloads"], a["clicks"]) == (1, 0)
    assert a["bot_events"] == 3
    assert a["bot_reasons"] == {"bot_user_agent": 1, "headless": 2}
    b = document_analytics(clickhouse, "ten_B", "doc_1")
    assert b["pages"] == [{"page": 1, "dwell_ms": 9_000, "viewers": 1}]
    assert (b["bot_events"], b["downloads"], b["page_count"]) == (0, 0, 1)
    assert document_analytics(clickhouse, "ten_C", "doc_1")["pages"] == []
    only_link_2 = document_analytics(clickhouse, "ten_A", "doc_1", link_id="lnk_2")
    assert only_link_2["pages"] == [] and only_link_2["views"] == 0
    # the batched per-link read says exactly what the per-link read says
    per_link = link_analytics(clickhouse, "ten_A", "doc_1")
    assert per_link == {"lnk_1": document_analytics(clickhouse, "ten_A", "doc_1", link_id="lnk_1")}
    assert link_analytics(clickhouse, "ten_C", "doc_1") == {}


async def test_rollups_ignore_a_repeated_dedupe_token(clickhouse: ClickHouse) -> None:
    from ingest import events_table

    row = [
        "evt_1",
        "ten_A",
        "page_dwell",
        "doc_1",
        "ver_1",
        "lnk_1",
        "",
        "",
        "vwr_1",
        "vis_1",
        1,
        10_000,
        0,
        1_700_000_000_000,
        1_700_000_000_000,
        "Chrome",
        "Windows",
        "Other",
        "",
        0,
        "none",
        0,
        0,
        "",
    ]
    for _ in range(3):
        clickhouse.insert("events", events_table([row]), dedupe_token="tok-1")
    a = document_analytics(clickhouse, "ten_A", "doc_1")
    assert a["pages"] == [{"page": 1, "dwell_ms": 10_000, "viewers": 1}]
