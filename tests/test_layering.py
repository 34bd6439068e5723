"""The floor plan of DESIGN.md and ARCHITECTURE.md, checked on every module:

- dependencies point one way, `api → outbound → (watermark, ingest, scoring) → tracker`;
  the middle three never import each other and only `api` imports the web framework;
- `load_tests/` talks to the service over HTTP and the CLI only: it imports none of it;
- outside a top-level package, code imports the package's surface — the package itself or
  one of its sub-packages (for `tracker`, whose top-level modules are the kernel, also those)
  — never a module inside a sub-package;
- no import circle between modules (module-level imports; lazy imports in functions and
  `TYPE_CHECKING` blocks do not run at import time);
- no package folder holds more than ~20 modules at one level.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGES = ("tracker", "watermark", "ingest", "scoring", "outbound", "api")
WEB = {"fastapi", "starlette"}
FORBIDDEN = {
    "tracker": {"watermark", "ingest", "scoring", "outbound", "api", *WEB},
    "watermark": {"ingest", "scoring", "outbound", "api", *WEB},
    "ingest": {"watermark", "scoring", "outbound", "api", *WEB},
    "scoring": {"watermark", "ingest", "outbound", "api", *WEB},
    "outbound": {"api", *WEB},
}
MAX_MODULES_PER_FOLDER = 20


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _sources(*tops: str) -> Iterator[Path]:
    for top in tops:
        yield from sorted((ROOT / top).rglob("*.py"))


def _is_package(dotted: str) -> bool:
    return (ROOT / Path(*dotted.split(".")) / "__init__.py").is_file()


def _is_module(dotted: str) -> bool:
    return (ROOT / Path(*dotted.split("."))).with_suffix(".py").is_file() or _is_package(dotted)


def _top_level_nodes(tree: ast.Module) -> Iterator[ast.stmt]:
    """Statements that run at import time (not under `if TYPE_CHECKING:`)."""
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If):
            test = node.test
            if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
                pending.extend(node.orelse)
                continue
            pending.extend([*node.body, *node.orelse])
        elif isinstance(node, ast.Try):
            pending.extend([*node.body, *node.orelse, *node.finalbody])
            for handler in node.handlers:
                pending.extend(handler.body)
        else:
            yield node


def _imported(path: Path, *, import_time_only: bool = False) -> set[str]:
    """Dotted names this file imports (for `from m import x`, also `m.x` when that is a
    module)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    nodes = _top_level_nodes(tree) if import_time_only else ast.walk(tree)
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(
                f"{node.module}.{alias.name}"
                for alias in node.names
                if _is_module(f"{node.module}.{alias.name}")
            )
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_one_way(package: str) -> None:
    offenders = {}
    for path in _sources(package):
        bad = sorted({name.split(".")[0] for name in _imported(path)} & FORBIDDEN[package])
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert not offenders, offenders


def _dynamic_imports(path: Path) -> set[str]:
    """Module names passed as string literals to `importlib.import_module` / `__import__`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return found


def test_load_tests_reach_the_service_over_http_and_the_cli_only() -> None:
    offenders = {}
    for path in _sources("load_tests"):
        names = _imported(path) | _dynamic_imports(path)
        bad = sorted(name for name in names if name.split(".")[0] in PACKAGES)
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert not offenders, offenders


def _allowed_from_outside(dotted: str) -> bool:
    parts = dotted.split(".")
    if len(parts) == 1 or _is_package(dotted):
        return True
    return parts[0] == "tracker" and len(parts) == 2


def test_other_packages_import_a_package_surface_never_its_inner_modules() -> None:
    offenders = {}
    for path in _sources(*PACKAGES):
        own = _module_name(path).split(".")[0]
        bad = sorted(
            name
            for name in _imported(path)
            if name.split(".")[0] in PACKAGES
            and name.split(".")[0] != own
            and _is_module(name)
            and not _allowed_from_outside(name)
        )
        if bad:
            offenders[str(path.relative_to(ROOT))] = bad
    assert not offenders, offenders


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles() -> None:
    graph = {
        _module_name(path): {
            name
            for name in _imported(path, import_time_only=True)
            if name.split(".")[0] in PACKAGES and _is_module(name)
        }
        for path in _sources(*PACKAGES)
    }
    # A package's __init__ importing its own modules is how surfaces are built; a module
    # importing its package's surface back would be the circle, and is caught.
    assert _cycles(graph) == []


def test_no_folder_is_a_crowd() -> None:
    crowded = {
        str(folder.relative_to(ROOT)): count
        for top in PACKAGES
        for folder in [ROOT / top, *(p for p in (ROOT / top).rglob("*") if p.is_dir())]
        if (count := len(list(folder.glob("*.py")))) > MAX_MODULES_PER_FOLDER
    }
    assert not crowded, crowded
