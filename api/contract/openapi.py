"""The error half of the API contract in `/openapi.json`: on every REST operation, one
response per status it can answer with — each the `ErrorBody` model (`{"error": Error}`), its
description and `x-error-codes` naming the codes that status carries (read off the error
hierarchy by `api.contract.error_catalog`) — in place of FastAPI's `HTTPValidationError` 422,
which described a body this API never sends. The document's description ends with the table
of all codes, so /docs and /redoc list them. Each keyed operation also names the scopes its
key needs (`x-required-scopes`, and a line of its description).

Which statuses an operation declares follows from what it takes:

    every /api/v1 operation   400 (bad input, a bad Content-Length), 500, 503
    with a key                401, 403, 429 (sign-in checks are rate limited; job cooldowns)
    with a path parameter     404
    with a body               404 (bodies name resources), 413, and 409 on writes
    with parameters or body   422 (`validation_error`, `details.errors[]` per field)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from api.contract.error_catalog import codes_by_status
from api.contract.operation_ids import operation_id
from api.errors import ErrorBody
from api.rest.auth import scopes_required

__all__ = ["ERROR_TITLES", "codes_table", "install_openapi_contract"]

ERROR_TITLES: Final[dict[int, str]] = {
    400: "Bad input: the code names the rule broken",
    401: "No, malformed, unknown or revoked API key",
    403: "The key lacks the scope, or acts for someone else",
    404: "Unknown, or another tenant's, resource",
    409: "Conflicts with what is stored (a frozen account, a running job, …)",
    410: "Expired or revoked",
    413: "Request body or PDF over its size limit",
    422: "Failed validation (`details.errors[]`: `loc`, `msg`, `type`) or an unusable file",
    429: "Too many requests or a job's cooldown; wait `Retry-After` seconds",
    500: "Internal error; it has been logged (the engine's text is never sent)",
    503: "A store is briefly unavailable; retry after `Retry-After` seconds",
}
_RETRY_AFTER: Final = {
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer"},
    }
}
_WRITES: Final = frozenset({"put", "post", "patch", "delete"})
_REF: Final = "#/components/schemas/ErrorBody"


def _statuses(method: str, operation: dict[str, Any]) -> list[int]:
    statuses = {400, 500, 503}
    if operation.get("security"):
        statuses |= {401, 403, 429}
    parameters = operation.get("parameters", [])
    if any(p.get("in") == "path" for p in parameters):
        statuses.add(404)
    if "requestBody" in operation:
        statuses |= {404, 413}
        if method in _WRITES:
            statuses.add(409)
    if parameters or "requestBody" in operation:
        statuses.add(422)
    return sorted(statuses)


def _response(status: int, codes: tuple[str, ...]) -> dict[str, Any]:
    listed = ", ".join(f"`{code}`" for code in codes)
    response: dict[str, Any] = {
        "description": f"{ERROR_TITLES[status]}. Codes: {listed}.",
        "content": {"application/json": {"schema": {"$ref": _REF}}},
        "x-error-codes": list(codes),
    }
    if status in (429, 503):
        response["headers"] = dict(_RETRY_AFTER)
    return response


def codes_table(codes: dict[int, tuple[str, ...]]) -> str:
    rows = [f"| {s} | {ERROR_TITLES.get(s, '')} | {', '.join(codes[s])} |" for s in sorted(codes)]
    return "\n".join(
        [
            "## Errors",
            "",
            'Every error is `{"error": {"code", "message", "details"}}` (`ErrorBody`). '
            "Branch on `code`; the set may grow, so treat an unknown code by its status.",
            "",
            "| status | meaning | codes |",
            "|---|---|---|",
            *rows,
        ]
    )


def _api_routes(routes: list[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        nested = getattr(route, "original_router", None)  # FastAPI's included routers
        if nested is not None:
            yield from _api_routes(nested.routes)
        elif isinstance(route, APIRoute):
            yield route


def _scopes(dependant: Dependant) -> list[str] | None:
    for dependency in dependant.dependencies:
        found = scopes_required(dependency.call) if dependency.call else None
        if found is not None:
            return [scope.value for scope in found]
        deeper = _scopes(dependency)
        if deeper is not None:
            return deeper
    return None


def _declare_scopes(spec: dict[str, Any], routes: list[BaseRoute]) -> None:
    by_operation = {operation_id(r): _scopes(r.dependant) for r in _api_routes(routes)}
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            scopes = by_operation.get(operation.get("operationId", ""))
            if scopes:
                names = " or ".join(f"`{s}`" for s in scopes)
                operation["x-required-scopes"] = scopes
                needs = f"Needs a key with the {names} scope (admin keys have every scope)."
                operation["description"] = f"{operation.get('description', '')}\n\n{needs}".strip()


def _declare_errors(spec: dict[str, Any]) -> None:
    codes = codes_by_status()
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    body = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(body.pop("$defs", {}))
    schemas["ErrorBody"] = body
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in [s for s in responses if s[0] in "45"]:
                del responses[status]  # FastAPI's HTTPValidationError, app-wide defaults
            if not path.startswith("/api/"):
                continue
            for status in _statuses(method, operation):
                responses[str(status)] = _response(status, codes.get(status, ()))
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    info = spec.setdefault("info", {})
    info["description"] = f"{info.get('description', '')}\n\n{codes_table(codes)}".strip()


def install_openapi_contract(app: FastAPI) -> None:
    """Wrap `app.openapi` so the generated document is completed once, then cached."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = generate()
            _declare_errors(spec)
            _declare_scopes(spec, app.router.routes)
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
