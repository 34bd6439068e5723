"""Every link option from the rep's form, in a real Chromium: a link for the CRM's
decision-maker (typed by email, no contact id) with an email gate, a passcode and download
off; the buyer passes the gate and reads; the row shows its badges and the decision-maker's
reading reaches the score. Expired and revoked rows: status, no "Copy link", and revoke asks
first. Screenshots in tests/e2e/screens/."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright

from tests.e2e.support import SCREENS
from tests.pdfs import proposal
from tests.web.conftest import ARGS, CHROMIUM, NOT_AUTOMATED, PASSWORD, UA, People
from tracker.api_keys import create_api_key
from tracker.clock import utcnow
from tracker.crm import Contact, Opportunity, upsert_opportunities
from tracker.links import LinkOptions, Recipient, create_links, list_links
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope

OPP = "opp-gated"


def _shot(page: Page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def _deal(owner: str) -> Opportunity:
    return Opportunity(
        opportunity_id=OPP,
        account="华东精密制造有限公司",
        amount=Decimal("696000"),
        currency="CNY",
        stage="proposal",
        probability=40,
        forecast_category="pipeline",
        owner=owner,
        updated_at=utcnow(),
        contacts=(
            Contact("c-wang", "王伟", "Wang.Wei@Buyer.example.com", "CTO", True),
            Contact("c-li", "李娜", "li@buyer.example.com", "Procurement"),
        ),
    )


def _read(page: Page, seconds: float) -> None:
    end = time.monotonic() + seconds
    x = 100
    while time.monotonic() < end:
        x = 100 + (x + 37) % 400
        page.mouse.move(x, 300)
        page.wait_for_timeout(250)


def test_gated_passcode_download_off_link_from_the_form(
    live_server: str, people: People, clickhouse: ClickHouse, tmp_path: Path
) -> None:
    upsert_opportunities(clickhouse, people.tenant_id, [_deal(people.rep_a)])
    pdf = tmp_path / "proposal.pdf"
    pdf.write_bytes(proposal(3, title="Gated proposal"))
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            rep = browser.new_context(viewport={"width": 1280, "height": 900})
            page = rep.new_page()
            page.goto(f"{live_server}/app/login")
            page.get_by_label("Email").fill(people.rep_a)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/app/documents")
            page.get_by_label("Title", exact=True).fill("Gated proposal")
            page.get_by_label("Opportunity id (optional)").fill(OPP)
            page.locator("#file").set_input_files(str(pdf))
            page.get_by_role("button", name="Upload", exact=True).click()
            page.wait_for_url("**/app/documents/doc_*")
            document_id = page.url.rsplit("/", 1)[1].split("?")[0]

            # The CRM's contacts are offered; the rep types the decision-maker's address
            # in other letter case instead of ticking it.
            assert page.get_by_label("李娜", exact=False).is_visible()
            page.get_by_label("Other recipients", exact=False).fill("wang.wei@buyer.example.com")
            page.get_by_label("Passcode (optional)").fill("7391")
            page.get_by_label("Ask for the reader's email first").check()
            page.get_by_label("Allow PDF download").uncheck()
            page.get_by_label("Viewer language").select_option("zh_CN")
            page.get_by_label("Watermark text (optional)").fill("机密 {recipient_name} {date}")
            _shot(page, "links-form-filled")
            page.get_by_role("button", name="Create links").click()
            page.wait_for_url("**/app/documents/doc_*")
            row = page.locator("tr[data-link]")
            assert row.count() == 1
            badges = row.locator("td.badges").inner_text()
            for badge in ("Passcode", "Email required", "No download", "中文", "Custom watermark"):
                assert badge in badges
            assert row.get_attribute("data-status") == "gated"
            assert row.locator(".pill", has_text="CRM").count() == 1  # matched by email
            link_url = row.locator("input[readonly]").input_value()
            _shot(page, "links-list-gated")

            (link,) = list_links(clickhouse, people.tenant_id, document_id=document_id)
            assert (link.contact_id, link.recipient_name, link.recipient_role) == (
                "c-wang",
                "王伟",
                "CTO",
            )
            assert link.has_passcode and link.email_gate and not link.download_allowed
            assert link.locale == "zh_CN"

            buyer = browser.new_context(viewport={"width": 1280, "height": 900}, user_agent=UA)
            buyer.add_init_script(NOT_AUTOMATED)
            viewer = buyer.new_page()
            viewer.goto(link_url)
            assert viewer.locator("html").get_attribute("lang") == "zh-CN"
            viewer.locator("#email").fill("wang.wei@buyer.example.com")
            viewer.locator("#passcode").fill("0000")
            viewer.locator("button[type=submit]").click()
            assert viewer.locator(".error").is_visible()  # wrong passcode: asked again
            viewer.locator("#email").fill("wang.wei@buyer.example.com")
            viewer.locator("#passcode").fill("7391")
            _shot(viewer, "gate-zh")
            viewer.locator("button[type=submit]").click()
            viewer.wait_for_selector("[data-page='1'] img")
            assert viewer.locator("a[download]").count() == 0  # download off
            assert viewer.request.get(viewer.url + "/download").status == 403
            _read(viewer, 3.0)
            _shot(viewer, "viewer-gated-zh")
            buyer.close()
        finally:
            browser.close()

    _, crm_key = create_api_key(clickhouse, people.tenant_id, Scope.CRM)
    deadline = time.monotonic() + 20
    engaged: list[str] = []
    while time.monotonic() < deadline and not engaged:
        response = httpx.get(
            f"{live_server}/api/v1/opportunities/{OPP}/engagement",
            headers={"Authorization": f"Bearer {crm_key}"},
        )
        assert response.status_code == 200, response.text
        engaged = [
            f["summary"]
            for f in response.json()["score"]["top_positive"]
            if f["code"] == "decision_maker_engaged"
        ]
        time.sleep(0.5)
    assert engaged and "王伟" in engaged[0]


def test_expired_and_revoked_rows(live_server: str, people: People, clickhouse: ClickHouse) -> None:

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            rep = browser.new_context(viewport={"width": 1280, "height": 900})
            page = rep.new_page()
            page.goto(f"{live_server}/app/login")
            page.get_by_label("Email").fill(people.rep_a)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/app/documents")
            page.get_by_label("Title", exact=True).fill("Status proposal")
            page.locator("#file").set_input_files(
                files=[{"name": "p.pdf", "mimeType": "application/pdf", "buffer": proposal(2)}]
            )
            page.get_by_role("button", name="Upload", exact=True).click()
            page.wait_for_url("**/app/documents/doc_*")
            document_id = page.url.rsplit("/", 1)[1].split("?")[0]
            past = LinkOptions(expires_at=utcnow() - timedelta(hours=1))
            create_links(
                clickhouse,
                people.tenant_id,
                document_id,
                [Recipient("late@buyer.example.com", "Late Reader")],
                past,
            )
            create_links(
                clickhouse,
                people.tenant_id,
                document_id,
                [Recipient("keep@buyer.example.com", "Keeper")],
                LinkOptions(),
            )
            page.reload()
            expired = page.locator("tr[data-link]", has_text="Late Reader")
            keeper = page.locator("tr[data-link]", has_text="Keeper")
            assert expired.get_attribute("data-status") == "expired"
            assert "Expired" in expired.locator("td.status").inner_text()
            assert expired.get_by_role("button", name="Copy link").count() == 0
            assert keeper.get_attribute("data-status") == "active"

            # Revoke asks first: dismissing keeps the link, accepting revokes it.
            questions: list[str] = []

            def dismiss(dialog: object) -> None:
                questions.append(dialog.message)  # type: ignore[attr-defined]
                dialog.dismiss()  # type: ignore[attr-defined]

            page.once("dialog", dismiss)
            keeper.get_by_role("button", name="Revoke").click()
            page.wait_for_timeout(300)
            assert questions and "Keeper" in questions[0]
            assert keeper.get_attribute("data-status") == "active"
            page.once("dialog", lambda d: d.accept())
            keeper.get_by_role("button", name="Revoke").click()
            page.wait_for_load_state()
            keeper = page.locator("tr[data-link]", has_text="Keeper")
            keeper.wait_for()
            assert keeper.get_attribute("data-status") == "revoked"
            assert keeper.get_by_role("button", name="Copy link").count() == 0
            assert keeper.get_by_role("button", name="Revoke").count() == 0
            _shot(page, "links-expired-revoked")
        finally:
            browser.close()
