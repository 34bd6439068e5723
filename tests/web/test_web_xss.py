"""Attacker-controlled text (document titles, recipient names) renders as text on every page
of the web app: lists, document, analytics (incl. the SVG charts and the live fragment),
deals and the deal page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.pdfs import proposal
from tests.web.conftest import People, create_links, read_as_recipient, sign_in, upload, wait_for

TITLE = "<img src=x onerror=alert(1)>"
NAME = "</script><script>alert(1)</script>"


def test_titles_and_recipient_names_render_as_text_everywhere(
    app_client: TestClient, people: People
) -> None:
    sign_in(app_client, people.rep_a)
    doc = upload(app_client, TITLE, proposal(3), opportunity_id="opp-xss")
    page = create_links(
        app_client, doc, f"{NAME}, cto@buyer.example.com, CTO\nPlain Person, p@buyer.example.com"
    )
    urls = re.findall(r'value="(http://testserver/l/[^"]+)"', page)
    assert len(urls) == 2
    for url in urls:  # both recipients read, whichever order the links are listed in
        read_as_recipient(app_client, url, {1: 4000, 2: 3000})
    sign_in(app_client, people.rep_a)
    analytics = f"/app/documents/{doc}/analytics"
    escaped = "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    wait_for(lambda: escaped in app_client.get(analytics).text)
    pages = [
        "/app/documents",
        f"/app/documents/{doc}",
        analytics,
        f"{analytics}/live",
        "/app/deals",
        "/app/deals/opp-xss",
    ]
    for path in pages:
        response = app_client.get(path)
        assert response.status_code == 200, path
        html = response.text
        assert "<img src=x" not in html, path
        assert "<script>alert(1)" not in html and "</script><script>" not in html, path
        assert "onerror=alert(1)>" not in html, path
    assert "&lt;img src=x onerror=alert(1)&gt;" in app_client.get("/app/documents").text
    svg_page = app_client.get(analytics).text
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in svg_page
    svg = svg_page[svg_page.index("<svg") : svg_page.rindex("</svg>")]
    assert "&lt;/script&gt;" in svg  # the heat strip's row label and cell titles
    deal = app_client.get("/app/deals/opp-xss").text
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in deal  # timeline names
