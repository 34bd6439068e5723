"""The error hierarchy. Each error carries a machine-readable code and an HTTP status;
`api/` maps them to responses in one place.

    DealsignalError
    ├── BadRequest (400)
    │   ├── InvalidPdf, EncryptedPdf, PdfTooLarge (413), PdfTooManyPages
    │   ├── InvalidImage (422)       an evidence image that is not a sane PNG/JPEG
    │   └── InvalidBeacon
    ├── Unauthenticated (401)
    ├── Forbidden (403)
    ├── NotFound (404)
    ├── Gone (410)                  expired or revoked link
    ├── Conflict (409)
    ├── RateLimited (429)
    ├── Unavailable (503)           a store is down or unreachable: retry later
    │   ├── ClickHouseUnavailable
    │   └── RedisUnavailable
    └── StoreError (500)            a store refused a query or command: a bug, never retried
        ├── ClickHouseQueryError    forever; logged with the engine's text, which is never
        └── RedisCommandError       sent to a client

Driver exceptions become these in one place per store: `tracker.stores.clickhouse.errors`
and `tracker.stores.redis_error_map`.
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "BadRequest",
    "ClickHouseQueryError",
    "ClickHouseUnavailable",
    "ConfigurationError",
    "Conflict",
    "DealsignalError",
    "EncryptedPdf",
    "Forbidden",
    "Gone",
    "InvalidBeacon",
    "InvalidImage",
    "InvalidPdf",
    "NotFound",
    "PdfTooLarge",
    "PdfTooManyPages",
    "RateLimited",
    "RedisCommandError",
    "RedisUnavailable",
    "StoreError",
    "Unauthenticated",
    "Unavailable",
]


class DealsignalError(Exception):
    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code  # type: ignore[misc]
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class BadRequest(DealsignalError):
    status = 400
    code = "bad_request"


class InvalidPdf(BadRequest):
    status = 422
    code = "invalid_pdf"


class InvalidImage(BadRequest):
    status = 422
    code = "invalid_image"


class EncryptedPdf(InvalidPdf):
    code = "encrypted_pdf"


class PdfTooLarge(InvalidPdf):
    status = 413
    code = "pdf_too_large"


class PdfTooManyPages(InvalidPdf):
    code = "pdf_too_many_pages"


class InvalidBeacon(BadRequest):
    code = "invalid_beacon"


class Unauthenticated(DealsignalError):
    status = 401
    code = "unauthenticated"


class Forbidden(DealsignalError):
    status = 403
    code = "forbidden"


class NotFound(DealsignalError):
    status = 404
    code = "not_found"


class Gone(DealsignalError):
    status = 410
    code = "gone"


class Conflict(DealsignalError):
    status = 409
    code = "conflict"


class RateLimited(DealsignalError):
    status = 429
    code = "rate_limited"


class Unavailable(DealsignalError):
    """A store is down: the driver's text stays in the log (it may name hosts and
    queries); a client sees the code and `PUBLIC_MESSAGE`, and retries."""

    status = 503
    code = "unavailable"
    PUBLIC_MESSAGE: ClassVar[str] = "temporarily unavailable; retry shortly"

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.PUBLIC_MESSAGE}


class ClickHouseUnavailable(Unavailable):
    code = "clickhouse_unavailable"


class RedisUnavailable(Unavailable):
    code = "redis_unavailable"


class StoreError(DealsignalError):
    """A store refused what we asked (syntax, schema, wrong type): the engine's text stays
    in the log; a client sees only the code and `PUBLIC_MESSAGE`."""

    status = 500
    code = "store_error"
    PUBLIC_MESSAGE: ClassVar[str] = "internal error; it has been logged"

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.PUBLIC_MESSAGE}


class ClickHouseQueryError(StoreError):
    code = "clickhouse_query_error"


class RedisCommandError(StoreError):
    code = "redis_command_error"


class ConfigurationError(DealsignalError):
    """Raised at start-up; never reaches a client."""

    code = "configuration_error"
