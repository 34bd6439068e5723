"""The beacon's privacy gate (`ingest.tracking_gate`) through the real Ingestor and writer:
a session that may record its open only lands its `view_start` and nothing else, whatever
the batch holds; a batch with no open is refused with the session's code; a session that
records everything is untouched; a token signed before sessions carried the field (8 items)
still records everything."""

from __future__ import annotations

import dataclasses
import uuid

import orjson
import pytest

from ingest import Ingestor, Writer
from tests.ingest.support import HUMAN, drain, dwell, make_claims
from tracker.errors import Forbidden
from tracker.stores.clickhouse import ClickHouse
from tracker.tokens import TokenPurpose, TokenSigner
from tracker.types import Tracking


def _open() -> dict[str, object]:
    return {"id": uuid.uuid4().hex, "t": "view_start", "p": 1}


def _end() -> dict[str, object]:
    return {"id": uuid.uuid4().hex, "t": "visit_end", "p": 1}


def _body(token: str, events: list[dict[str, object]]) -> bytes:
    return orjson.dumps({"s": token, "events": events})


def _types(ch: ClickHouse, viewer: str) -> list[str]:
    rows = ch.query(
        f"SELECT event_type FROM {ch.database}.events WHERE viewer_id = {{v:String}} "
        "ORDER BY event_type",
        {"v": viewer},
    )
    return [str(r["event_type"]) for r in rows]


@pytest.mark.parametrize(
    ("tracking", "code"),
    [
        (Tracking.CONSENT_PENDING, "consent_required"),
        (Tracking.DECLINED, "tracking_declined"),
        (Tracking.OPTED_OUT, "tracking_opted_out"),
    ],
)
async def test_an_opens_only_session_lands_its_open_and_nothing_else(
    ingestor: Ingestor,
    writer: Writer,
    clickhouse: ClickHouse,
    signer: TokenSigner,
    tracking: Tracking,
    code: str,
) -> None:
    claims = make_claims(viewer="vwr_gated")
    token = signer.viewer_session_token(dataclasses.replace(claims, tracking=tracking))
    with pytest.raises(Forbidden) as refused:
        await ingestor.accept_beacon(
            _body(token, [dwell(1, 4000), dwell(2, 3000), _end()]),
            content_type="text/plain",
            request=HUMAN,
        )
    assert refused.value.code == code and refused.value.status == 403
    mixed = [_open(), dwell(1, 4000), _end()]
    entry = await ingestor.accept_beacon(_body(token, mixed), content_type=None, request=HUMAN)
    assert len(entry.rows()) == 1
    await drain(writer)
    assert _types(clickhouse, "vwr_gated") == ["view_start"]


async def test_a_full_session_and_an_old_token_record_everything(
    ingestor: Ingestor, writer: Writer, clickhouse: ClickHouse, signer: TokenSigner
) -> None:
    full = signer.viewer_session_token(make_claims(viewer="vwr_full"))
    await ingestor.accept_beacon(
        _body(full, [_open(), dwell(1, 4000), _end()]), content_type=None, request=HUMAN
    )
    old_claims = make_claims(viewer="vwr_old").to_list()[:8]  # as signed before issue 18
    old = str(signer._timed(TokenPurpose.VIEWER_SESSION).dumps(old_claims))
    assert signer.read_viewer_session(old).tracking is Tracking.ALL
    await ingestor.accept_beacon(_body(old, [dwell(1, 4000)]), content_type=None, request=HUMAN)
    await drain(writer)
    assert _types(clickhouse, "vwr_full") == ["page_dwell", "view_start", "visit_end"]
    assert _types(clickhouse, "vwr_old") == ["page_dwell"]
