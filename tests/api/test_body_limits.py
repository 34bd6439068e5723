"""Bodies are bounded before authentication: an unauthenticated client sending an oversized
body is refused (413 `body_too_large`) having been read no further than its route class's
limit — measured by counting the bytes the app pulled from the connection, not by time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import orjson
import pytest
from starlette.types import Message

from api.app import create_app
from api.body_limits import RouteClass, route_class
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse

_CHUNK = 64 * 1024
_MB = 1024 * 1024


@dataclass
class Wire:
    """A client connection: a body of `total` bytes in 64 KiB chunks, counting what the
    server actually received, and the response it sent."""

    total: int
    head: bytes = b""  # the body starts with this, then filler
    pulled: int = 0
    messages: list[Message] = field(default_factory=list)

    async def receive(self) -> Message:
        chunk = min(_CHUNK, self.total - self.pulled)
        body = (self.head if self.pulled == 0 else b"") + b"x" * chunk
        body = body[:chunk]
        self.pulled += chunk
        return {"type": "http.request", "body": body, "more_body": self.pulled < self.total}

    async def send(self, message: Message) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def error(self) -> dict[str, object]:
        body = b"".join(m.get("body", b"") for m in self.messages[1:])
        return dict(orjson.loads(body)["error"])


def _scope(method: str, path: str, *, declared: int | None, content_type: str) -> dict:
    headers = [(b"content-type", content_type.encode()), (b"host", b"testserver")]
    if declared is not None:
        headers.append((b"content-length", str(declared).encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("203.0.113.9", 40000),
        "server": ("testserver", 80),
    }


@pytest.fixture
async def running(settings: Settings, clickhouse: ClickHouse) -> AsyncIterator[object]:
    """The real app with its stores open; a small PDF limit so the upload case stays quick."""
    limits = settings.limits.model_copy(update={"max_pdf_bytes": 2 * _MB})
    app = create_app(settings.model_copy(update={"limits": limits}), run_background=False)
    async with app.app.router.lifespan_context(app.app):
        yield app


_MULTIPART_HEAD = (
    b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
    b"Content-Type: application/pdf\r\n\r\n%PDF-1.7\n"
)

# Unauthenticated requests to each route class: no key, no session, no gate cookie.
CASES = [
    ("PUT", "/api/v1/opportunities/X", "application/json", RouteClass.JSON),
    ("POST", "/api/v1/documents", "multipart/form-data; boundary=b", RouteClass.UPLOAD),
    ("POST", "/app/documents", "multipart/form-data; boundary=b", RouteClass.UPLOAD),
    ("POST", "/app/login", "application/x-www-form-urlencoded", RouteClass.FORM),
    ("POST", "/v/some-token", "application/x-www-form-urlencoded", RouteClass.FORM),
]


@pytest.mark.parametrize(("method", "path", "content_type", "kind"), CASES)
async def test_declared_oversized_body_is_refused_before_one_byte_is_read(
    running: object, method: str, path: str, content_type: str, kind: RouteClass
) -> None:
    assert route_class(path) is kind
    wire = Wire(total=500 * _MB)
    scope = _scope(method, path, declared=wire.total, content_type=content_type)
    await running(scope, wire.receive, wire.send)  # type: ignore[operator]
    assert wire.status == 413
    assert wire.error["code"] == "body_too_large"
    assert wire.error["details"]["route_class"] == kind.value  # type: ignore[index]
    assert wire.pulled == 0


@pytest.mark.parametrize(("method", "path", "content_type", "kind"), CASES)
async def test_streamed_oversized_body_is_cut_off_at_the_route_class_limit(
    running: object, method: str, path: str, content_type: str, kind: RouteClass
) -> None:
    """No Content-Length (chunked): the bytes are counted as they arrive; the server stops
    pulling one chunk past the limit, long before the 16 MB the client would send."""
    head = _MULTIPART_HEAD if content_type.startswith("multipart/") else b""
    wire = Wire(total=16 * _MB, head=head)
    scope = _scope(method, path, declared=None, content_type=content_type)
    await running(scope, wire.receive, wire.send)  # type: ignore[operator]
    assert wire.status == 413
    assert wire.error["code"] == "body_too_large"
    limit = int(wire.error["details"]["limit"])  # type: ignore[index]
    assert limit < wire.total
    assert limit < wire.pulled <= limit + _CHUNK


async def test_a_body_within_the_limit_reaches_authentication(running: object) -> None:
    """The bound does not get in the way: a small unauthenticated body gets its 401."""
    wire = Wire(total=1000, head=b"{}" + b" " * 998)
    scope = _scope(
        "PUT", "/api/v1/opportunities/X", declared=wire.total, content_type="application/json"
    )
    await running(scope, wire.receive, wire.send)  # type: ignore[operator]
    assert wire.status == 401
    assert wire.pulled == wire.total


async def test_a_malformed_content_length_is_a_400(running: object) -> None:
    wire = Wire(total=10)
    scope = _scope("POST", "/app/login", declared=None, content_type="text/plain")
    scope["headers"].append((b"content-length", b"1e9"))
    await running(scope, wire.receive, wire.send)  # type: ignore[operator]
    assert wire.status == 400 and wire.error["code"] == "bad_content_length"
    assert wire.pulled == 0
