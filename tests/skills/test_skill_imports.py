"""No import cycle in the `skills` package, counting every import: at the top of a
module, inside a function, or under `TYPE_CHECKING`. A lazy import could hide a cycle;
this reads the source, so it cannot."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import skills

ROOT = Path(skills.__file__).parent
PACKAGE = "skills"


def module_files() -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its `__init__.py`)."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = [PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported_names(module: str, path: Path) -> Iterator[str]:
    """The dotted names `module` imports, `from x import y` giving `x.y` as well as `x`."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph() -> dict[str, set[str]]:
    """Module → the modules of the package it imports.

    Importing `skills.a.b` also runs the package `skills.a`, unless it is the importer's
    own ancestor (being imported already); the top-level package runs for everyone.
    """
    modules = module_files()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets: set[str] = set()
        for name in imported_names(module, path):
            parts = name.split(".")
            for depth in range(2, len(parts) + 1):
                target = ".".join(parts[:depth])
                is_ancestor = module.startswith(target + ".")
                if target in modules and target != module and not is_ancestor:
                    targets.add(target)
        graph[module] = targets
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of `graph` as the modules along it (first repeated at the end), or []."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = "open"
        path.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                return [*path[path.index(target):], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        state[node] = "done"
        path.pop()
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_the_skills_package_has_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert not cycle, "import cycle: " + " → ".join(cycle)


def test_the_model_client_imports_nothing_above_it() -> None:
    graph = import_graph()
    allowed = {"skills.errors"}
    for module in (m for m in graph if m == "skills.llm" or m.startswith("skills.llm.")):
        above = {t for t in graph[module] if not t.startswith("skills.llm")} - allowed
        assert not above, f"{module} imports {sorted(above)}"


def test_the_cycle_finder_finds_a_cycle_through_a_lazy_import() -> None:
    graph = {"skills.a": {"skills.b"}, "skills.b": {"skills.c"}, "skills.c": {"skills.a"}}
    assert find_cycle(graph) == ["skills.a", "skills.b", "skills.c", "skills.a"]
