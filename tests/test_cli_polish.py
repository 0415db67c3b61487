"""The command line's conveniences: --version, python -m sslbench, shell completion, global options anywhere,
and `sslbench list` readable at 80 columns."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from importlib.metadata import version

import pytest
from sslbench.flows.catalogue import catalogue
from sslbench.flows.cli import build_parser, main
from sslbench.flows.completion import bash_script, completion_script


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_version_is_the_installed_distributions(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out == f"sslbench {version('sslbench')}\n"


def test_python_m_sslbench_is_the_command_line() -> None:
    done = subprocess.run([sys.executable, "-m", "sslbench", "--version"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == f"sslbench {version('sslbench')}\n"
    refused = subprocess.run(
        [sys.executable, "-m", "sslbench", "frobnicate"], capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 2 and "invalid choice: 'frobnicate'" in refused.stderr


@pytest.mark.parametrize(
    "command",
    [
        "list",
        "run quick",
        "augment quick",
        "report",
        "verify",
        "clean",
        "reproduce r1",
        "serve quick --cron 0",
        "completion bash",
    ],
)
def test_global_options_are_valid_before_and_after_the_subcommand(command: str) -> None:
    parser = build_parser()
    words = command.split()
    assert parser.parse_args(words).verbose is False
    assert parser.parse_args(["--verbose", *words]).verbose is True
    assert parser.parse_args([*words, "--verbose"]).verbose is True


def test_every_subcommand_accepts_the_global_options() -> None:
    parser = build_parser()
    top = {o for a in parser._actions for o in a.option_strings} - {"-h", "--help", "--version"}
    for name, command in _commands(parser).items():
        assert top <= {o for a in command._actions for o in a.option_strings}, name


def _complete(script: str, *words: str) -> list[str]:
    """The candidates bash offers for the command line ``words`` (the last is the word being completed)."""
    line = " ".join(f"'{w}'" for w in words)
    probe = (
        f"{script}\nCOMP_WORDS=({line}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 )); COMPREPLY=()\n"
        '_sslbench\nprintf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(["bash", "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completion_offers_commands_options_choices_and_suites() -> None:
    script = bash_script(build_parser(), {"suite": ["quick", "standard"]})
    assert subprocess.run(["bash", "-n"], input=script, text=True, timeout=60).returncode == 0
    assert _complete(script, "sslbench", "r") == ["run", "reproduce", "report"]
    assert _complete(script, "sslbench", "--verbose", "ru") == ["run"]
    assert _complete(script, "sslbench", "run", "--task") == ["--task-runner"]
    assert _complete(script, "sslbench", "run", "--task-runner", "") == ["thread", "process", "dask"]
    assert _complete(script, "sslbench", "run", "q") == ["quick"]
    assert _complete(script, "sslbench", "run", "--out", "") == []  # a folder: bash falls back to file names
    assert _complete(script, "sslbench", "completion", "") == ["bash", "zsh"]


def test_completion_knows_every_option_of_every_subcommand() -> None:
    parser = build_parser()
    script = bash_script(parser, {})
    for name, command in _commands(parser).items():
        line = next(line for line in script.splitlines() if line.strip().startswith(f'"{name}")'))
        for action in command._actions:
            for option in action.option_strings:
                assert f" {option} " in line.replace("'", " "), (name, option)


def test_completion_command_prints_the_script_for_each_shell(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "bash"]) == 0
    bash = capsys.readouterr().out
    assert "complete -o default -F _sslbench sslbench" in bash and "quick" in bash
    assert main(["completion", "zsh"]) == 0
    zsh = capsys.readouterr().out
    assert zsh.startswith("# zsh completion") and "bashcompinit" in zsh and bash in zsh
    assert completion_script(build_parser(), "zsh", {}).count("_sslbench()") == 1
    if shutil.which("zsh"):
        assert subprocess.run(["zsh", "-n"], input=zsh, text=True, timeout=60).returncode == 0


@pytest.mark.parametrize("columns", [80, 100])
def test_list_fits_the_terminal_and_cuts_nothing(columns: int) -> None:
    env = dict(os.environ, COLUMNS=str(columns))
    done = subprocess.run(
        [sys.executable, "-m", "sslbench", "list"], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) <= columns and "…" not in done.stdout
    words = set(done.stdout.replace(",", " ").split())
    listing = catalogue()
    names = [e["name"] for e in listing["encoders"]] + [o["name"] for o in listing["objectives"]]
    names += [d["name"] for d in listing["datasets"]] + [
        f"ucr:{a['name']}" for a in listing["archives"] if a["equal_length"]
    ]
    assert not [name for name in names if name not in words]  # every name whole, none folded or cut
