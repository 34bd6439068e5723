"""/docs and /redoc in a real Chromium with every request off this machine refused: the
API reference renders from the service's own assets (no CDN), under its CSP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Playwright, Route, sync_playwright

from tests.e2e.support import CHROMIUM_ARGS, SCREENS, LiveApp

pytestmark = pytest.mark.e2e

# No name resolves except the loopback address the app listens on.
OFFLINE_ARGS = [*CHROMIUM_ARGS, "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]


@pytest.fixture
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


def test_docs_render_with_the_network_blocked(
    live_app: LiveApp, chromium: str, playwright: Playwright
) -> None:
    browser = playwright.chromium.launch(executable_path=chromium, args=OFFLINE_ARGS)
    refused: list[str] = []
    violations: list[str] = []

    def only_local(route: Route) -> None:
        if route.request.url.startswith(live_app.url):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort("internetdisconnected")

    try:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.route("**/*", only_local)
        page = context.new_page()
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        response = page.goto(f"{live_app.url}/docs")
        assert response is not None and response.status == 200
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_selector(".opblock-summary-path", timeout=20_000)
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        SCREENS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENS / "docs-offline.png"))
        spec = live_app.http.get("/openapi.json").json()
        listed = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
        assert len(paths) == len(listed)  # every operation of the spec is on the page
        assert any("/api/v1/links" in p for p in paths)

        redoc = context.new_page()
        redoc.goto(f"{live_app.url}/redoc")
        redoc.wait_for_selector("[data-section-id^='tag/']", timeout=30_000)
        redoc.screenshot(path=str(SCREENS / "redoc-offline.png"))
        assert redoc.get_by_text("/api/v1/links", exact=False).count() > 0
        context.close()
    finally:
        browser.close()
    assert refused == []  # nothing on either page asked for anything outside the service
    assert violations == []
