"""No credentials in logs: tracked-link tokens in uvicorn's access log, robot `key=` in
httpx's request log — as those libraries actually log them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest

from api.log_redaction import REDACTED, install_log_redaction, redact

TOKEN = "WyJ0ZW5fQSIsImxua18xIl0.abcdefSIGNATURE"


class _Ok(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_access_log_lines_lose_link_tokens(caplog: pytest.LogCaptureFixture) -> None:
    install_log_redaction()
    access = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        for path in (f"/l/{TOKEN}", f"/v/{TOKEN}/download", f"/o/{TOKEN}.gif", f"/n/mute/{TOKEN}"):
            # uvicorn's own call: client, method, path with query, HTTP version, status
            access.info('%s - "%s %s HTTP/%s" %d', "203.0.113.9:1", "GET", path, "1.1", 200)
    text = caplog.text
    assert TOKEN not in text and "abcdefSIGNATURE" not in text
    assert text.count(REDACTED) == 4 and "/o/REDACTED.gif" in text and '" 200' in text


def test_httpx_request_log_loses_robot_keys(
    caplog: pytest.LogCaptureFixture, receiver: str
) -> None:
    install_log_redaction()
    url = f"{receiver}/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa&debug=1"
    with caplog.at_level(logging.INFO, logger="httpx"):
        assert httpx.post(url, json={}).status_code == 200
    assert "HTTP Request: POST" in caplog.text
    assert "693a91f6" not in caplog.text and "key=REDACTED&debug=1" in caplog.text


def test_redact_leaves_other_paths_alone() -> None:
    assert redact("GET /api/v1/links/lnk_1 HTTP/1.1") == "GET /api/v1/links/lnk_1 HTTP/1.1"
    assert redact("/app/login?next=/app/documents") == "/app/login?next=/app/documents"
