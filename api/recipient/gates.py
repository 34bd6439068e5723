"""Email gate and passcode: the form, its answer, the signed cookie that proves it was
passed, and passcode tries limited per link and per client address — never per anything
the client chooses (a rotated `ds_vid` cookie once gave 40 tries with no 429).

The gate cookie is timed (`GATE_SECONDS`) and names the viewer id it was issued to: a copy
in another browser (another `ds_vid`) or an old one asks for the passcode again."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.guards import Budget, address_tag, client_address, spend
from api.i18n import Translator
from api.pages import render_page
from api.recipient.pages import (
    VIEWER_COOKIE,
    ShowPage,
    set_viewer_cookie,
    translator_for_request,
    usable_link,
    viewer_id_of,
)
from api.recipient.privacy import notice_context, viewer_privacy
from api.recipient.sender import Sender, sender_of
from api.services import Services, ServicesDep
from ingest import recognise_viewer
from tracker import redis_keys
from tracker.documents import get_document
from tracker.errors import NotFound
from tracker.links import Link, check_passcode
from tracker.tokens import LinkClaims

__all__ = ["gate_page", "gate_passed", "router"]

router = APIRouter(include_in_schema=False)

GATE_SECONDS = 7 * 24 * 3600

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")


def gate_cookie_name(link: Link) -> str:
    return f"ds_gate_{link.link_id}"


def gate_passed(services: Services, request: Request, link: Link) -> bool:
    if not (link.email_gate or link.has_passcode):
        return True
    raw = request.cookies.get(gate_cookie_name(link), "")
    try:
        claims, viewer_id = services.signer.read_gate_token(raw, GATE_SECONDS)
    except NotFound:
        return False
    return claims == LinkClaims(link.tenant_id, link.link_id) and viewer_id == (
        request.cookies.get(VIEWER_COOKIE, "")
    )


def gate_page(
    translator: Translator,
    link: Link,
    title: str,
    token: str,
    *,
    error: str = "",
    email: str = "",
    status: int = 200,
    sender: Sender | None = None,
    notice: dict[str, Any] | None = None,
) -> Response:
    return render_page(
        "gate.html",
        translator,
        status=status,
        title=title,
        document_title=title,
        sender=sender,
        action=f"/v/{token}",
        email_gate=link.email_gate,
        passcode=link.has_passcode,
        error=error,
        email=email,
        privacy=notice or {"shown": False},
    )


@router.post("/v/{token}")
async def pass_gate(
    token: str,
    request: Request,
    services: ServicesDep,
    email: Annotated[str, Form(max_length=254)] = "",
    passcode: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    try:
        link = await usable_link(services, request, token)
    except ShowPage as page:
        return page.response
    translator = translator_for_request(request, services, link)
    _ = translator.gettext
    doc = await run_in_threadpool(
        get_document, services.clickhouse, link.tenant_id, link.document_id
    )
    sender = await run_in_threadpool(sender_of, services.clickhouse, link, doc)
    viewer_id, fresh = viewer_id_of(request)
    notice = notice_context(translator, await viewer_privacy(services, request, link, viewer_id))
    email = email.strip()
    if link.email_gate and not _EMAIL.match(email):
        return gate_page(
            translator,
            link,
            doc.title,
            token,
            sender=sender,
            notice=notice,
            email=email,
            status=400,
            error=_("Enter a valid email address."),
        )
    if link.has_passcode:
        if not await _attempt_allowed(services, request, link):
            return gate_page(
                translator,
                link,
                doc.title,
                token,
                sender=sender,
                notice=notice,
                email=email,
                status=429,
                error=_("Too many attempts. Wait a few minutes and try again."),
            )
        if not await services.password_checks.run(check_passcode, link.passcode_hash, passcode):
            return gate_page(
                translator,
                link,
                doc.title,
                token,
                sender=sender,
                notice=notice,
                email=email,
                status=403,
                error=_("That passcode is not right."),
            )
    if email:
        key = redis_keys.gate_email(link.tenant_id, link.link_id)
        await services.redis.client.hset(key, viewer_id, email)
        # a second browser of the recipient (the same email verified again) is not a forward
        await recognise_viewer(
            services.redis.client,
            link.tenant_id,
            link.link_id,
            viewer_id,
            verified_email=email,
            recipient_email=link.recipient_email,
        )
    response = RedirectResponse(f"/v/{token}", status_code=303)
    gate = services.signer.gate_token(LinkClaims(link.tenant_id, link.link_id), viewer_id)
    response.set_cookie(
        gate_cookie_name(link),
        gate,
        max_age=GATE_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    if fresh:
        set_viewer_cookie(response, viewer_id, request)
    return response


async def _attempt_allowed(services: Services, request: Request, link: Link) -> bool:
    """Every try counts against the link's budget and the client address's, before the
    passcode is hashed; a right passcode after the budget is spent is refused too."""
    auth = services.settings.auth
    budgets = [
        Budget(redis_keys.passcode_attempts(link.link_id, "all"), auth.passcode_tries_per_link),
        Budget(
            redis_keys.passcode_attempts(link.link_id, address_tag(client_address(request))),
            auth.passcode_tries_per_ip,
        ),
    ]
    return await spend(services.redis.client, budgets, auth.window_seconds)
