"""The buyer's viewer in a real Chromium: sharp page images at 1× and 2× device pixel ratio
(the srcset width follows the page's CSS width × DPR, zoom included), the page counter and
jump, thumbnails, keyboard, the sender card with reply / book-a-meeting, every string and the
stamped footer in the link's language (zh), a 390 × 844 phone without sideways scrolling,
and dwell still right when the reader moves by thumbnail and zooms. Screenshots go to
tests/e2e/screens/."""

from __future__ import annotations

import io
import re
import time
from typing import Any

import pytest
from playwright.sync_api import Page, Playwright
from pypdf import PdfReader

from tests.e2e.support import CHROME_UA, SCREENS, LiveApp, person_browser
from tests.pdfs import proposal
from tracker.users import Role, create_user

pytestmark = pytest.mark.e2e

SENDER = "lin.chen@seller.example.com"
_LOADED = (
    "n => { const i = document.querySelector(`[data-page='${n}'] img`);"
    " return i.complete && i.naturalHeight > 0; }"
)
# `naturalWidth` of a srcset image is corrected by its density, so the image's pixels are read
# from the width it was rendered at (the `w` of the chosen candidate).
_IMAGE = """n => { const i = document.querySelector(`[data-page='${n}'] img`);
  const w = parseInt(new URL(i.currentSrc).searchParams.get("w"), 10);
  return {css: i.getBoundingClientRect().width, natural: w, src: i.currentSrc}; }"""
_SHARP = """([n, dpr]) => { const i = document.querySelector(`[data-page='${n}'] img`);
  if (!i.currentSrc) return false;
  const w = parseInt(new URL(i.currentSrc).searchParams.get("w"), 10);
  return i.complete && w >= i.getBoundingClientRect().width * dpr; }"""


def _zh_link(live_app: LiveApp, pages: int) -> tuple[str, dict[str, Any]]:
    files = {"file": ("proposal.pdf", proposal(pages), "application/pdf")}
    doc = live_app.http.post(
        "/api/v1/documents", files=files, data={"title": "华东项目方案", "owner": SENDER}
    )
    assert doc.status_code == 201, doc.text
    document_id = str(doc.json()["document_id"])
    (row,) = live_app.clickhouse.query(
        f"SELECT tenant_id FROM {live_app.clickhouse.database}.documents "
        "WHERE document_id = {d:String} LIMIT 1",
        {"d": document_id},
    )
    create_user(
        live_app.clickhouse, row["tenant_id"], SENDER, "林晨", Role.REP, "correct horse battery"
    )
    made = live_app.http.post(
        "/api/v1/links",
        json={
            "document_id": document_id,
            "recipients": [{"email": "wang@buyer.example.com", "name": "王伟"}],
            "locale": "zh_CN",
        },
    )
    assert made.status_code == 201, made.text
    return document_id, made.json()["links"][0]


def _read(page: Page, seconds: float) -> None:
    end = time.monotonic() + seconds
    step = 0
    while time.monotonic() < end:
        step += 1
        page.mouse.move(300 + (step * 37) % 400, 300 + (step * 23) % 200)
        time.sleep(0.2)


def _current(page: Page) -> int:
    return int(page.locator("#page-input").input_value())


