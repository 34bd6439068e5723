"""The entity-table helper against the real stores: what goes in comes back, the newest
version of an id wins, tenants never see each other's rows, soft-deleted rows disappear."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from tracker.documents import DOCUMENTS, VERSIONS, Document, DocumentVersion
from tracker.links import LINKS, Link
from tracker.stores import ClickHouse

AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def link(tenant: str, link_id: str, **kw: object) -> Link:
    fields: dict[str, object] = {
        "tenant_id": tenant, "link_id": link_id, "document_id": "doc_1", "opportunity_id": "",
        "contact_id": "", "recipient_email": "wang@example.cn", "recipient_name": "王总",
        "recipient_role": "CTO", "created_by": "", "created_at": AT, "expires_at": None,
        "download_allowed": False, "email_gate": True, "passcode_hash": "", "locale": "zh_CN",
        "watermark_template": "", "revoked_at": None,
    }  # fmt: skip
    return Link(**{**fields, **kw})  # type: ignore[arg-type]


def test_round_trip_and_the_newest_version_wins(store: ClickHouse) -> None:
    first = link("ten_A", "lnk_1")
    LINKS.write(store, [first, link("ten_A", "lnk_2", created_at=AT + timedelta(hours=1))])
    assert LINKS.find(store, "ten_A", link_id="lnk_1") == first  # bools, None, CJK intact
    time.sleep(0.002)  # versions are milliseconds
    revoked = replace(first, revoked_at=AT + timedelta(days=1))
    LINKS.write(store, [revoked])
    assert LINKS.find(store, "ten_A", link_id="lnk_1") == revoked
    newest_first = LINKS.select(store, "ten_A", order_by="created_at DESC")
    assert [x.link_id for x in newest_first] == ["lnk_2", "lnk_1"]
    assert LINKS.find(store, "ten_B", link_id="lnk_1") is None  # tenant scoped
    assert LINKS.find(store, None, link_id="lnk_1") == revoked  # the operator's read


def test_arrays_and_fixed_strings_and_soft_deletes(store: ClickHouse) -> None:
    version = DocumentVersion(
        "ten_A", "doc_1", "ver_1", 2, "方案.pdf", "a" * 64, 1234, 3, (238, 0, 119),
        ((), ("pricing",), ("security", "定价")), AT,
    )  # fmt: skip
    VERSIONS.write(store, [version])
    assert VERSIONS.find(store, "ten_A", version_id="ver_1") == version
    doc = Document("ten_A", "doc_1", "《方案》", "opp_1", "rep@x.cn", "ver_1", AT)
    DOCUMENTS.write(store, [doc])
    assert DOCUMENTS.select(store, "ten_A", equals={"opportunity_id": "opp_1"}) == [doc]
    time.sleep(0.002)
    DOCUMENTS.write(store, [doc], deleted=True)
    assert DOCUMENTS.select(store, "ten_A") == []
