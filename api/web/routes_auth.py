"""Signing in and out, and the interface-language switch.

GET  /app/login          the sign-in form (sets the double-submit CSRF cookie)
POST /app/login          email + password → session cookie → `next`
POST /app/logout         ends the session (CSRF-checked)
GET  /app/lang/{locale}  remembers en / zh_CN in a cookie → back to `next`
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.guards import client_address
from api.i18n import SUPPORTED
from api.pages import render_page
from api.services import ServicesDep
from api.web.auth import (
    LANG_COOKIE,
    LOGIN_CSRF_COOKIE,
    PostingUser,
    end_session,
    login_csrf,
    login_csrf_valid,
    set_cookie,
    sign_in_succeeded,
    sign_in_try,
    start_session,
    translator_of,
)
from api.web.render import WebRoute, safe_next
from tracker.errors import Forbidden
from tracker.users import verify_sign_in

__all__ = ["router"]

router = APIRouter(prefix="/app", route_class=WebRoute, include_in_schema=False)


def _login_form(
    request: Request,
    services: ServicesDep,
    *,
    next_path: str,
    email: str = "",
    error: str = "",
    status: int = 200,
) -> Response:
    nonce, token = login_csrf(services)
    response = render_page(
        "web/login.html",
        translator_of(request, services),
        status=status,
        csrf=token,
        next_path=next_path,
        email=email,
        error=error,
    )
    set_cookie(response, request, LOGIN_CSRF_COOKIE, nonce, 3600)
    return response


@router.get("/login")
async def login_form(request: Request, services: ServicesDep, next: str = "") -> Response:
    return _login_form(request, services, next_path=safe_next(next))


@router.post("/login")
async def login(
    request: Request,
    services: ServicesDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    if not login_csrf_valid(services, request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf):
        raise Forbidden("missing or wrong CSRF token; reload the page", code="csrf_failed")
    _ = translator_of(request, services).gettext
    ip = client_address(request)
    target = safe_next(next)
    if not await sign_in_try(services, email, ip):
        message = _("Too many failed attempts. Wait 15 minutes and try again.")
        return _login_form(
            request, services, next_path=target, email=email, error=message, status=429
        )
    user = await services.password_checks.run(verify_sign_in, services.clickhouse, email, password)
    if user is None:
        message = _("Wrong email or password.")
        return _login_form(
            request, services, next_path=target, email=email, error=message, status=401
        )
    await sign_in_succeeded(services, email, ip)
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    await start_session(services, request, response, user)
    return response


@router.post("/logout")
async def logout(request: Request, services: ServicesDep, viewer: PostingUser) -> Response:
    del viewer
    response = RedirectResponse("/app/login", status_code=303)
    await end_session(services, request, response)
    return response


@router.get("/lang/{locale}")
async def language(request: Request, locale: str, next: str = "") -> Response:
    response = RedirectResponse(safe_next(next), status_code=303)
    if locale in SUPPORTED:
        set_cookie(response, request, LANG_COOKIE, locale, 365 * 86400)
    return response
