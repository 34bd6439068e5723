"""The routing table: no two routes can answer the same request, so the order of `ROUTERS`
only decides how fast a route is found (FastAPI tries included routers in turn), never
which one answers; and no REST route answers without an API key."""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import combinations

from fastapi import APIRouter
from fastapi.testclient import TestClient
from starlette.routing import Route

from api.app import ROUTERS


def _routes(router: APIRouter, prefix: str = "") -> Iterator[tuple[str, frozenset[str]]]:
    for route in router.routes:
        nested = getattr(route, "original_router", None)  # FastAPI's included routers
        if nested is not None:
            context = route.include_context  # type: ignore[attr-defined]
            yield from _routes(nested, prefix + (getattr(context, "prefix", "") or ""))
        elif isinstance(route, Route):
            yield prefix + route.path, frozenset(route.methods or ())


def _segment_overlaps(a: str, b: str) -> bool:
    if "{" not in a and "{" not in b:
        return a == b
    if "{" in a and "{" in b:
        return True
    literal, pattern = (b, a) if "{" in a else (a, b)
    head, _, rest = pattern.partition("{")
    tail = rest.partition("}")[2]
    return literal.startswith(head) and literal.endswith(tail)


def _overlap(a: str, b: str) -> bool:
    left, right = a.strip("/").split("/"), b.strip("/").split("/")
    if ":path}" in a or ":path}" in b:
        return True  # a catch-all; none exists today
    return len(left) == len(right) and all(map(_segment_overlaps, left, right))


def test_no_two_routes_answer_the_same_request() -> None:
    routes = [r for router in ROUTERS for r in _routes(router)]
    assert len(routes) > 60 and any(path.startswith("/app") for path, _ in routes)
    clashes = [(a, b) for (a, ma), (b, mb) in combinations(routes, 2) if ma & mb and _overlap(a, b)]
    assert clashes == []


def test_the_overlap_check_can_fail() -> None:
    assert _overlap("/api/v1/links/{link_id}", "/api/v1/links/revoked")
    assert _overlap("/o/{token}.gif", "/o/abc.gif") and not _overlap("/o/{token}.gif", "/o/x")


def test_every_api_route_refuses_a_request_without_a_key(client: TestClient) -> None:
    checked = 0
    for path, methods in (r for router in ROUTERS for r in _routes(router)):
        if not path.startswith("/api/v1/"):
            continue
        url = re.sub(r"\{[^}]+\}", "opp-1", path)
        for method in sorted(methods - {"HEAD"}):
            response = client.request(method, url)
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.json()["error"]["code"] == "missing_api_key"
            checked += 1
    assert checked > 40
