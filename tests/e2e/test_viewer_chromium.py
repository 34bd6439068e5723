"""A real browser (Debian Chromium driven by Playwright, no browser download) reading a
tracked proposal: active per-page dwell lands in ClickHouse and in the analytics API;
an announced automated browser and link unfurlers/scanners are flagged, never counted.

Headless Chromium never changes `document.visibilityState` (a background tab, another
page brought to front, `Target.activateTarget` and a minimised window all leave it
`visible`; minimising only fires `blur`), so "the tab goes hidden" is emulated in the
page exactly as a browser reports it: `visibilityState`/`hidden` read `hidden` and a
`visibilitychange` event fires. Everything else is the browser's own behaviour."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Playwright

from tests.e2e.support import ARTIFACTS, CHROME_UA, CHROMIUM_ARGS, LiveApp, person_browser

pytestmark = pytest.mark.e2e

SLACKBOT_UA = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
OUTLOOK_SCANNER_UA = "Mozilla/4.0 (compatible; ms-office; MSOffice 16)"

_HIDE = """() => {
  Object.defineProperty(document, "visibilityState", {configurable: true, get: () => "hidden"});
  Object.defineProperty(document, "hidden", {configurable: true, get: () => true});
  document.dispatchEvent(new Event("visibilitychange"));
  return Date.now();
}"""
_IMAGE_LOADED = (
    "n => { const i = document.querySelector(`[data-page='${n}'] img`);"
    " return i.complete && i.naturalHeight > 0; }"
)


def _read(page: Page, seconds: float) -> None:
    """A person reading: the pointer moves now and then (the viewer's idle rule)."""
    end = time.monotonic() + seconds
    step = 0
    while time.monotonic() < end:
        step += 1
        page.mouse.move(200 + (step * 37) % 500, 300 + (step * 23) % 200)
        time.sleep(0.2)


def _show_page(page: Page, number: int) -> None:
    page.evaluate(
        "n => document.querySelector(`[data-page='${n}']`).scrollIntoView({block: 'start'})",
        number,
    )
    page.wait_for_function(_IMAGE_LOADED, arg=number)


def _clock(page: Page) -> float:
    """The page's own clock (ms since navigation start)."""
    return float(page.evaluate("performance.now()"))


def _pages(analytics: dict[str, Any]) -> dict[int, int]:
    return {row["page"]: row["dwell_ms"] for row in analytics["pages"]}


def test_person_reading_in_chromium(
    live_app: LiveApp, chromium: str, playwright: Playwright
) -> None:
    document_id = live_app.upload(pages=4)
    link = live_app.link(document_id)
    # The rep fetches the recipient's stamped PDF (to attach it): the copy the viewer's page
    # images come from is then ready, so page 1 is on screen about as soon as the viewer runs.
    assert live_app.http.get(f"/api/v1/links/{link['id']}/pdf").status_code == 200
    browser = person_browser(playwright, chromium)
    try:
        context = browser.new_context(user_agent=CHROME_UA, viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(link["url"])  # /l/{token} → 302 → /v/{token}; `load` waits for pages 1-2
        assert page.url.startswith(f"{live_app.url}/v/")
        assert page.evaluate("navigator.webdriver") is False
        page.wait_for_function(_IMAGE_LOADED, arg=1)
        # The viewer script runs at the end of the body, just before `domInteractive`.
        script_ran = page.evaluate("performance.getEntriesByType('navigation')[0].domInteractive")
        _read(page, 2.5)
        page.screenshot(path=ARTIFACTS / "viewer-page1.png")
        _read(page, 0.5)
        scrolled = _clock(page)
        _show_page(page, 3)
        _read(page, 4.5)
        page.screenshot(path=ARTIFACTS / "viewer-page3.png")
        _read(page, 0.5)
        hidden = _clock(page)
        on_page_one, on_page_three = scrolled - script_ran, hidden - scrolled
        hidden_at_ms = page.evaluate(_HIDE)
        _read(page, 4.0)  # heartbeats and even input events while hidden count nothing
        page.close(run_before_unload=True)
        context.close()
    finally:
        browser.close()
    time.sleep(0.3)  # the last sendBeacon of the closing page
    live_app.wait_drained()

    analytics = live_app.analytics(document_id)
    dwell = _pages(analytics)
    # Page 1: 3 s of reading plus the time its image took to appear (the page was on screen,
    # focused, fresh input: that counts); page 3: 5 s. Windows from the page's own clock.
    assert abs(dwell.get(1, 0) - on_page_one) <= 1500, (dwell, on_page_one)
    assert abs(dwell.get(3, 0) - on_page_three) <= 2000, (dwell, on_page_three)
    assert dwell.get(1, 0) >= 1500 and 3000 <= dwell.get(3, 0) <= 7000, dwell
    assert dwell.get(2, 0) < 1000 and dwell.get(4, 0) < 1000, dwell
    assert (analytics["views"], analytics["visits"], analytics["viewers"]) == (1, 1, 1)
    assert analytics["forwarded_viewers"] == 0

    events = live_app.events(link["id"])
    viewer_events = [e for e in events if e["event_type"] != "link_click"]
    assert [e["event_type"] for e in viewer_events].count("view_start") == 1
    assert all(e["is_bot"] == 0 for e in viewer_events), viewer_events
    assert len({e["visit_id"] for e in viewer_events}) == 1
    dwell_events = [e for e in viewer_events if e["event_type"] == "page_dwell"]
    assert len(dwell_events) >= 4  # 1 s heartbeats: several deltas, not one lump
    assert max(e["client_ms"] for e in dwell_events) <= hidden_at_ms + 500, "dwell while hidden"
    assert sum(e["dwell_ms"] for e in dwell_events) == analytics["dwell_ms"]

    # The link forwarded: another browser (no viewer cookie) opens the same link.
    browser = person_browser(playwright, chromium)
    try:
        context = browser.new_context(user_agent=CHROME_UA, viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(link["url"])
        _read(page, 1.5)
        page.screenshot(path=ARTIFACTS / "viewer-forwarded.png")
        page.close(run_before_unload=True)
        context.close()
    finally:
        browser.close()
    time.sleep(0.3)
    live_app.wait_drained()
    analytics = live_app.analytics(document_id)
    assert (analytics["views"], analytics["viewers"], analytics["forwarded_viewers"]) == (2, 2, 1)
    forwarded = {e["viewer_id"] for e in live_app.events(link["id"]) if e["forwarded"] == 1}
    assert len(forwarded) == 1 and forwarded.isdisjoint({e["viewer_id"] for e in viewer_events})


def test_announced_headless_browser_is_flagged(
    live_app: LiveApp, chromium: str, playwright: Playwright
) -> None:
    document_id = live_app.upload(pages=3)
    link = live_app.link(document_id)
    browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
    try:
        page = browser.new_page()
        assert "HeadlessChrome" in page.evaluate("navigator.userAgent")
        assert page.evaluate("navigator.webdriver") is True
        page.goto(link["url"])
        _read(page, 2.5)
        page.screenshot(path=ARTIFACTS / "viewer-headless.png")
        page.close(run_before_unload=True)
    finally:
        browser.close()
    time.sleep(0.3)
    live_app.wait_drained()

    events = live_app.events(link["id"])
    kinds = [e["event_type"] for e in events]
    assert kinds.count("view_start") == 1 and "page_dwell" in kinds, kinds
    assert all((e["is_bot"], e["bot_reason"]) == (1, "headless") for e in events), events
    analytics = live_app.analytics(document_id)
    assert analytics["pages"] == [] and analytics["dwell_ms"] == 0
    assert (analytics["views"], analytics["visits"], analytics["viewers"]) == (0, 0, 0)
    assert analytics["bot_reasons"] == {"headless": len(events)}


@pytest.mark.parametrize("user_agent", [SLACKBOT_UA, OUTLOOK_SCANNER_UA])
def test_unfurlers_and_mail_scanners_create_no_view(live_app: LiveApp, user_agent: str) -> None:
    document_id = live_app.upload(pages=2)
    link = live_app.link(document_id)
    with httpx.Client(headers={"User-Agent": user_agent}, timeout=30) as scanner:
        response = scanner.get(link["url"], follow_redirects=True)  # fetches the viewer HTML too
    assert response.status_code == 200 and "data-session" in response.text
    live_app.wait_drained()

    events = live_app.events(link["id"])
    assert [(e["event_type"], e["is_bot"], e["bot_reason"]) for e in events] == [
        ("link_click", 1, "bot_user_agent")
    ]
    analytics = live_app.analytics(document_id)
    assert (analytics["views"], analytics["clicks"], analytics["visits"]) == (0, 0, 0)
    assert analytics["bot_events"] == 1
