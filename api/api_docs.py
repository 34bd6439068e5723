"""The API reference (/docs with Swagger UI, /redoc with ReDoc) served entirely by this
service: the assets come from the `fastapi-offline` wheel and the start-up code is a file of
ours, so the pages work where public CDNs are blocked and under a CSP without inline script.

    GET /docs                     Swagger UI
    GET /redoc                    ReDoc
    GET /docs-assets/{file}       swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js
"""

from __future__ import annotations

from html import escape
from typing import Final

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

__all__ = ["ASSETS_PATH", "install_api_docs"]

ASSETS_PATH: Final = "/docs-assets"

# Swagger UI styles elements inline and embeds SVG icons as data: URLs; ReDoc builds its
# search index in a blob: worker. Scripts only from this origin.
_CSP: Final = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "font-src 'self' data:; script-src 'self'; worker-src 'self' blob:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
_HEADERS: Final = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _swagger_html(title: str, openapi_url: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} — API reference</title>
<link rel="icon" href="{ASSETS_PATH}/favicon.png">
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="/static/docs/swagger-init.js"></script>
</body>
</html>"""


def _redoc_html(title: str, openapi_url: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} — API reference</title>
<link rel="icon" href="{ASSETS_PATH}/favicon.png">
</head>
<body>
<redoc spec-url="{escape(openapi_url)}"></redoc>
<script src="{ASSETS_PATH}/redoc.standalone.js"></script>
</body>
</html>"""


def install_api_docs(app: FastAPI) -> None:
    """Mount the assets and add /docs and /redoc (create the app with both URLs None)."""
    openapi_url = app.openapi_url or "/openapi.json"
    app.mount(
        ASSETS_PATH, StaticFiles(packages=[("fastapi_offline", "static")]), name="docs-assets"
    )
    router = APIRouter(include_in_schema=False)

    @router.get("/docs")
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(_swagger_html(app.title, openapi_url), headers=_HEADERS)

    @router.get("/redoc")
    async def redoc() -> HTMLResponse:
        return HTMLResponse(_redoc_html(app.title, openapi_url), headers=_HEADERS)

    app.include_router(router)
