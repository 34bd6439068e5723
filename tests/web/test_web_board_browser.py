"""The deal board in Chromium: a lane per stage with cards (health chip with its label,
amount, credibility, last buyer activity), no sideways scrolling at 1280 px or on a 390-px
phone, in English and Chinese. Screenshots in tests/e2e/screens/."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import Page, sync_playwright

from tests.e2e.support import SCREENS
from tests.web.conftest import ARGS, CHROMIUM, PASSWORD, People
from tracker.clock import utcnow
from tracker.crm import Opportunity, upsert_opportunities
from tracker.stores.clickhouse import ClickHouse

DEALS = (
    ("opp-b1", "华东精密制造有限公司", "proposal", "696000"),
    ("opp-b2", "Northwind Traders", "negotiation", "125000.50"),
    ("opp-b3", "远航物流集团股份有限公司（华南区）", "proposal", "348000"),
    ("opp-b4", "苏州精工机械", "closed_won", "88000"),
)


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/app/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/app/documents")


def _no_sideways_scroll(page: Page) -> bool:
    return bool(page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ))  # fmt: skip


def test_the_deal_board_has_a_lane_per_stage_and_fits_the_screen(
    live_server: str, people: People, clickhouse: ClickHouse
) -> None:
    upsert_opportunities(clickhouse, people.tenant_id, [
        Opportunity(opportunity_id=oid, account=account, amount=Decimal(amount),
                    currency="CNY", stage=stage, probability=40,
                    forecast_category="pipeline", owner=people.rep_a, updated_at=utcnow())
        for oid, account, stage, amount in DEALS
    ])  # fmt: skip
    SCREENS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for name, viewport, locale in (
                ("board-1280-en", {"width": 1280, "height": 900}, "en-US"),
                ("board-390-zh", {"width": 390, "height": 844}, "zh-CN"),
            ):
                context = browser.new_context(viewport=viewport, locale=locale)
                page = context.new_page()
                _sign_in(page, live_server, people.admin)
                page.goto(f"{live_server}/app/deals")
                lanes = page.locator("section.lane")
                assert lanes.count() >= 6  # five open stages, then won
                proposal = page.locator("section.lane[aria-labelledby='lane-proposal']")
                cards = proposal.locator("article.deal-card")
                assert sorted(cards.evaluate_all("cs => cs.map(c => c.dataset.deal)")) == [
                    "opp-b1", "opp-b3"]  # fmt: skip
                won = page.locator("section.lane[aria-labelledby='lane-closed_won']")
                assert won.locator("article.deal-card").count() == 1
                card = page.locator("article[data-deal='opp-b2']")
                text = card.inner_text()
                assert "125" in text and "Northwind Traders" in text
                assert card.locator(".pill").count() >= 1  # the health chip, with a label
                if locale == "zh-CN":
                    assert page.locator("#lane-proposal").inner_text().startswith("方案报价")
                    assert "健康度" in text and "可信度" in text
                assert _no_sideways_scroll(page), name
                page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)
                table = page.goto(f"{live_server}/app/deals?view=table")
                assert table is not None and table.ok
                assert page.locator("table.deals tbody tr").count() == len(DEALS)
                context.close()
        finally:
            browser.close()
