"""Errors become responses here, and only here: `{"error": {"code", "message", "details"}}`
(`ErrorBody`, whose `error` is the `Error` model), validation failures included; 429 and 503
carry `Retry-After`. `api.contract` declares the body on every operation."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from tracker.errors import DealsignalError, RateLimited, StoreError, Unavailable

__all__ = ["Error", "ErrorBody", "error_response", "install_error_handlers"]


class Error(BaseModel):
    """One error: branch on `code` (each response lists the codes its status carries)."""

    code: str = Field(
        description="Machine-readable reason, stable across releases; new codes may be added."
    )
    message: str = Field(description="What went wrong, in English, for a developer.")
    details: dict[str, object] | None = Field(
        default=None, description="Parameters of the reason (a field, a limit, a wait)."
    )


class ErrorBody(BaseModel):
    """Every error response of the API."""

    error: Error

    model_config = {
        "json_schema_extra": {
            "examples": [
                {"error": {"code": "link_not_found", "message": "unknown link"}},
                {
                    "error": {
                        "code": "job_cooldown",
                        "message": "stall ran for this tenant moments ago; try again in 12 s",
                        "details": {"retry_after_seconds": 12},
                    }
                },
            ]
        }
    }


log = logging.getLogger("dealsignal.api")


def error_response(status: int, code: str, message: str, **details: object) -> JSONResponse:
    body: dict[str, object] = {"code": code, "message": message}
    if details:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status)


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DealsignalError)
    headers = None
    if isinstance(exc, StoreError):
        log.error("%s %s -> %s: %s", request.method, request.url.path, exc.code, exc.message)
    elif exc.status >= 500:
        log.warning("%s %s -> %s: %s", request.method, request.url.path, exc.code, exc.message)
    if isinstance(exc, Unavailable):
        headers = {"Retry-After": "1"}
    elif isinstance(exc, RateLimited):
        wait = exc.details.get("retry_after_seconds", 1)
        headers = {"Retry-After": str(max(int(wait), 1))}
    return JSONResponse({"error": exc.to_dict()}, status_code=exc.status, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"loc": list(err.get("loc", ())), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors()
    ]
    return error_response(422, "validation_error", "request failed validation", errors=problems)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DealsignalError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
