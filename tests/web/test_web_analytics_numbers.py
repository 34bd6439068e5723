"""One set of numbers on the analytics page: the Visits KPI, the viewers table and the visits
timeline count the same human visits; a click whose viewer never ran, a link-preview bot and
an automated browser are counted apart, in a "not counted" line with human reasons — never
as codes, and with plurals right, in English and Chinese."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import timedelta

from fastapi.testclient import TestClient

from tests.pdfs import proposal
from tests.web.conftest import People, create_links, read_as_recipient, sign_in, upload, wait_for
from tracker.clock import utcnow
from tracker.ids import new_id
from tracker.links import LINKS, list_links, new_short_code
from tracker.stores.clickhouse import ClickHouse

SLACKBOT = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"
_SESSION = re.compile(r'data-session="([^"]+)"')
RAW_CODES = ("bot_user_agent", "headless", "scanner_timing", "head_request", "prefetch")


def _automated_browser(client: TestClient, url: str) -> None:
    """A browser that announces automation (navigator.webdriver): flagged, kept apart."""
    client.cookies.clear()
    viewer = client.get(url.replace("http://testserver", ""), headers={"User-Agent": CHROME})
    found = _SESSION.search(viewer.text)
    assert found is not None
    sig = {"wd": True, "sw": 1280, "sh": 800, "pl": 0}
    events = [
        {"id": uuid.uuid4().hex, "t": "view_start", "p": 1, "q": 0, "sig": sig},
        {"id": uuid.uuid4().hex, "t": "page_dwell", "p": 1, "d": 9000, "q": 1},
    ]
    response = client.post(
        "/e", json={"s": found.group(1), "events": events}, headers={"User-Agent": CHROME}
    )
    assert response.status_code in (200, 202, 204)


def _counts(html: str) -> tuple[int, int, int]:
    kpi = re.search(r'data-kpi="visits">(\d+)<', html)
    assert kpi is not None
    viewers = sum(int(v) for v in re.findall(r'data-viewer data-visits="(\d+)"', html))
    timeline = len(re.findall(r"<li data-visit>", html))
    return int(kpi.group(1)), viewers, timeline


def test_kpi_viewers_and_timeline_agree_and_bots_are_apart(
    app_client: TestClient, people: People, clickhouse: ClickHouse
) -> None:
    sign_in(app_client, people.rep_a)
    doc = upload(app_client, "Numbers", proposal(3))
    page = create_links(
        app_client, doc, "Wang Wei, wang@buyer.example.com, CTO\nLi Na, li@buyer.example.com"
    )
    wang, li = re.findall(r'value="(http://testserver/l/[^"]+)"', page)
    humans = 0
    for url, dwell in ((wang, {1: 4000, 2: 3000}), (li, {1: 6000})):
        app_client.cookies.clear()
        read_as_recipient(app_client, url, dwell)
        humans += 1
    app_client.cookies.clear()
    path = wang.replace("http://testserver", "")
    assert app_client.get(path, headers={"User-Agent": SLACKBOT}).status_code in (200, 302)
    app_client.cookies.clear()
    # A person clicks a link sent an hour ago (no scanner's timing) but their viewer never
    # runs (closed at once): a click, no visit anywhere.
    (old,) = list_links(clickhouse, people.tenant_id, document_id=doc)[:1]
    sent = replace(
        old,
        link_id=new_id("link"),
        short_code=new_short_code(),
        created_at=utcnow() - timedelta(hours=1),
    )
    LINKS.write(clickhouse, [sent])
    click = app_client.get(
        f"/l/{sent.short_code}", headers={"User-Agent": CHROME}, follow_redirects=False
    )
    assert click.status_code == 302
    _automated_browser(app_client, li)

    sign_in(app_client, people.rep_a)
    analytics = f"/app/documents/{doc}/analytics"

    def settled() -> bool:
        html = app_client.get(analytics).text
        automated = re.search(r'data-automated="(\d+)"', html)
        return automated is not None and int(automated.group(1)) >= 4 and _counts(html)[0] > 0

    wait_for(settled)
    html = app_client.get(analytics).text
    kpi, viewers, timeline = _counts(html)
    assert kpi == viewers == timeline == humans
    automated = int(re.search(r'data-automated="(\d+)"', html).group(1))  # type: ignore[union-attr]
    # Four clients left flagged events: the two readers' clicks from a client announcing
    # itself as "testclient", the preview bot, and the automated browser.
    assert automated == 4
    assert "Bot or link preview" in html and "Automated browser" in html
    visible = re.sub(r"<[^>]+>", " ", html)  # text a person sees (attributes dropped)
    for code in RAW_CODES:
        assert code not in visible
    assert re.search(r"\b1 pages\b", visible) is None
    assert re.search(r"\b1 page\b", visible) and re.search(r"\b2 pages\b", visible)

    app_client.get("/app/lang/zh_CN")
    zh = app_client.get(analytics).text
    assert 'lang="zh-CN"' in zh
    assert "自动访问" in zh and "机器人或链接预览" in zh and "1 页" in zh
    assert _counts(zh) == (kpi, viewers, timeline)
