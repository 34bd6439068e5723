"""The recipient's two hottest requests, answered by a thin ASGI front before FastAPI sees
them — no routing table, middleware stack or dependency injection (DESIGN.md measured
FastAPI routing at a quarter of raw ASGI):

* `POST /e`, the viewer's beacon (`api.recipient.beacon`);
* `GET /s/{session}/page/{n}.png` for a page image this link's reader was already served
  (`api.copies.served_page_image`: one Redis round trip and the blob, no ClickHouse read).

Everything else — a page not served yet, a bad session, a revoked link, lifespan — goes to
the FastAPI app, which answers as it always did."""

from __future__ import annotations

import re
from typing import Any, Final
from urllib.parse import parse_qsl

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from api.copies import served_page_image
from api.guards import behind_proxies
from api.recipient.beacon import beacon
from tracker.errors import Gone, NotFound
from watermark import snap_render_width

__all__ = ["RecipientFront"]

_PAGE: Final = re.compile(r"/s/([^/]+)/page/([0-9]{1,6})\.png")
_DEFAULT_WIDTH: Final = 1200  # the page route's default `w`


class RecipientFront:
    """ASGI front: the fast paths above, everything else (and lifespan) to the FastAPI app,
    whose attributes (`state`, `openapi`, …) it exposes."""

    def __init__(self, app: FastAPI, trusted_proxies: list[str] | None = None) -> None:
        self.app = app
        # The client address comes from trusted proxies' headers before either path runs.
        self._front = behind_proxies(self._route, trusted_proxies or [])

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._front(scope, receive, send)

    async def _route(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["path"] == "/e" and scope["method"] == "POST":
                await beacon(self.app.state.services, scope, receive, send)
                return
            if scope["method"] == "GET" and await self._served_page(scope, send):
                return
        await self.app(scope, receive, send)

    async def _served_page(self, scope: Scope, send: Send) -> bool:
        """True when the page image went out; False leaves the request to the app."""
        matched = _PAGE.fullmatch(scope["path"])
        width = _width(scope.get("query_string", b""))
        if matched is None or width is None:
            return False
        services = self.app.state.services
        try:
            claims = services.signer.read_viewer_session(matched.group(1))
        except (NotFound, Gone):
            return False
        number = int(matched.group(2))
        if not 1 <= number <= claims.pages:
            return False
        png = await served_page_image(services, claims, number, snap_render_width(width))
        if png is None:
            return False
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"image/png"),
                    (b"content-length", str(len(png)).encode()),
                    (b"cache-control", b"private, max-age=3600"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": png})
        return True


def _width(query: bytes) -> int | None:
    """The `w` the page route would read, or None for anything it would refuse."""
    if not query:
        return _DEFAULT_WIDTH
    values = [v for k, v in parse_qsl(query.decode("latin-1")) if k == "w"]
    if not values:
        return _DEFAULT_WIDTH
    last = values[-1]  # FastAPI reads the last of repeated query parameters
    return int(last) if last.isascii() and last.isdigit() and len(last) <= 6 else None
