"""`POST /e`: the viewer's beacon, answered by the thin ASGI front (`api.recipient.front`)
before FastAPI sees the request — no routing table, middleware stack, dependency injection,
body models or even Starlette's `Request`/`Response` objects on the hottest path. Accepts
`fetch(keepalive)` JSON and `sendBeacon` text/plain bodies; 204 once Redis has the events,
400/413 with a code for bad beacons, 503 (retry) when Redis is unavailable."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Final

import orjson
from starlette.types import Receive, Scope, Send

from api.services import Services
from ingest import RequestMeta
from tracker.errors import DealsignalError, InvalidBeacon

__all__ = ["beacon"]

# Only these request headers matter to the beacon; the rest are never decoded.
_WANTED: Final = frozenset(
    {b"content-type", b"content-length", b"user-agent", b"sec-purpose", b"purpose"}
    | {b"x-purpose", b"x-moz"}
)
_NO_CONTENT: Final = {
    "type": "http.response.start",
    "status": 204,
    "headers": [(b"cache-control", b"no-store")],
}
_EMPTY: Final = {"type": "http.response.body", "body": b""}


async def beacon(services: Services, scope: Scope, receive: Receive, send: Send) -> None:
    headers: dict[bytes, bytes] = {}
    for name, value in scope["headers"]:
        if name in _WANTED:  # the first of repeated headers wins, as in Starlette
            headers.setdefault(name, value)
    client = scope.get("client")
    try:
        body = await _bounded_body(receive, headers, services.settings.limits.max_beacon_bytes)
        content_type = headers.get(b"content-type")
        await services.ingestor.accept_beacon(
            body,
            content_type=content_type.decode("latin-1") if content_type is not None else None,
            request=_request_meta(
                tuple(headers.get(name, b"") for name in _META), client[0] if client else None
            ),
        )
    except DealsignalError as exc:
        status = 413 if exc.code == "body_too_large" else exc.status
        await _send_error(send, status, exc)
        return
    await send(_NO_CONTENT)
    await send(_EMPTY)


# What `RequestMeta` reads, in this order (`_request_meta`).
_META: Final = (b"user-agent", b"sec-purpose", b"purpose", b"x-purpose", b"x-moz")


@lru_cache(maxsize=4096)
def _request_meta(values: tuple[bytes, ...], client_ip: str | None) -> RequestMeta:
    """One `RequestMeta` per client (user agent, purpose headers, address): a viewer's
    heartbeats all send the same ones."""
    named = zip(_META, values, strict=True)
    headers = {name.decode(): value.decode("latin-1") for name, value in named}
    return RequestMeta.from_headers("POST", headers, client_ip)


async def _bounded_body(receive: Receive, headers: dict[bytes, bytes], limit: int) -> bytes:
    raw = headers.get(b"content-length")
    declared = raw.decode("latin-1") if raw is not None else None
    if declared is not None and not (declared.isascii() and declared.isdigit()):
        raise InvalidBeacon("Content-Length is not a number", code="bad_content_length")
    if declared is not None and int(declared) > limit:
        raise InvalidBeacon(f"body larger than {limit} bytes", code="body_too_large")
    message = await receive()  # a beacon's body is small: most come in one message
    if message["type"] == "http.request" and not message.get("more_body", False):
        body: bytes = message.get("body", b"")
        if len(body) > limit:
            raise InvalidBeacon(f"body larger than {limit} bytes", code="body_too_large")
        return body
    return await _chunked_body(receive, message, limit)


async def _chunked_body(receive: Receive, message: Any, limit: int) -> bytes:
    chunks, size, more = [], 0, True
    while more:
        if message is None:
            message = await receive()
        if message["type"] == "http.disconnect":
            raise InvalidBeacon("client went away mid-body", code="body_incomplete")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise InvalidBeacon(f"body larger than {limit} bytes", code="body_too_large")
        chunks.append(chunk)
        more, message = message.get("more_body", False), None
    return b"".join(chunks)


async def _send_error(send: Send, status: int, exc: DealsignalError) -> None:
    body = orjson.dumps({"error": exc.to_dict()})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
