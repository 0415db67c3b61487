"""The package's shape: one-way layers, no import cycle, and no baseline named outside its own module."""

from __future__ import annotations

import ast
from pathlib import Path

from sslbench.ssl_models.baselines import baseline_names

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ssl_models", "tasks", "flows", "benchmarks", "results")
NAMESPACE = "sslbench."  # every folder is imported as sslbench.<folder>
# Benchmark programs: the top layer, free to import any package and imported by none.
PROGRAMS = ("benchmarks.perf", "benchmarks.reliability")
# What each layer must not import (flows → tasks → ssl_models; results reads tables; the planner sits under
# flows).
FORBIDDEN = {
    "ssl_models": ("tasks", "flows", "results", "benchmarks"),
    "results": ("tasks", "flows", "benchmarks"),
    "tasks": ("flows", "benchmarks"),
    "benchmarks.suite": ("tasks", "flows", "results"),
    "benchmarks.plan": ("tasks", "flows", "results"),
}


def _modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _imports(path: Path) -> set[str]:
    """Every absolute import in the file, at any depth (lazy imports inside functions count)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return {name.removeprefix(NAMESPACE) for name in names}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}


def _package(module: str) -> str:
    """A module's node in the package graph: its top-level folder, or the benchmark program package it is in."""
    return next((p for p in PROGRAMS if module == p or module.startswith(p + ".")), module.split(".")[0])


def _package_graph() -> dict[str, set[str]]:
    """Package → the packages its modules import (the edges inside one package left out)."""
    graph: dict[str, set[str]] = {}
    for module, targets in _graph().items():
        graph.setdefault(_package(module), set()).update(
            _package(t) for t in targets if _package(t) != _package(module)
        )
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The cycles a depth-first search meets, each as its path back to its first node."""
    state: dict[str, str] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                cycles.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return cycles


def test_layers_import_only_downwards() -> None:
    graph = _graph()
    broken = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        for target in targets
        for layer, forbidden in FORBIDDEN.items()
        if (module == layer or module.startswith(layer + ".")) and target.split(".")[0] in forbidden
    )
    assert not broken, broken


def test_no_module_import_cycle() -> None:
    cycles = _cycles(_graph())
    assert not cycles, cycles[:5]


def test_no_package_import_cycle() -> None:
    """The five folders (the benchmark programs apart, on top) import each other one way: e.g. flows imports the
    planner in benchmarks, so nothing under benchmarks but a program may import flows."""
    graph = _package_graph()
    assert set(graph) == set(PACKAGES) | set(PROGRAMS)
    cycles = _cycles(graph)
    assert not cycles, cycles[:5]


def test_nothing_imports_a_benchmark_program() -> None:
    importers = sorted(
        f"{source} imports {target}"
        for source, targets in _package_graph().items()
        for target in targets
        if target in PROGRAMS
    )
    assert not importers, importers


def test_the_package_graph_sees_a_cycle() -> None:
    """The check itself: a planner module importing flows would close benchmarks → flows → benchmarks."""
    graph = _package_graph()
    graph["benchmarks"] = graph["benchmarks"] | {"flows"}
    assert ["benchmarks", "flows", "benchmarks"] in _cycles(graph)


def test_no_layer_outside_the_baselines_names_a_baseline() -> None:
    names = set(baseline_names())
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno} '{node.value}'"
        for package in ("benchmarks", "tasks", "flows", "results")
        for path in sorted((ROOT / package).rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names
    ]
    assert not found, found
