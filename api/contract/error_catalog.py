"""Every error code the REST API can answer with, by HTTP status — read off the error
hierarchy (`tracker.errors` and its subclasses elsewhere), never typed by hand: each
`DealsignalError` subclass contributes its class `code`, and each place that raises one with
an explicit `code="…"` contributes that code under the class's status (found by reading the
source, so a new error class or a new code shows up in `/openapi.json` by itself).

Scanned: the layers a REST request runs through (`SCANNED`). The web app's and the reader's
pages (`api/web`, `api/recipient`) answer HTML or beacons and are left out; so are errors
that never reach a client (`ConfigurationError`)."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Final

from tracker.errors import ConfigurationError, DealsignalError

__all__ = ["SCANNED", "codes_by_status"]

_ROOT: Final = Path(__file__).resolve().parents[2]  # the folder holding api/, tracker/, …
SCANNED: Final = (
    "api/rest",
    "api/errors.py",
    "api/body_limits.py",
    "api/guards",
    "api/uploads.py",
    "tracker",
    "scoring",
    "outbound",
    "ingest",
    "watermark",
)
_NEVER_SENT: Final = (ConfigurationError,)


def _sources() -> Iterator[Path]:
    for entry in SCANNED:
        path = _ROOT / entry
        yield from sorted(path.rglob("*.py")) if path.is_dir() else [path]


def _module_scanned(module: str) -> bool:
    relative = module.replace(".", "/")
    return any(relative == s.removesuffix(".py") or relative.startswith(s + "/") for s in SCANNED)


def _classes() -> dict[str, type[DealsignalError]]:
    found: dict[str, type[DealsignalError]] = {}
    pending: list[type[DealsignalError]] = [DealsignalError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if _module_scanned(cls.__module__) and not issubclass(cls, _NEVER_SENT):
            found[cls.__name__] = cls
    return found


def _called_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else ""


def _explicit_codes(classes: dict[str, type[DealsignalError]]) -> Iterator[tuple[int, str]]:
    for source in _sources():
        text = source.read_text(encoding="utf-8")
        if "code=" not in text and "error_response(" not in text:
            continue  # nothing to find: skip the parse, most of the cost
        for node in ast.walk(ast.parse(text)):
            if not isinstance(node, ast.Call):
                continue
            name = _called_name(node)
            if name == "error_response" and len(node.args) >= 2:
                status, code = (getattr(a, "value", None) for a in node.args[:2])
                if isinstance(status, int) and isinstance(code, str):
                    yield status, code
            elif name in classes:
                for keyword in node.keywords:
                    if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                        yield classes[name].status, str(keyword.value.value)


@cache
def codes_by_status() -> dict[int, tuple[str, ...]]:
    """{status: sorted codes}. Import the app (or the modules defining error classes) first:
    a subclass is found once its module is imported."""
    classes = _classes()
    by_status: defaultdict[int, set[str]] = defaultdict(set)
    for cls in classes.values():
        if cls is not DealsignalError:
            by_status[cls.status].add(cls.code)
    for status, code in _explicit_codes(classes):
        by_status[status].add(code)
    # FastAPI's own refusals, turned into our body by api.errors
    by_status[404].add("not_found")
    return {status: tuple(sorted(codes)) for status, codes in sorted(by_status.items())}
