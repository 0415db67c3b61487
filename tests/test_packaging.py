"""The sslbench namespace: every module imports the project's folders as ``sslbench.<folder>``, the package list
in pyproject.toml covers every package folder, and a user's own ``results.py``, ``tasks.py`` or ``flows/`` in the
working folder shadows nothing."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("ssl_models", "tasks", "flows", "benchmarks", "results")


def test_no_module_imports_a_folder_outside_the_namespace() -> None:
    bare = []
    for path in [*ROOT.joinpath("tests").glob("*.py"), *(p for f in FOLDERS for p in ROOT.joinpath(f).rglob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0
                else []
            )
            bare += [f"{path.relative_to(ROOT)}: {name}" for name in names if name.split(".")[0] in FOLDERS]
    assert not bare, bare


def test_pyproject_lists_every_package_folder() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {
        "sslbench." + str(init.parent.relative_to(ROOT)).replace("/", ".")
        for folder in FOLDERS
        for init in ROOT.joinpath(folder).rglob("__init__.py")
    }
    assert set(config["packages"]) == folders | {"sslbench"}
    assert {config["package-dir"][f"sslbench.{folder}"] for folder in FOLDERS} == set(FOLDERS)


def test_a_users_results_tasks_and_flows_shadow_nothing(tmp_path: Path) -> None:
    for name in ("results.py", "tasks.py"):
        (tmp_path / name).write_text("raise SystemExit('the user\\'s own module was imported')\n")
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows" / "__init__.py").write_text("raise SystemExit('the user\\'s own package was imported')\n")
    snippet = textwrap.dedent("""
        import sslbench
        from sslbench import results
        from sslbench.flows.benchmark import benchmark_flow
        print(sslbench.__version__, results.load.__name__, benchmark_flow.name)
    """)
    imported = subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True)
    assert imported.returncode == 0, imported.stderr
    listed = subprocess.run([sys.executable, "-m", "sslbench", "list"], cwd=tmp_path, capture_output=True, text=True)
    assert listed.returncode == 0 and "Datasets" in listed.stdout, listed.stderr


def test_mypy_sees_every_sslbench_module_with_its_own_types(tmp_path: Path) -> None:
    """Through `make typecheck` (.ci/typecheck.py) an sslbench import is typed: a wrong call into it is reported
    and its revealed type is not Any; the tree it checks links every folder of the package-dir mapping, which mypy
    cannot follow by itself."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        textwrap.dedent("""
            from sslbench.ssl_models.registry import Registry

            numbers: Registry[int] = Registry("number")
            reveal_type(numbers.get)
            numbers.register("one")("not a number")
        """)
    )
    checked = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "typecheck.py"), str(probe)], cwd=ROOT, capture_output=True, text=True
    )
    assert 'Revealed type is "def (name: str) -> int"' in checked.stdout, checked.stdout
    assert 'Argument 1 has incompatible type "str"; expected "int"' in checked.stdout, checked.stdout
    assert checked.returncode == 1
    package_dir = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    namespace = ROOT / "build" / "typecheck" / "sslbench"
    linked = {path.name: path.resolve() for path in namespace.iterdir()}
    expected = {name.removeprefix("sslbench."): ROOT / folder for name, folder in package_dir.items()}
    own_files = {path.name: path for path in (ROOT / expected.pop("sslbench")).glob("*.py")}
    assert linked == expected | own_files
