"""The layout keeps its promises: no import cycles anywhere, and the core never pulls in
the shells (api, maps) or their frameworks, lazy imports included.

The imports are read from the source (every ``import`` statement, at the top of a module
or inside a function, except those under ``if TYPE_CHECKING:``), so an import hidden inside
a function to dodge a cycle is still seen.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("gridgov", "api", "maps")
SHELLS = {"api", "maps", "fastapi", "folium", "uvicorn", "starlette"}


def _module_files() -> dict[str, Path]:
    files: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            files[".".join(parts)] = path
    # data/ ships as gridgov._data and holds scripts, not modules of the package
    return {k: v for k, v in files.items() if not k.startswith("gridgov._data")}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str, path: Path, known: set[str]) -> set[str]:
    """Every module ``module`` imports at run time (top level or inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            names = [f"{target}.{alias.name}" for alias in node.names]
            submodules = [n for n in names if n in known]
            # `from pkg import submodule` imports the submodule; `from mod import name`
            # imports mod
            found.update(submodules)
            if len(submodules) < len(names):
                found.add(target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _graph() -> nx.DiGraph:
    files = _module_files()
    known = set(files)
    graph = nx.DiGraph()
    graph.add_nodes_from(known)
    for module, path in files.items():
        for target in _imports(module, path, known):
            graph.add_edge(module, target)
    return graph


def test_the_walk_sees_lazy_imports() -> None:
    graph = _graph()
    # the CLI imports the core lazily, inside each command
    assert graph.has_edge("gridgov.cli.plan", "gridgov.coverage.consolidate")
    assert "gridgov.issues.service" in graph and "gridgov.coverage.location" in graph
    assert graph.number_of_nodes() > 60


def test_no_import_cycles() -> None:
    graph = _graph()
    internal = graph.subgraph(n for n in graph if n.split(".")[0] in PACKAGES)
    cycles = list(nx.simple_cycles(internal))
    shown = "\n".join(" -> ".join([*c, c[0]]) for c in sorted(cycles, key=len)[:20])
    assert not cycles, f"{len(cycles)} import cycle(s):\n{shown}"


def test_a_cycle_would_be_found(tmp_path: Path) -> None:
    """The walk itself: a cycle through a lazy import is a cycle."""
    (tmp_path / "a.py").write_text("import b\n")
    (tmp_path / "b.py").write_text("def f():\n    from a import x\n")
    known = {"a", "b"}
    graph = nx.DiGraph()
    for name in known:
        graph.add_edges_from((name, t) for t in _imports(name, tmp_path / f"{name}.py", known))
    assert list(nx.simple_cycles(graph)) != []


def _core() -> list[str]:
    return sorted(m for m in _module_files() if m.split(".")[0] == "gridgov")


def test_core_modules_do_not_import_shells() -> None:
    graph = _graph()
    core = _core()
    assert "gridgov.crs" in core and "gridgov.issues.lifecycle" in core
    bad = {(m, t) for m in core for t in graph.successors(m) if t.split(".")[0] in SHELLS}
    assert not bad, f"core modules import shells: {sorted(bad)}"


def test_the_shells_plug_in_through_entry_points() -> None:
    """The CLI reaches ``gridgov serve`` and the maps only through the ``gridgov.shells``
    entry points the shells declare, so the dependency points from shell to core."""
    from importlib.metadata import entry_points

    from gridgov.cli._common import SHELLS, shell

    declared = {ep.name: ep.value for ep in entry_points(group=SHELLS)}
    assert declared == {"serve": "api.cli:serve", "maps": "maps"}
    assert callable(shell("serve")) and hasattr(shell("maps"), "coverage_map")


@pytest.mark.slow
def test_importing_the_core_loads_no_shell() -> None:
    """The same at run time: import every core module in a fresh interpreter."""
    code = (
        "import importlib, sys\n"
        # gridgov.__main__ runs the CLI when imported: it is read above, not imported
        f"for m in {[m for m in _core() if m != 'gridgov.__main__']!r}: importlib.import_module(m)\n"
        f"bad = sorted(n for n in sys.modules if n.split('.')[0] in {sorted(SHELLS)!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"core imported shells: {out.stdout}"
