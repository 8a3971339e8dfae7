"""The package's shape: a small root, short modules, and no import circle (late imports and
type-only imports included), read from the source with ``ast``."""

from __future__ import annotations

import ast
from pathlib import Path

import imgharvest

PACKAGE = Path(imgharvest.__file__).parent
MAX_ROOT_MODULES = 12
MAX_MODULE_LINES = 450


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _target(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _imports(module: str, path: Path, known: set[str]) -> set[str]:
    """Every module ``module`` imports, wherever the import stands (function, TYPE_CHECKING)."""
    edges: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            edges |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            target = _target(module, node, path.name == "__init__.py")
            for alias in node.names:
                name = f"{target}.{alias.name}"
                edges.add(name if name in known else target)
    return {edge for edge in edges if edge in known and edge != module}


def import_graph() -> dict[str, set[str]]:
    """Module → the package's modules it imports."""
    modules = _modules()
    return {name: _imports(name, path, set(modules)) for name, path in modules.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while (top := stack.pop()) != node:
                group.append(top)
            group.append(node)
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circle_between_modules() -> None:
    assert circles(import_graph()) == []


def test_the_circle_finder_sees_late_and_type_only_imports(tmp_path: Path) -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]
    late = tmp_path / "late.py"
    late.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import other\n"
        "def f():\n    from pkg.third import x\n"
    )
    known = {"pkg", "pkg.late", "pkg.other", "pkg.third"}
    assert _imports("pkg.late", late, known) == {"pkg.other", "pkg.third"}


def test_the_package_root_holds_at_most_twelve_modules() -> None:
    root = sorted(path.name for path in PACKAGE.glob("*.py"))
    assert len(root) <= MAX_ROOT_MODULES, root


def test_no_module_is_longer_than_the_limit() -> None:
    long = {
        name: length
        for name, path in _modules().items()
        if (length := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_the_architecture_page_names_every_package() -> None:
    page = (PACKAGE.parent / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    packages = sorted(p.parent.name for p in PACKAGE.glob("*/__init__.py"))
    assert len(packages) >= 10
    assert [name for name in packages if f"`{name}/`" not in page] == []
