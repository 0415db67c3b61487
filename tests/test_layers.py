"""The package's shape: one-way layers, no import cycle, and no baseline named outside its own module."""

from __future__ import annotations

import ast
from pathlib import Path

from sslbench.ssl_models.baselines import baseline_names

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ssl_models", "tasks", "flows", "benchmarks", "results")
NAMESPACE = "sslbench."  # every folder is imported as sslbench.<folder>
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
    graph, state, cycles = _graph(), {}, []

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                cycles.append(path[path.index(target) :] + [target])
            elif target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, cycles[:5]


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
