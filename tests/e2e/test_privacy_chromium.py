"""Consent-required mode in a real browser (Debian Chromium through Playwright): a buyer who
reads without answering, then declines and reloads, leaves nothing in ClickHouse but opens
(the link click and the viewer's `view_start`); another browser that agrees has its reading
time recorded from then on."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, Playwright

from tests.e2e.support import CHROME_UA, LiveApp, person_browser
from tracker.api_keys import create_api_key
from tracker.types import Scope

pytestmark = pytest.mark.e2e

OPENS = {"link_click", "view_start"}
_IMAGE_LOADED = (
    "n => { const i = document.querySelector(`[data-page='${n}'] img`);"
    " return i.complete && i.naturalHeight > 0; }"
)


def _read(page: Page, seconds: float) -> None:
    """A person reading (pointer moving, the viewer's idle rule), pages 1 then 2."""
    end, step = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        step += 1
        page.mouse.move(200 + (step * 37) % 500, 300 + (step * 23) % 200)
        if step == 8:
            page.evaluate("document.querySelector(`[data-page='2']`).scrollIntoView()")
        time.sleep(0.2)


def _admin_puts_consent_mode(live_app: LiveApp) -> None:
    ch = live_app.clickhouse
    (row,) = ch.query(f"SELECT tenant_id FROM {ch.database}.tenants FINAL WHERE name = 'acme'")
    _, admin = create_api_key(ch, str(row["tenant_id"]), Scope.ADMIN)
    notice = {"mode": "consent", "text_en": "Acme would like to see how long you read.",
              "policy_url": "https://acme.example/privacy"}  # fmt: skip
    reply = live_app.http.put(
        "/api/v1/settings/privacy", json=notice, headers={"Authorization": f"Bearer {admin}"}
    )
    assert reply.status_code == 200, reply.text


def _types_by_viewer(live_app: LiveApp, link_id: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for event in live_app.events(link_id):
        found.setdefault(str(event["viewer_id"]), set()).add(str(event["event_type"]))
    return found


def test_consent_required_records_opens_only_until_the_reader_agrees(
    live_app: LiveApp, chromium: str, playwright: Playwright
) -> None:
    _admin_puts_consent_mode(live_app)
    document_id = live_app.upload(pages=3)
    link = live_app.link(document_id)
    assert live_app.http.get(f"/api/v1/links/{link['id']}/pdf").status_code == 200

    browser = person_browser(playwright, chromium)
    try:  # reads without answering, declines, reloads and reads on
        context = browser.new_context(user_agent=CHROME_UA, viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(link["url"])
        page.wait_for_function(_IMAGE_LOADED, arg=1)
        assert page.get_by_text("Acme would like to see how long you read.").is_visible()
        _read(page, 3.0)  # three heartbeats' worth
        page.get_by_role("button", name="Decline").click()
        page.locator("[data-answered='declined']").wait_for(state="visible")
        page.reload()
        page.wait_for_function(_IMAGE_LOADED, arg=1)
        assert page.locator("[data-consent-url]").count() == 0  # not asked again
        assert page.get_by_text("You declined").is_visible()
        _read(page, 2.5)
        page.close(run_before_unload=True)
        context.close()
    finally:
        browser.close()
    time.sleep(0.3)  # the closing page's last sendBeacon
    live_app.wait_drained()
    ((declined, types),) = _types_by_viewer(live_app, link["id"]).items()
    assert types == OPENS, types

    browser = person_browser(playwright, chromium)
    try:  # another browser agrees, then reads
        context = browser.new_context(user_agent=CHROME_UA, viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(link["url"])
        page.wait_for_function(_IMAGE_LOADED, arg=1)
        page.get_by_role("button", name="Agree").click()
        page.locator("[data-answered='granted']").wait_for(state="visible")
        _read(page, 3.0)
        page.close(run_before_unload=True)
        context.close()
    finally:
        browser.close()
    time.sleep(0.3)
    live_app.wait_drained()
    by_viewer = _types_by_viewer(live_app, link["id"])
    assert by_viewer.pop(declined) == OPENS
    ((_, types),) = by_viewer.items()
    assert types == OPENS | {"page_dwell"}, types
    pages = {e["page"] for e in live_app.events(link["id"]) if e["event_type"] == "page_dwell"}
    assert 1 in pages, pages
