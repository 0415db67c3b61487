"""mypy over the real ``sslbench`` namespace, which setuptools maps onto the top-level folders and mypy cannot follow.

Builds ``build/typecheck/sslbench/<name>`` → ``<folder>`` links from ``[tool.setuptools.package-dir]`` (plus the
files of the real ``sslbench/`` folder), then runs mypy with the project's configuration (whose ``mypy_path`` is
that tree) on ``-p sslbench``, or on the files given as arguments.

    python .ci/typecheck.py [FILE ...]
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "build" / "typecheck"


def build_tree() -> Path:
    """Recreate the link tree ``build/typecheck/sslbench``; its path."""
    package_dir = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    namespace = TREE / "sslbench"
    shutil.rmtree(TREE, ignore_errors=True)
    namespace.mkdir(parents=True)
    for module in sorted((ROOT / package_dir["sslbench"]).glob("*.py")):
        (namespace / module.name).symlink_to(os.path.relpath(module, namespace))
    for name, folder in package_dir.items():
        if name != "sslbench":
            (namespace / name.removeprefix("sslbench.")).symlink_to(os.path.relpath(ROOT / folder, namespace))
    return namespace


def main(files: list[str]) -> int:
    """Build the tree and run mypy; its exit status."""
    build_tree()
    targets = files or ["-p", "sslbench"]
    command = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), *targets]
    return subprocess.run(command, cwd=ROOT).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
