"""The dependency rule of DESIGN.md, checked on every module: api → (watermark, ingest,
scoring) → tracker, the middle three never import each other, and only api imports the web
framework."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
FORBIDDEN = {
    "tracker": {"watermark", "ingest", "scoring", "api", "fastapi", "starlette"},
    "watermark": {"ingest", "scoring", "api", "fastapi", "starlette"},
    "ingest": {"watermark", "scoring", "api", "fastapi", "starlette"},
    "scoring": {"watermark", "ingest", "api", "fastapi", "starlette"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
        if _imports(path) & FORBIDDEN[package]
    }
    assert not offenders, offenders
