"""Sessions, CSRF and sign-in rate limits for people (API keys stay for machines).

The session cookie holds a random session id signed with the deployment secret (salt
`web-session`): HttpOnly, SameSite=Lax, Secure on https. The session itself lives in Redis
(so logging out ends it everywhere) with a sliding idle timeout, and carries a synchronizer
CSRF token that every form POST must echo (`csrf` field or `X-CSRF-Token` header). The
sign-in form, which has no session yet, gets a random nonce in an HttpOnly cookie and, in
the form, that nonce signed by the server (salt `login-csrf`, one hour): a value an
attacker picks for both is refused, unlike a plain double-submit pair.

Sign-in failures are counted per account (the normalised email, whatever the source
address) and per client address (whatever the account), and checked before the password
is hashed; hashes run through the bounded `HashGate`.
"""

from __future__ import annotations

import hmac
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Final

import orjson
from fastapi import Depends, Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool

from api.guards import Budget, address_tag, forgive, spend
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
    "end_session",
    "login_csrf",
    "login_csrf_valid",
    "set_cookie",
    "sign_in_succeeded",
    "sign_in_try",
    "start_session",
    "translator_of",
]

SESSION_COOKIE: Final = "ds_session"
LOGIN_CSRF_COOKIE: Final = "ds_login_csrf"
LANG_COOKIE: Final = "ds_lang"
SESSION_IDLE_SECONDS: Final = 12 * 3600
SESSION_MAX_SECONDS: Final = 7 * 24 * 3600
LOGIN_CSRF_SECONDS: Final = 3600


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


def _serializer(services: Services, salt: str = "web-session") -> URLSafeTimedSerializer:
    keys = resolve_secret_keys(services.settings)
    # itsdangerous signs with the last key and verifies with all: newest first → reversed.
    return URLSafeTimedSerializer(keys[::-1], salt=salt)


def login_csrf(services: Services) -> tuple[str, str]:
    """(cookie nonce, form token): the token is the nonce signed by the server."""
    nonce = secrets.token_urlsafe(24)
    return nonce, str(_serializer(services, "login-csrf").dumps(nonce))


def login_csrf_valid(services: Services, cookie: str, token: str) -> bool:
    if not (cookie and token):
        return False
    try:
        signed = _serializer(services, "login-csrf").loads(token, max_age=LOGIN_CSRF_SECONDS)
    except BadSignature:
        return False
    return isinstance(signed, str) and hmac.compare_digest(signed, cookie)


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
    request.state.tenant_id = user.tenant_id  # for the access log (api.request_log)
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


def account_key(email: str) -> str:
    """The account a sign-in is for, as the lockout counts it: compatibility-normalised,
    trimmed and case-folded, so spellings that reach the same account share one budget."""
    return unicodedata.normalize("NFKC", email).strip().casefold()


def _budgets(services: Services, email: str, ip: str) -> list[Budget]:
    auth = services.settings.auth
    return [
        Budget(
            redis_keys.signin_failures("acct", address_tag(account_key(email))),
            auth.signin_failures_per_account,
        ),
        Budget(redis_keys.signin_failures("ip", address_tag(ip)), auth.signin_failures_per_ip),
    ]


async def sign_in_try(services: Services, email: str, ip: str) -> bool:
    """Count a try against the account's and the address's budgets before any hashing;
    False: a budget is spent, refuse without checking the password."""
    return await spend(
        services.redis.client, _budgets(services, email, ip), services.settings.auth.window_seconds
    )


async def sign_in_succeeded(services: Services, email: str, ip: str) -> None:
    """A right password: the account's budget starts over, and this try is given back to
    the address (an office behind one address signs in many times a day)."""
    account, address = _budgets(services, email, ip)
    await forgive(services.redis.client, [account])
    await services.redis.client.decr(address.key)
