"""The raw-ASGI beacon front (`api.recipient.beacon`) with requests no HTTP client library would
send: odd Content-Length values, a client gone mid-body, repeated headers."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.testclient import TestClient


def call(client: TestClient, headers: list[tuple[bytes, bytes]], chunks: list[dict[str, Any]]):
    """Send one `POST /e` straight to the ASGI app; return (status, JSON error code)."""
    sent: list[dict[str, Any]] = []

    async def run() -> None:
        messages = iter(chunks)

        async def receive() -> dict[str, Any]:
            return next(messages)

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": "/e", "headers": headers,
                 "client": ("203.0.113.9", 5000), "query_string": b""}  # fmt: skip
        await client.app(scope, receive, send)  # type: ignore[arg-type]

    assert client.portal is not None
    client.portal.call(run)
    status = sent[0]["status"]
    body = sent[1]["body"]
    return status, (orjson.loads(body)["error"]["code"] if body else None)


def body(data: bytes, more: bool = False) -> dict[str, Any]:
    return {"type": "http.request", "body": data, "more_body": more}


def test_odd_content_lengths_and_a_vanished_client_are_4xx(client: TestClient) -> None:
    for declared in (b"\xc2\xb2", b"-1", b"12abc", b"1e3"):  # "²".isdigit() is True
        status, code = call(client, [(b"content-length", declared)], [body(b"{}")])
        assert (status, code) == (400, "bad_content_length"), declared
    too_big = str(10**9).encode()
    assert call(client, [(b"content-length", too_big)], [body(b"")]) == (413, "body_too_large")
    gone = [body(b'{"s":', more=True), {"type": "http.disconnect"}]
    assert call(client, [], gone) == (400, "body_incomplete")
    chunked = [body(b"x" * 40_000, more=True), body(b"x" * 40_000)]  # no Content-Length
    assert call(client, [], chunked) == (413, "body_too_large")


def test_the_first_of_repeated_headers_wins(client: TestClient) -> None:
    headers = [(b"content-type", b"image/png"), (b"content-type", b"application/json")]
    assert call(client, headers, [body(b"{}")]) == (400, "unsupported_media")
