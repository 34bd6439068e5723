"""Request bodies bounded before anything else runs: a raw ASGI middleware in front of
routing, keys and sessions.

FastAPI reads (and multipart spools) a whole body before it resolves the dependencies that
check an API key or a session, so without this a client with no credentials could make the
server hold 500 MB. Each request falls in a route class with its own limit (`tracker.config`
`Limits`): PDF uploads at the PDF limit, the JSON API small, everything else (people's forms,
the gate, the mute link) small. A declared `Content-Length` over the limit is refused before
one byte is read; a streamed (chunked) body is counted as it arrives and cut off at the
limit. Either way the answer is 413 `body_too_large` with the limit and the route class,
and `Connection: close`, so the server does not drain the rest either. `POST /e` has its own
smaller bound in `api.recipient.beacon`, in front of this.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tracker.config import Limits
from tracker.errors import BadRequest, BodyTooLarge, DealsignalError

__all__ = ["BodyLimit", "RouteClass", "route_class"]


class RouteClass(StrEnum):
    UPLOAD = "upload"
    JSON = "json"
    FORM = "form"


# The routes that take a PDF: the REST uploads and leak attribution, the web app's uploads.
_UPLOADS: Final = re.compile(
    r"^/(?:api/v1|app)/documents(?:/[^/]+/versions)?/?$|^/api/v1/identify/?$"
)


def route_class(path: str) -> RouteClass:
    if _UPLOADS.match(path):
        return RouteClass.UPLOAD
    if path.startswith("/api/"):
        return RouteClass.JSON
    return RouteClass.FORM


def _limit(limits: Limits, kind: RouteClass) -> int:
    if kind is RouteClass.UPLOAD:
        return limits.max_pdf_bytes + limits.upload_overhead_bytes
    if kind is RouteClass.JSON:
        return limits.max_json_bytes
    return limits.max_form_bytes


class BodyLimit:
    """ASGI middleware: the body limit of the request's route class, enforced on the
    declared length and on the bytes that actually arrive."""

    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        kind = route_class(scope["path"])
        limit = _limit(self.limits, kind)
        try:
            declared = _declared_length(scope)
        except BadRequest as exc:
            await _refuse(send, exc)
            return
        if declared is not None and declared > limit:
            await _refuse(send, _too_large(limit, kind))
            return
        await _Guarded(self.app, limit, kind)(scope, receive, send)


class _Guarded:
    """One request: counts the bytes handed to the app and, once they pass the limit,
    stops the app (the next `receive` raises) and answers 413 in place of whatever the
    app was about to say about a body it could not read."""

    def __init__(self, app: ASGIApp, limit: int, kind: RouteClass) -> None:
        self.app, self.limit, self.kind = app, limit, kind
        self.received = 0
        self.exceeded = False
        self.started = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted_receive() -> Message:
            if self.exceeded:
                raise _too_large(self.limit, self.kind)
            message = await receive()
            if message["type"] == "http.request":
                self.received += len(message.get("body", b""))
                if self.received > self.limit:
                    self.exceeded = True
                    raise _too_large(self.limit, self.kind)
            return message

        async def guarded_send(message: Message) -> None:
            if self.exceeded:
                return  # the app's own answer to a cut-off body; ours is sent instead
            if message["type"] == "http.response.start":
                self.started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except BodyTooLarge as exc:
            if self.started:
                raise
            await _refuse(send, exc)
            return
        if self.exceeded and not self.started:
            await _refuse(send, _too_large(self.limit, self.kind))


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            if not (value.isascii() and value.isdigit() and len(value) <= 18):
                raise BadRequest("Content-Length is not a number", code="bad_content_length")
            return int(value)
    return None


def _too_large(limit: int, kind: RouteClass) -> BodyTooLarge:
    return BodyTooLarge(
        f"request body larger than {limit} bytes", limit=limit, route_class=kind.value
    )


async def _refuse(send: Send, exc: DealsignalError) -> None:
    body = orjson.dumps({"error": exc.to_dict()})
    await send(
        {
            "type": "http.response.start",
            "status": exc.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
