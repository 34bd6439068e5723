from __future__ import annotations

import io
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from tests.api.conftest import bearer, make_key
from tests.pdfs import (
    encrypted,
    encrypted_with,
    proposal,
    shared_heavy_stream,
    sized_page,
    with_javascript,
)
from tracker.clock import utcnow
from tracker.config import Settings
from tracker.crm.opportunities import Opportunity, upsert_opportunities
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope


def _upload(client: TestClient, key: str, data: bytes, **form: str) -> object:
    files = {"file": ("报价单.pdf", data, "application/pdf")}
    return client.post(
        "/api/v1/documents", headers=bearer(key), files=files, data={"title": "年度方案", **form}
    )


def _stored_rows(ch: ClickHouse) -> int:
    return int(ch.query(f"SELECT count() AS n FROM {ch.database}.document_versions")[0]["n"])


def test_upload_records_pages_words_tags_and_sanitises(
    client: TestClient, clickhouse: ClickHouse, settings: Settings
) -> None:
    _, key = make_key(clickhouse, "acme", Scope.REPS)
    response = _upload(
        client,
        key,
        with_javascript(proposal(4)),
        page_tags='{"4": ["Pricing"]}',
        opportunity_id="opp-1",
    )
    assert response.status_code == 201, response.text
    doc = response.json()
    version = doc["versions"][0]
    assert doc["title"] == "年度方案" and doc["opportunity_id"] == "opp-1"
    assert version["pages"] == 4 and version["revision"] == 1
    assert version["page_tags"] == {"4": ["pricing"]}
    assert all(words > 20 for words in version["page_words"])
    blob = (
        settings.data_dir
        / "blobs"
        / version["sha256"][:2]
        / version["sha256"][2:4]
        / version["sha256"]
    ).read_bytes()
    for marker in (b"/JS", b"/JavaScript", b"/OpenAction", b"/EmbeddedFiles"):
        assert marker not in blob
    assert len(PdfReader(io.BytesIO(blob)).pages) == 4


@pytest.mark.parametrize(
    ("name", "payload", "status", "code"),
    [
        ("empty", b"", 422, "empty_pdf"),
        ("text renamed", b"just some notes, not a pdf\n" * 20, 422, "not_a_pdf"),
        ("truncated", proposal(3)[:1500], 422, "truncated_pdf"),
        ("encrypted", encrypted(proposal(2)), 422, "encrypted_pdf"),
        ("AES-256", encrypted_with(proposal(2), "AES-256"), 422, "encrypted_pdf"),
        ("AES-128 + password", encrypted_with(proposal(2), "AES-128", "pw"), 422, "encrypted_pdf"),
        ("CPU bomb", shared_heavy_stream(), 422, "pdf_too_complex"),
        ("needle page", sized_page(1, 14_400), 422, "pdf_page_geometry"),
    ],
)
def test_bad_files_get_a_4xx_code_and_nothing_is_stored(
    client: TestClient,
    clickhouse: ClickHouse,
    settings: Settings,
    name: str,
    payload: bytes,
    status: int,
    code: str,
) -> None:
    _, key = make_key(clickhouse, "acme", Scope.REPS)
    response = _upload(client, key, payload)
    assert response.status_code == status, (name, response.text)
    assert response.json()["error"]["code"] == code
    assert _stored_rows(clickhouse) == 0
    assert not any(p.is_file() for p in (settings.data_dir / "blobs").rglob("*"))


def test_page_and_size_limits(
    settings: Settings, clickhouse: ClickHouse, client: TestClient
) -> None:
    settings.limits.max_pdf_pages = 3
    _, key = make_key(clickhouse, "acme", Scope.REPS)
    too_many = _upload(client, key, proposal(4))
    assert too_many.status_code == 422
    assert too_many.json()["error"]["code"] == "pdf_too_many_pages"
    settings.limits.max_pdf_bytes = 1000
    too_big = _upload(client, key, proposal(2))
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "pdf_too_large"
    assert _stored_rows(clickhouse) == 0


def test_missing_file_and_bad_tags_are_client_errors(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    _, key = make_key(clickhouse, "acme", Scope.REPS)
    missing = client.post("/api/v1/documents", headers=bearer(key), data={"title": "x"})
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "missing_file"
    bad_tags = _upload(client, key, proposal(2), page_tags='{"9": ["pricing"]}')
    assert bad_tags.status_code == 400
    assert bad_tags.json()["error"]["code"] == "page_out_of_range"
    assert _stored_rows(clickhouse) == 0


def test_versions_count_revisions_and_tags_can_change(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    _, key = make_key(clickhouse, "acme", Scope.REPS)
    doc = _upload(client, key, proposal(3)).json()
    files = {"file": ("v2.pdf", proposal(5), "application/pdf")}
    revised = client.post(
        f"/api/v1/documents/{doc['document_id']}/versions", headers=bearer(key), files=files
    )
    assert revised.status_code == 201
    body = revised.json()
    assert [v["revision"] for v in body["versions"]] == [1, 2]
    assert body["current_version_id"] == body["versions"][1]["version_id"]
    tagged = client.put(
        f"/api/v1/documents/{doc['document_id']}/versions/{body['current_version_id']}/tags",
        headers=bearer(key),
        json={"tags": {"5": ["pricing"], "1": ["cover"]}},
    )
    assert tagged.status_code == 200
    assert tagged.json()["page_tags"] == {"1": ["cover"], "5": ["pricing"]}


def test_other_tenants_documents_are_404(client: TestClient, clickhouse: ClickHouse) -> None:
    _, key_a = make_key(clickhouse, "a", Scope.REPS)
    _, key_b = make_key(clickhouse, "b", Scope.REPS)
    doc = _upload(client, key_a, proposal(2)).json()
    for path in (
        f"/api/v1/documents/{doc['document_id']}",
        f"/api/v1/documents/{doc['document_id']}/analytics",
    ):
        response = client.get(path, headers=bearer(key_b))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "document_not_found"
    listed = client.get("/api/v1/documents", headers=bearer(key_b)).json()
    assert listed == {"documents": [], "next_cursor": None}


def test_owner_is_given_or_taken_from_the_crm_opportunity(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    tenant, key = make_key(clickhouse, "acme", Scope.REPS)
    upsert_opportunities(clickhouse, tenant, [Opportunity(
        "opp-7", "华为技术", Decimal(1000), "CNY", "proposal", 40, "pipeline",
        "Li.Lei@Seller.example", utcnow())])  # fmt: skip
    given = _upload(client, key, proposal(2), owner=" Wang.Fang@Seller.example ")
    crm = _upload(client, key, proposal(2), opportunity_id="opp-7")
    unknown = _upload(client, key, proposal(2), opportunity_id="opp-not-pushed-yet")
    assert given.json()["owner"] == "wang.fang@seller.example"
    assert crm.json()["owner"] == "li.lei@seller.example"
    assert unknown.json()["owner"] is None
    before = _stored_rows(clickhouse)
    bad = _upload(client, key, proposal(2), owner="not an email")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_email"
    assert _stored_rows(clickhouse) == before
