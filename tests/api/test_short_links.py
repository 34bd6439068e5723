"""Short links: `/l/{code}` with a random 12-character code looked up server side (nothing of
the tenant or link readable from the URL), and the signed long links of older links still
open."""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace

from fastapi.testclient import TestClient

from tests.api.conftest import bearer, make_key
from tests.pdfs import proposal
from tracker.links import LINKS, get_link, is_short_code
from tracker.stores.clickhouse import ClickHouse
from tracker.tokens import LinkClaims
from tracker.types import Scope


def _setup(client: TestClient, clickhouse: ClickHouse) -> tuple[str, str, dict[str, str]]:
    tenant_id, key = make_key(clickhouse, "acme", Scope.REPS)
    files = {"file": ("proposal.pdf", proposal(2), "application/pdf")}
    doc = client.post("/api/v1/documents", headers=bearer(key), files=files, data={"title": "Q"})
    assert doc.status_code == 201
    made = client.post(
        "/api/v1/links",
        headers=bearer(key),
        json={
            "document_id": doc.json()["document_id"],
            "recipients": [{"email": "dana@example.com"}, {"email": "li@example.com"}],
        },
    )
    assert made.status_code == 201
    return tenant_id, key, made.json()["links"]


def _decodings(text: str) -> str:
    """Every base64 reading of the text's pieces, as a person decoding the URL would."""
    found = [text]
    for piece in text.replace(".", "/").split("/"):
        for pad in ("", "=", "=="):
            try:
                found.append(base64.urlsafe_b64decode(piece + pad).decode("latin-1"))
            except (binascii.Error, ValueError):
                continue
    return " ".join(found)


def test_links_are_short_opaque_and_distinct(client: TestClient, clickhouse: ClickHouse) -> None:
    tenant_id, _, links = _setup(client, clickhouse)
    codes = []
    for link in links:
        code = link["url"].rsplit("/l/", 1)[1]
        assert is_short_code(code) and len(code) == 12
        assert link["viewer_url"].endswith(f"/v/{code}")
        readable = _decodings(link["url"])
        assert tenant_id not in readable and link["id"] not in readable
        assert len(link["url"]) == len("http://testserver/l/") + 12
        codes.append(code)
    assert len(set(codes)) == 2
    click = client.get(f"/l/{codes[0]}", follow_redirects=False)
    assert click.status_code == 302 and click.headers["location"] == f"/v/{codes[0]}"
    assert client.get(f"/v/{codes[0]}").status_code == 200


def test_unknown_codes_are_404_pages(client: TestClient, clickhouse: ClickHouse) -> None:
    _, _, links = _setup(client, clickhouse)
    code = links[0]["url"].rsplit("/", 1)[1]
    wrong = code[:-1] + ("a" if code[-1] != "a" else "b")
    for _ in range(2):  # the second answer comes from the cached "no such code"
        for url in (f"/l/{wrong}", f"/v/{wrong}", f"/v/{wrong}/download"):
            response = client.get(url, follow_redirects=False)
            assert response.status_code == 404, url
            assert "Link not found" in response.text


def test_long_links_of_older_links_keep_working(client: TestClient, clickhouse: ClickHouse) -> None:
    tenant_id, key, links = _setup(client, clickhouse)
    services = client.app.state.services  # type: ignore[attr-defined]
    # A link made before short codes (no code stored): its URL is the signed token.
    older = replace(get_link(clickhouse, tenant_id, links[0]["id"]), short_code="")
    LINKS.write(clickhouse, [older])
    listed = client.get(f"/api/v1/links/{older.link_id}", headers=bearer(key)).json()
    token = listed["url"].rsplit("/l/", 1)[1]
    assert "." in token and not is_short_code(token)
    click = client.get(f"/l/{token}", follow_redirects=False)
    assert click.status_code == 302 and click.headers["location"] == f"/v/{token}"
    assert client.get(f"/v/{token}").status_code == 200
    # A link with a code still opens from a long link sent before the upgrade.
    current = links[1]
    long_token = services.signer.link_token(LinkClaims(tenant_id, current["id"]))
    assert client.get(f"/v/{long_token}").status_code == 200
    revoked = client.post(f"/api/v1/links/{current['id']}/revoke", headers=bearer(key))
    assert revoked.status_code == 200
    code = current["url"].rsplit("/", 1)[1]
    assert client.get(f"/v/{code}").status_code == 410
    assert client.get(f"/v/{long_token}").status_code == 410
