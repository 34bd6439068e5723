"""TEST HARNESS — not a ClickHouse server.

No modern ClickHouse server can be installed on the build machines, so the clickhouse-connect
backend is tested against the real ClickHouse engine (chDB) through this small HTTP front
that speaks the part of ClickHouse's HTTP interface clickhouse-connect uses: the query in the
`query` parameter or the POST body, `param_*` query parameters, settings as URL parameters,
INSERT bodies in the client's format, and errors as non-200 responses carrying the
exception text. It runs in a thread of the test process and shares that process's chDB
engine."""

from __future__ import annotations

import gzip
import json
import re
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from tracker.stores.clickhouse.chdb_backend import _SharedSession, quote_string

__all__ = ["ClickHouseHttpHarness"]

_FORMAT = re.compile(r"\s+FORMAT\s+(\w+)\s*;?\s*$", re.IGNORECASE)
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s", re.IGNORECASE)
# Settings worth forwarding to the engine; transport-level ones are the harness's business.
_FORWARDED_SETTINGS = {"insert_deduplication_token"}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._handle(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(length) if length else b""
        self._handle(self._decode(body))

    def _decode(self, body: bytes) -> bytes:
        encoding = (self.headers.get("Content-Encoding") or "").lower()
        if encoding == "gzip":
            return gzip.decompress(body)
        if encoding == "lz4":
            import lz4.frame

            return bytes(lz4.frame.decompress(body))
        if encoding == "zstd":
            from backports import zstd  # type: ignore[import-not-found]

            return bytes(zstd.decompress(body))
        return body

    def _handle(self, body: bytes) -> None:
        self.server.requests += 1
        if self.server.fail_next > 0:
            self.server.fail_next -= 1
            self._reply(503, b"Code: 210. DB::NetException: harness-injected outage", "text/plain")
            return
        url = urlparse(self.path)
        args = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        if url.path == "/ping":
            self._reply(200, b"Ok.\n", "text/plain")
            return
        query = args.get("query", "")
        params = {k[len("param_") :]: v for k, v in args.items() if k.startswith("param_")}
        settings = {k: v for k, v in args.items() if k in _FORWARDED_SETTINGS}
        if not query:
            query, body = body.decode(), b""
        try:
            if _INSERT.match(query) and body:
                payload, content_type = self._insert(query, body, settings), "text/plain"
            else:
                payload, content_type = self._select(query, params)
        except Exception as exc:
            message = str(exc)
            code = re.search(r"Code: (\d+)", message)
            self._reply(
                500,
                message.encode(),
                "text/plain",
                {"X-ClickHouse-Exception-Code": code.group(1) if code else "1"},
            )
            return
        self._reply(200, payload, content_type)

    def _select(self, query: str, params: dict[str, str]) -> tuple[bytes, str]:
        match = _FORMAT.search(query)
        fmt = match.group(1) if match else "TabSeparated"
        sql = query[: match.start()] if match else query
        with _SharedSession.lock:
            result = _SharedSession.session.query(sql, fmt, params=params or None)
        return bytes(result.bytes()), "application/octet-stream"

    def _insert(self, query: str, body: bytes, settings: dict[str, str]) -> bytes:
        match = _FORMAT.search(query)
        if not match:
            raise ValueError("Code: 62. DB::Exception: INSERT without FORMAT")
        statement = query[: match.start()]
        if settings:
            rendered = ", ".join(f"{k} = {quote_string(v)}" for k, v in settings.items())
            statement += f" SETTINGS {rendered}"
        with _SharedSession.lock:
            inserter = _SharedSession.session.send_insert(statement, match.group(1))
            inserter.append(body)
            inserter.finish()
        return b""

    def _reply(
        self, status: int, payload: bytes, content_type: str, extra: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("X-ClickHouse-Query-Id", str(uuid.uuid4()))
        self.send_header("X-ClickHouse-Timezone", "UTC")
        self.send_header("X-ClickHouse-Server-Display-Name", "chdb-harness")
        self.send_header(
            "X-ClickHouse-Summary", json.dumps({"read_rows": "0", "written_rows": "0"})
        )
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    requests = 0
    fail_next = 0


class ClickHouseHttpHarness:
    """Serve ClickHouse's HTTP interface on 127.0.0.1:<free port> until `stop()`.
    `fail_next(n)` makes the next n requests fail like an unreachable server."""

    def __init__(self) -> None:
        if _SharedSession.session is None:
            raise RuntimeError("open a ChdbClickHouse in this process before the harness")
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> int:
        return self._server.requests

    def fail_next(self, count: int) -> None:
        self._server.fail_next = count

    def start(self) -> ClickHouseHttpHarness:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
