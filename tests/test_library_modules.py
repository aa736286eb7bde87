"""The library's modules import each other in one direction: no circle, however an import is
written (at the top, or inside a function, where the circle between checks and loaders hid)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "lesson_studio" / "library"


def _is_type_checking_block(node: ast.AST) -> bool:
    # `if TYPE_CHECKING:` imports never run; they let a type name a class without importing it.
    return isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        if _is_type_checking_block(node):
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        pending.extend(ast.iter_child_nodes(node))
    return found


def import_graph(package_dir: Path, package: str) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports (`from package import module` counts)."""
    modules = {path.stem for path in package_dir.glob("*.py") if path.stem != "__init__"}
    graph: dict[str, set[str]] = {}
    for name in sorted(modules) + ["__init__"]:
        tree = ast.parse((package_dir / f"{name}.py").read_text(encoding="utf-8"))
        imported: set[str] = set()
        for node in _runtime_imports(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif node.level:  # a relative import: from . import x, from .x import y
                base = node.module or ""
                targets = [f"{package}.{base}".rstrip(".")] + [f"{package}.{alias.name}" for alias in node.names]
            else:
                targets = [node.module or ""] + [f"{node.module}.{alias.name}" for alias in node.names]
            for target in targets:
                module = target.removeprefix(f"{package}.")
                if module in modules and module != name:
                    imported.add(module)
        graph[name] = imported
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import path that comes back to where it started, each circle once (from its least name)."""
    found: list[list[str]] = []

    def walk(start: str, path: list[str]) -> None:
        for following in sorted(graph.get(path[-1], ())):
            if following == start:
                found.append([*path, start])
            elif following not in path and following > start:
                walk(start, [*path, following])

    for start in sorted(graph):
        walk(start, [start])
    return found


def test_no_library_module_imports_one_that_imports_it_back() -> None:
    graph = import_graph(LIBRARY, "lesson_studio.library")
    assert {"checks", "loaders", "decoding", "index", "ingest", "retriever", "vectors"} <= set(graph)
    assert circles(graph) == []


def test_the_walk_finds_a_circle_hidden_inside_a_function(tmp_path: Path) -> None:
    (tmp_path / "__init__.py").write_text("")
    (tmp_path / "first.py").write_text("from pkg import second\n")
    (tmp_path / "second.py").write_text("def later():\n    from pkg.first import thing\n")
    (tmp_path / "third.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import first\n"
    )
    graph = import_graph(tmp_path, "pkg")
    assert graph["third"] == set()
    assert circles(graph) == [["first", "second", "first"]]


@pytest.mark.parametrize("order", [("checks", "loaders"), ("loaders", "checks")])
def test_checks_and_loaders_import_in_either_order(order: tuple[str, str]) -> None:
    code = "; ".join(f"import lesson_studio.library.{module}" for module in order)
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
