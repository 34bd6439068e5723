"""Sessions, CSRF and sign-in rate limits for people (API keys stay for machines).

The session cookie holds a random session id signed with the deployment secret (salt
`web-session`): HttpOnly, SameSite=Lax, Secure on https. The session itself lives in Redis
(so logging out ends it everywhere) with a sliding idle timeout, and carries a synchronizer
CSRF token that every form POST must echo (`csrf` field or `X-CSRF-Token` header). The
sign-in form, which has no session yet, uses a double-submit cookie instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated, Final

import orjson
from fastapi import Depends, Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

from api.i18n import Translator, negotiate, translator_for
from api.services import Services, ServicesDep
from tracker import redis_keys
from tracker.config import resolve_secret_keys
from tracker.errors import DealsignalError, Forbidden, NotFound
from tracker.users import User, get_user, visible_owners

__all__ = [
    "LANG_COOKIE",
    "LOGIN_CSRF_COOKIE",
    "SESSION_COOKIE",
    "CurrentUser",
    "LoginRequired",
    "PostingUser",
    "Viewer",
    "clear_failures",
    "end_session",
    "note_failure",
    "set_cookie",
    "sign_in_blocked",
    "start_session",
    "translator_of",
]

SESSION_COOKIE: Final = "ds_session"
LOGIN_CSRF_COOKIE: Final = "ds_login_csrf"
LANG_COOKIE: Final = "ds_lang"
SESSION_IDLE_SECONDS: Final = 12 * 3600
SESSION_MAX_SECONDS: Final = 7 * 24 * 3600
MAX_FAILURES: Final = 5  # per email + IP, per window
FAILURE_WINDOW_SECONDS: Final = 15 * 60


class LoginRequired(DealsignalError):
    """No valid session: pages redirect to the sign-in form."""

    status = 401
    code = "login_required"


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, what they may see, and their interface language."""

    user: User
    owners: frozenset[str] | None  # None: the whole tenant (admin)
    csrf: str
    translator: Translator

    @property
    def tenant_id(self) -> str:
        return self.user.tenant_id

    def may_see(self, owner: str) -> bool:
        return self.owners is None or owner.strip().lower() in self.owners


def _serializer(services: Services) -> URLSafeTimedSerializer:
    keys = resolve_secret_keys(services.settings)
    # itsdangerous signs with the last key and verifies with all: newest first → reversed.
    return URLSafeTimedSerializer(keys[::-1], salt="web-session")


def _session_key(sid: str) -> str:
    return redis_keys.web_session(sid)


def translator_of(request: Request, services: Services) -> Translator:
    chosen = request.cookies.get(LANG_COOKIE, "")
    return translator_for(
        negotiate(chosen, request.headers.get("accept-language"), services.settings.default_locale)
    )


def set_cookie(
    response: Response, request: Request, name: str, value: str, max_age: int | None
) -> None:
    secure = request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/"
    )


async def start_session(
    services: Services, request: Request, response: Response, user: User
) -> None:
    sid = secrets.token_urlsafe(24)
    body = {"tenant_id": user.tenant_id, "email": user.email, "csrf": secrets.token_urlsafe(24)}
    await services.redis.client.set(_session_key(sid), orjson.dumps(body), ex=SESSION_IDLE_SECONDS)
    set_cookie(
        response, request, SESSION_COOKIE, _serializer(services).dumps(sid), SESSION_MAX_SECONDS
    )


def _session_id(services: Services, request: Request) -> str | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        sid = _serializer(services).loads(raw, max_age=SESSION_MAX_SECONDS)
    except BadSignature:
        return None
    return sid if isinstance(sid, str) else None


async def end_session(services: Services, request: Request, response: Response) -> None:
    if sid := _session_id(services, request):
        await services.redis.client.delete(_session_key(sid))
    response.delete_cookie(SESSION_COOKIE, path="/")


async def _current(request: Request, services: ServicesDep) -> Viewer:
    sid = _session_id(services, request)
    if sid is None:
        raise LoginRequired("sign in first")
    redis = services.redis.client
    raw = await redis.get(_session_key(sid))
    if raw is None:
        raise LoginRequired("the session ended; sign in again")
    await redis.expire(_session_key(sid), SESSION_IDLE_SECONDS)
    session = orjson.loads(raw)
    ch = services.clickhouse
    try:
        user = await run_in_threadpool(get_user, ch, session["tenant_id"], session["email"])
    except NotFound as exc:
        raise LoginRequired("the account no longer exists") from exc
    if user.disabled:
        raise LoginRequired("the account is disabled")
    owners = await run_in_threadpool(visible_owners, ch, user)
    return Viewer(user, owners, str(session["csrf"]), translator_of(request, services))


async def _posting(request: Request, viewer: Annotated[Viewer, Depends(_current)]) -> Viewer:
    """A state-changing request: the session's CSRF token must come back with it."""
    presented = request.headers.get("x-csrf-token", "")
    if not presented:
        form = await request.form()
        value = form.get("csrf", "")
        presented = value if isinstance(value, str) else ""
    if not (presented and hmac.compare_digest(presented, viewer.csrf)):
        raise Forbidden("missing or wrong CSRF token; reload the page", code="csrf_failed")
    return viewer


CurrentUser = Annotated[Viewer, Depends(_current)]
PostingUser = Annotated[Viewer, Depends(_posting)]


def _failure_key(email: str, ip: str) -> str:
    digest = hashlib.sha256(f"{email.strip().lower()}|{ip}".encode()).hexdigest()[:32]
    return redis_keys.signin_failures(digest)


async def sign_in_blocked(services: Services, email: str, ip: str) -> bool:
    count = await services.redis.client.get(_failure_key(email, ip))
    return count is not None and int(count) >= MAX_FAILURES


async def note_failure(services: Services, email: str, ip: str) -> None:
    key = _failure_key(email, ip)
    async with services.redis.client.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, FAILURE_WINDOW_SECONDS, nx=True)
        await pipe.execute()


async def clear_failures(services: Services, email: str, ip: str) -> None:
    await services.redis.client.delete(_failure_key(email, ip))