def test_sharp_at_1x_and_2x_with_counter_zoom_thumbnails_and_sender(
    live_app: LiveApp, chromium: str, playwright: Playwright
) -> None:
    _, link = _zh_link(live_app, pages=5)
    browser = person_browser(playwright, chromium)
    try:
        measured: dict[float, dict[str, Any]] = {}
        for scale in (1.0, 2.0):
            context = browser.new_context(
                user_agent=CHROME_UA,
                viewport={"width": 1280, "height": 800},
                device_scale_factor=scale,
            )
            page = context.new_page()
            page.goto(link["url"])
            page.wait_for_function(_LOADED, arg=1)
            image = page.evaluate(_IMAGE, 1)
            image["fetch_ms"] = page.evaluate(
                "src => performance.getEntriesByName(src)[0].duration", image["src"]
            )
            measured[scale] = image
            print(
                f"viewer {scale}x: page 1 at {image['natural']} px for {image['css']} CSS px, "
                f"image fetched in {image['fetch_ms']:.0f} ms"
            )
            # Enough pixels for the screen, and not the widest file when it is not needed.
            assert image["natural"] >= image["css"] * scale, image
            assert image["natural"] < image["css"] * scale * 2, image
            page.screenshot(path=str(SCREENS / f"viewer-{int(scale)}x.png"))
            if scale == 2.0:
                page.screenshot(
                    path=str(SCREENS / "viewer-2x-detail.png"),
                    clip={"x": 200, "y": 60, "width": 500, "height": 300},
                )
            context.close()
        assert measured[2.0]["natural"] > measured[1.0]["natural"]

        context = browser.new_context(user_agent=CHROME_UA, viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(link["url"])
        page.wait_for_function(_LOADED, arg=1)
        assert page.locator("html").get_attribute("lang") == "zh-CN"
        assert page.locator("#page-total").inner_text() == "/ 共 5 页"
        for text in ("放大", "缩小", "显示页面缩略图", "发送人", "回复", "预约会议"):
            assert page.get_by_text(text).count() + page.locator(f"[title='{text}']").count()
        # The sender card: name, initials, and mail actions addressed to the rep.
        card = page.locator("aside.sender")
        assert "林晨" in card.inner_text() and card.locator(".avatar").inner_text() == "林"
        reply = card.get_by_role("link", name="回复").get_attribute("href") or ""
        meeting = card.get_by_role("link", name="预约会议").get_attribute("href") or ""
        assert reply.startswith(f"mailto:{SENDER}?subject=") and "%E5%8D%8E" in reply
        assert meeting.startswith(f"mailto:{SENDER}?subject=") and "body=" in meeting

        # Thumbnails, the counter and the keyboard move between pages.
        page.locator("[data-thumb='4']").click()
        page.wait_for_function(_LOADED, arg=4)
        assert _current(page) == 4
        assert page.locator("[data-thumb='4']").get_attribute("aria-current") == "true"
        page.keyboard.press("ArrowRight")
        page.wait_for_function("() => document.querySelector('#page-input').value === '5'")
        page.keyboard.press("Home")
        page.wait_for_function("() => document.querySelector('#page-input').value === '1'")
        page.locator("#page-input").fill("3")
        page.locator("#page-input").press("Enter")
        page.wait_for_function(_LOADED, arg=3)
        page.wait_for_function("() => document.querySelector('#page-input').value === '3'")

        # Zoom: the page grows, the browser fetches a wider image for it.
        before = page.evaluate(_IMAGE, 3)
        page.locator("[data-action='zoom-in']").click()
        page.locator("[data-action='zoom-in']").click()
        assert page.locator("#zoom-level").inner_text() == "150%"
        page.wait_for_function(_SHARP, arg=[3, 1])
        after = page.evaluate(_IMAGE, 3)
        assert after["css"] == pytest.approx(before["css"] * 1.5, rel=0.02)
        assert after["natural"] > before["natural"]
        assert _current(page) == 3  # zoom keeps the reader on their page
        page.screenshot(path=str(SCREENS / "viewer-zoom-150.png"))
        context.close()
    finally:
        browser.close()


def test_phone_390_wide_zh_without_sideways_scroll(
    live_app: LiveApp, chromium: str, playwright: Playwright
) -> None:
    _, link = _zh_link(live_app, pages=3)
    browser = person_browser(playwright, chromium)
    try:
        context = browser.new_context(
            user_agent=CHROME_UA,
            viewport={"width": 390, "height": 844},
            device_scale_factor=3,
            is_mobile=True,
            has_touch=True,
        )
        page = context.new_page()
        page.goto(link["url"])
        page.wait_for_function(_LOADED, arg=1)
        image = page.evaluate(_IMAGE, 1)
        assert image["natural"] >= image["css"] * 3, image
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert not page.locator("nav.thumbs").is_visible()  # a drawer on phones
        page.screenshot(path=str(SCREENS / "viewer-phone-zh.png"))
        page.locator("[data-action='thumbs']").click()
        assert page.locator("nav.thumbs").is_visible()
        page.screenshot(path=str(SCREENS / "viewer-phone-thumbs.png"))
        page.locator("[data-thumb='3']").click()
        page.wait_for_function(_LOADED, arg=3)
        assert _current(page) == 3 and not page.locator("nav.thumbs").is_visible()
        page.locator("aside.sender").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENS / "viewer-phone-sender.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        context.close()
    finally:
        browser.close()


def test_stamped_footer_in_the_links_language(live_app: LiveApp) -> None:
    _, link = _zh_link(live_app, pages=2)
    pdf = live_app.http.get(f"/api/v1/links/{link['id']}/pdf")
    assert pdf.status_code == 200
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "查看最新版本" in re.sub(r"\s+", "", text)
    assert "View the latest version" not in text


def test_dwell_with_thumbnail_navigation_and_zoom(
    live_app: LiveApp, chromium: str, playwright: Playwright
) -> None:
    document_id, link = _zh_link(live_app, pages=4)
    browser = person_browser(playwright, chromium)
    try:
        context = browser.new_context(user_agent=CHROME_UA, viewport={"width": 1280, "height": 800})
        page = context.new_page()
        page.goto(link["url"])
        page.wait_for_function(_LOADED, arg=1)
        _read(page, 2.0)
        page.locator("[data-thumb='3']").click()
        page.wait_for_function(_LOADED, arg=3)
        moved = page.evaluate("performance.now()")
        _read(page, 2.5)
        page.locator("[data-action='zoom-in']").click()
        _read(page, 2.5)
        assert _current(page) == 3
        left = page.evaluate("performance.now()")
        page.close(run_before_unload=True)
        context.close()
    finally:
        browser.close()
    time.sleep(0.3)
    live_app.wait_drained()
    dwell = {r["page"]: r["dwell_ms"] for r in live_app.analytics(document_id)["pages"]}
    on_three = left - moved
    assert abs(dwell.get(3, 0) - on_three) <= 2000, (dwell, on_three)
    assert dwell.get(2, 0) < 1000 and dwell.get(4, 0) < 1000, dwell
