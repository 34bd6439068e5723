"""The web app in a real browser (system Chromium through Playwright; never a downloaded
browser — if /usr/bin/chromium is missing this test fails).

A rep signs in, uploads a PDF by the drag-and-drop form (XHR with progress), creates links
for two recipients, and keeps the analytics page open; the first recipient opens their link
in a second browser context and reads; the rep's analytics page shows that recipient's
per-page dwell without a reload (live polling). Screenshots go to test-artifacts/web/."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from tests.pdfs import proposal
from tests.web.conftest import ARGS, CHROMIUM, NOT_AUTOMATED, PASSWORD, UA, People

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "web"


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _read(page: Page, seconds: float) -> None:
    """Act like a reader: input every few hundred ms so the viewer counts active time."""
    end = time.monotonic() + seconds
    x = 100
    while time.monotonic() < end:
        x = 100 + (x + 37) % 400
        page.mouse.move(x, 300)
        page.wait_for_timeout(250)


def test_rep_sends_a_proposal_and_watches_a_recipient_read_it(
    live_server: str, people: People
) -> None:
    assert CHROMIUM.exists(), "system Chromium is required: apt-get install -y chromium"
    pdf = ARTIFACTS.parent / "web-proposal.pdf"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf.write_bytes(proposal(3, title="Acme rollout"))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            rep = browser.new_context(viewport={"width": 1280, "height": 900})
            page = rep.new_page()
            page.goto(f"{live_server}/app/documents")
            page.wait_for_url("**/app/login**")
            _shot(page, "01-sign-in")
            page.get_by_label("Email").fill(people.rep_a)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/app/documents")

            page.get_by_label("Title", exact=True).fill("Acme rollout proposal")
            page.get_by_label("Opportunity id (optional)").fill("opp-acme")
            page.locator("#file").set_input_files(str(pdf))
            _shot(page, "02-documents-upload")
            page.get_by_role("button", name="Upload", exact=True).click()
            page.wait_for_url("**/app/documents/doc_*")

            page.get_by_label("Recipients, one per line: name, email, role").fill(
                "Wang Wei, wang@buyer.example.com, CTO\nLi Na, li@buyer.example.com, Procurement"
            )
            page.get_by_role("button", name="Create links").click()
            page.wait_for_url("**/app/documents/doc_*")
            row = page.locator("tr", has_text="wang@buyer.example.com")
            link_url = row.locator("input[readonly]").input_value()
            assert link_url.startswith(f"{live_server}/l/")
            assert page.locator("input[readonly]").count() == 2
            _shot(page, "03-document-links")

            page.get_by_role("link", name="Open analytics").click()
            page.wait_for_url("**/analytics")
            assert page.get_by_text("No recipient has opened this document yet.").is_visible()

            # A person's browser: the viewer flags HeadlessChrome and navigator.webdriver as
            # automation (bot traffic is kept apart), so the reader looks like a desktop.
            reader = browser.new_context(viewport={"width": 900, "height": 1000}, user_agent=UA)
            reader.add_init_script(NOT_AUTOMATED)
            viewer = reader.new_page()
            viewer.goto(link_url)
            viewer.wait_for_selector("[data-page='1'] img")
            viewer.bring_to_front()
            _read(viewer, 3.5)
            viewer.locator("[data-page='2']").scroll_into_view_if_needed()
            _read(viewer, 3.5)
            _shot(viewer, "04-recipient-viewer")

            page.bring_to_front()
            # No reload: the page's live poll brings the recipient in.
            wang = page.locator("table.recipients tr", has_text="Wang Wei")
            wang.wait_for(timeout=20_000)
            dwell = page.locator("table.recipients tr[data-link] .page-dwell[data-page='1']")
            dwell.first.wait_for(timeout=20_000)
            assert int(dwell.first.get_attribute("data-dwell-ms") or 0) > 0
            assert page.locator("svg[role=img] title", has_text="Reading time per page").count()
            _shot(page, "05-analytics")
            reader.close()

            page.goto(f"{live_server}/app/deals")
            assert page.get_by_text("opp-acme").first.is_visible()
            _shot(page, "06-deals")
            page.get_by_role("link", name="opp-acme").first.click()
            page.wait_for_url("**/app/deals/opp-acme")
            assert page.get_by_text("not computed yet").first.is_visible()
            _shot(page, "07-deal")
            page.set_viewport_size({"width": 390, "height": 844})
            page.goto(f"{live_server}/app/documents")
            _shot(page, "08-documents-phone")
            # Usable on a phone: nothing but the tables' own scroll boxes is wider than it.
            assert page.evaluate("document.documentElement.scrollWidth") <= 391
        finally:
            browser.close()
