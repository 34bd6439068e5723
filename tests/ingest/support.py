"""Helpers for the ingest tests: claims, beacons, draining the writer."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import orjson

from ingest import RequestMeta, Writer
from tracker.stores.clickhouse import ClickHouse
from tracker.tokens import TokenSigner, ViewerSessionClaims

CHROME_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
HUMAN = RequestMeta(method="POST", user_agent=CHROME_UA, ip="203.0.113.7")


def make_claims(
    tenant: str = "ten_A", link: str = "lnk_1", viewer: str = "vwr_1", pages: int = 5
) -> ViewerSessionClaims:
    return ViewerSessionClaims(
        tenant_id=tenant,
        link_id=link,
        document_id="doc_1",
        version_id="ver_1",
        opportunity_id="opp_1",
        contact_id="con_1",
        viewer_id=viewer,
        pages=pages,
    )


_seq = itertools.count()


def dwell(page: int, ms: int, **extra: Any) -> dict[str, Any]:
    return {"id": uuid.uuid4().hex, "t": "page_dwell", "p": page, "d": ms, "q": next(_seq), **extra}


def beacon(signer: TokenSigner, events: list[dict[str, Any]], **claims: Any) -> bytes:
    token = signer.viewer_session_token(make_claims(**claims))
    return orjson.dumps({"s": token, "events": events})


async def drain(writer: Writer, rounds: int = 20) -> int:
    """Run batches until the stream has nothing left for this writer."""
    written = 0
    for _ in range(rounds):
        result = await writer.run_once()
        written += result.rows_written
        if result.entries == 0:
            return written
    raise AssertionError("writer did not drain")


def count_events(ch: ClickHouse, **where: str) -> int:
    sql = f"SELECT count() AS n FROM {ch.database}.events"
    if where:
        sql += " WHERE " + " AND ".join(f"{k} = {{{k}:String}}" for k in where)
    return int(ch.query(sql, where)[0]["n"])
