"""Test-only helper: a finished `sslbench run` that several end-to-end tests read (see ``conftest.tiny_run``)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Cli = Callable[..., subprocess.CompletedProcess[str]]  # the `cli` fixture: `sslbench ARGS` in this process


@dataclass(frozen=True)
class TinyRun:
    """One finished `sslbench run` of the tiny suite, in a real process: its suite file, output folder and output."""

    suite: Path
    out: Path
    done: subprocess.CompletedProcess[str]

    def copy(self, folder: Path) -> Path:
        """A copy of the output folder under ``folder`` (for a test that runs more into it)."""
        return Path(shutil.copytree(self.out, folder / "out", symlinks=True))
