"""The client's address for rate limits and event enrichment. X-Forwarded-For and
X-Forwarded-Proto are believed only from the reverse proxies named in `trusted_proxies`
(uvicorn's proxy-headers middleware, which takes the rightmost forwarded address that is not
a proxy); from anyone else they are ignored, so a client cannot choose the address its
failed sign-ins and passcode tries are counted against. `serve` runs uvicorn with its own
proxy handling off (it trusted loopback by default), so this is the one place it happens."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

__all__ = ["behind_proxies", "client_address"]


def behind_proxies(app: ASGIApp, trusted: list[str]) -> ASGIApp:
    if not trusted:
        return app
    return ProxyHeadersMiddleware(app, trusted_hosts=trusted)  # type: ignore[arg-type,return-value]


def client_address(request: Request) -> str:
    return request.client.host if request.client else ""
