"""One pagination convention on the list endpoints: `limit` + `cursor` → `next_cursor`,
every row exactly once across pages, a bad cursor a 400 with its code."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import bearer, make_key
from tests.pdfs import proposal
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope


def _walk(client: TestClient, key: str, path: str, field: str, limit: int) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        params: dict[str, str | int] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        body = client.get(path, headers=bearer(key), params=params).json()
        ids = [row.get("id") or row.get("document_id") for row in body[field]]
        pages.append([str(i) for i in ids])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def test_documents_and_links_page_by_cursor(client: TestClient, clickhouse: ClickHouse) -> None:
    _, key = make_key(clickhouse, "acme", Scope.REPS)
    documents = []
    for n in range(5):
        files = {"file": ("p.pdf", proposal(1), "application/pdf")}
        made = client.post(
            "/api/v1/documents", headers=bearer(key), files=files, data={"title": f"D{n}"}
        )
        documents.append(made.json()["document_id"])
    recipients = [{"email": f"r{n}@buyer.example.com"} for n in range(7)]
    made = client.post(
        "/api/v1/links",
        headers=bearer(key),
        json={"document_id": documents[0], "recipients": recipients},
    )
    links = [link["id"] for link in made.json()["links"]]

    doc_pages = _walk(client, key, "/api/v1/documents", "documents", 2)
    assert [len(p) for p in doc_pages] == [2, 2, 1]
    assert sorted(i for p in doc_pages for i in p) == sorted(documents)
    link_pages = _walk(client, key, "/api/v1/links", "links", 3)
    assert [len(p) for p in link_pages] == [3, 3, 1]
    assert sorted(i for p in link_pages for i in p) == sorted(links)
    everything = client.get("/api/v1/links", headers=bearer(key)).json()
    assert everything["next_cursor"] is None and len(everything["links"]) == 7

    bad = client.get("/api/v1/links", headers=bearer(key), params={"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_cursor"
    too_big = client.get("/api/v1/documents", headers=bearer(key), params={"limit": 100_000})
    assert too_big.status_code == 422
