"""The public one-click "mute this deal" link carried by personal messages: GET shows a
page whose script submits the POST at once (link scanners that do not run scripts never
mute anything); without script the page shows the button. The signed token names the
tenant, the person and the deal; no key or session is needed."""

from __future__ import annotations

import html
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.i18n import negotiate, translator_for
from api.services import ServicesDep
from outbound.notify import read_mute_token, write_mute

__all__ = ["router"]

router = APIRouter(tags=["notifications"])


def _mute_page(request: Request, state: Literal["ask", "done", "invalid"]) -> HTMLResponse:
    tr = translator_for(negotiate("", request.headers.get("accept-language"), "zh_CN"))
    _ = tr.gettext
    if state == "invalid":
        title, body = _("Invalid link"), _("This mute link is not valid.")
    elif state == "ask":
        title, body = _("Mute this deal"), _("You will get no more notifications about this deal.")
    else:
        title, body = _("Deal muted"), _("You will get no more notifications about this deal.")
    parts = [f"<h1>{html.escape(title)}</h1><p>{html.escape(body)}</p>"]
    if state == "ask":
        button = html.escape(_("Mute this deal"))
        parts.append(
            f'<form id="mute" method="post"><button type="submit">{button}</button></form>'
            '<script>document.getElementById("mute").submit();</script>'
        )
    page = (
        f'<!doctype html><html lang="{tr.html_lang}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width"><title>{html.escape(title)}</title>'
        f"</head><body>{''.join(parts)}</body></html>"
    )
    return HTMLResponse(page, status_code=404 if state == "invalid" else 200)


@router.get("/n/mute/{token}", include_in_schema=False)
async def mute_link(token: str, request: Request, services: ServicesDep) -> HTMLResponse:
    if read_mute_token(services.settings, token) is None:
        return _mute_page(request, "invalid")
    return _mute_page(request, "ask")


@router.post("/n/mute/{token}", include_in_schema=False)
async def mute_link_confirm(token: str, request: Request, services: ServicesDep) -> HTMLResponse:
    found = read_mute_token(services.settings, token)
    if found is None:
        return _mute_page(request, "invalid")
    tenant, email, opportunity = found
    await run_in_threadpool(
        lambda: write_mute(services.clickhouse, tenant, email, opportunity, muted=True)
    )
    return _mute_page(request, "done")
