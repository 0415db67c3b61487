"""The ``sslbench`` command line: list, run, report.

Input is validated before Prefect starts, so a bad name or value prints one line naming the valid
choices, exits with code 2 and writes nothing.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # before the heavy imports: the closing line counts start-up

import argparse  # noqa: E402
import functools  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import NoReturn, TextIO  # noqa: E402

from sslbench.flows import runtime  # noqa: E402
from sslbench.flows.completion import SHELLS, completion_script  # noqa: E402

EXIT_OK, EXIT_JOBS_FAILED, EXIT_USAGE, EXIT_SIGINT, EXIT_SIGTERM = 0, 1, 2, 130, 143


class UsageError(ValueError):
    """Bad command-line input."""


def _names(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected a comma-separated list of names")
    return names


def _integers(text: str, minimum: int, not_integers: str, too_small: str) -> list[int]:
    """Comma-separated integers, each at least ``minimum``; the messages name what the option expects."""
    try:
        values = [int(v) for v in _names(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{not_integers}, got '{text}'") from None
    if any(v < minimum for v in values):
        raise argparse.ArgumentTypeError(f"{too_small}, got '{text}'")
    return values


def _seeds(text: str) -> list[int]:
    return _integers(text, 0, "seeds must be comma-separated non-negative integers", "seeds must be non-negative")


def _shape(text: str) -> list[int]:
    return _integers(text, 1, "expected a shape like 1,28,28", "shape entries must be positive")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got '{text}'") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got '{text}'")
    return value


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (no usage dump), exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"sslbench: error: {message} (see `{self.prog} --help`)\n")


def _add_grid_options(command: argparse.ArgumentParser) -> None:
    """The suite and the options that override its grid (shared by ``run`` and ``serve``)."""
    command.add_argument(
        "suite",
        nargs="?",
        help="suite name (quick, standard, ...) or path to a suite .toml (default with --data: byod)",
    )
    command.add_argument("--data", help="your own data: a .npz/.npy/.parquet file (see README, 'Bring your own data')")
    command.add_argument("--input-shape", type=_shape, help="shape of one example in --data, e.g. 1,28,28")
    command.add_argument("--datasets", type=_names, help="comma-separated dataset names (overrides the suite)")
    command.add_argument("--encoders", type=_names, help="comma-separated encoder names")
    command.add_argument("--objectives", type=_names, help="comma-separated objective names")
    command.add_argument("--seeds", type=_seeds, help="comma-separated seeds, e.g. 0,1,2")
    command.add_argument("--epochs", type=_positive, help="pretraining epochs for every job (and tuning trial)")
    command.add_argument("--trials", type=_positive, help="tuning trials per objective × encoder ([tuning] suites)")


def _global_options(parser: argparse.ArgumentParser, default: object) -> None:
    """Options valid before and after the subcommand; on subcommands ``default`` is SUPPRESS, so that an
    option given before the subcommand is not reset by the subcommand's default."""
    parser.add_argument("--verbose", action="store_true", default=default, help="show Prefect's own INFO logs")


def build_parser() -> argparse.ArgumentParser:
    """The ``sslbench`` parser: global options, then one subparser per command."""
    from sslbench import __version__

    parser = OneLineParser(prog="sslbench", description="Benchmark self-supervised objectives × encoders × datasets.")
    parser.add_argument("--version", action="version", version=f"sslbench {__version__}")
    _global_options(parser, False)
    globals_after = OneLineParser(add_help=False)
    _global_options(globals_after, argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=OneLineParser)
    add = functools.partial(commands.add_parser, parents=[globals_after])

    add("list", help="datasets, encoders, objectives, suites and which combinations are compatible")

    run = add("run", help="run a suite (a shipped name or a .toml file) as a Prefect flow")
    _add_grid_options(run)
    run.add_argument(
        "--out", default="sslbench-out", help="output folder (tables/, reports/, cache/); default sslbench-out"
    )
    run.add_argument("--no-cache", action="store_true", help="recompute every stage and start a new run (no resume)")
    run.add_argument(
        "--task-runner",
        choices=("thread", "process", "dask"),
        default="thread",
        help="where tasks run: threads (default), processes, or a Dask cluster",
    )
    run.add_argument(
        "--workers", type=_positive, help="parallel workers (default: one per core; each job uses one torch thread)"
    )
    run.add_argument(
        "--dask-address", help="tcp://HOST:PORT of an existing Dask scheduler (implies --task-runner dask)"
    )

    augment = add("augment", help="generate the augmented-view banks of a suite, without training")
    augment.add_argument("suite", help="suite name or .toml path")
    augment.add_argument("--datasets", type=_names, help="comma-separated dataset names (overrides the suite)")
    augment.add_argument("--seeds", type=_seeds, help="comma-separated seeds")
    augment.add_argument("--out", default="sslbench-out", help="output folder (banks go to cache/banks)")

    serve = add(
        "serve",
        help="serve a suite as a scheduled Prefect deployment (uses PREFECT_API_URL, "
        "else starts a local Prefect server)",
    )
    _add_grid_options(serve)
    serve.add_argument("--cron", required=True, help='cron schedule, e.g. "0 3 * * *" (03:00 every day)')
    serve.add_argument("--out", default="sslbench-out", help="output folder every scheduled run appends to")

    reproduce = add("reproduce", help="re-run a past run from its tables and compare metric by metric")
    reproduce.add_argument("run_id", help="the run to reproduce")
    reproduce.add_argument("--out", default="sslbench-out", help="output folder holding the run's tables")
    reproduce.add_argument("--into", help="folder for the reproduced run (default: a temporary folder)")
    reproduce.add_argument("--tolerance", type=float, default=0.0, help="largest |difference| that counts as a match")

    clean = add("clean", help="remove cached artefacts not used since a run started")
    clean.add_argument("--out", default="sslbench-out", help="output folder holding cache/")
    clean.add_argument("--before", dest="run_id", help="run id whose start is the cut-off (default: the latest run)")
    clean.add_argument("--dry-run", action="store_true", help="only list what would be removed")

    report = add("report", help="(re)build the comparison report from the tables")
    report.add_argument("--out", default="sslbench-out", help="output folder holding tables/")
    report.add_argument("--run", dest="run_id", help="run id (default: the latest run)")
    report.add_argument("--strict", action="store_true", help="refuse corrupt or foreign files in the tables folder")

    verify = add("verify", help="check every table file (checksums, SHA-256 manifest), quarantine bad ones")
    verify.add_argument("--out", default="sslbench-out", help="output folder holding tables/")

    completion = add("completion", help='print a shell completion script: eval "$(sslbench completion bash)"')
    completion.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    return parser


def _writable_out(out: str) -> str:
    """``out`` if it is (or can become) a writable folder; else a UsageError naming it."""
    path = Path(out)
    existing = next((p for p in [path, *path.parents] if p.exists()), None)
    if path.exists() and not path.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder; pass a folder")
    if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(
            f"--out {out} is not writable (no write permission in {existing}); pass a folder you can write"
        )
    return out


def _known_run(out: str, run_id: str | None) -> str | None:
    """``run_id`` if it names a run in ``out``'s tables (None stays None); else a UsageError listing the runs."""
    if run_id is None:
        return None
    from sslbench.results.store import read_table

    known = set(read_table(out, "runs").column("run_id").to_pylist())
    if run_id not in known:
        shown = ", ".join(sorted(known)[-5:]) or "none"
        raise UsageError(f"unknown run '{run_id}' in {out}; finished runs (latest 5): {shown}")
    return run_id


def cmd_list() -> int:
    from sslbench.flows.catalogue import catalogue
    from sslbench.flows.listing import print_listing
    from sslbench.flows.progress import console

    print_listing(catalogue(), console)
    return EXIT_OK


def _validated_suite(args: argparse.Namespace):
    from sslbench.benchmarks.suite import load_suite, with_overrides

    if args.suite is None and args.data is None:
        raise UsageError("name a suite (see `sslbench list`) or pass --data FILE")
    if args.input_shape is not None and args.data is None:
        raise UsageError("--input-shape describes --data; pass --data FILE too")
    suite = with_overrides(
        load_suite(args.suite or "byod"),
        datasets=args.datasets,
        encoders=args.encoders,
        objectives=args.objectives,
        seeds=args.seeds,
        epochs=args.epochs,
        trials=args.trials,
        data_file=args.data,
        data_shape=args.input_shape,
    )
    from sslbench.benchmarks.plan import (
        make_plan,  # the registries: torch and scikit-learn load only past the checks above
    )

    plan = make_plan(suite)
    return suite, plan


def _leaderboard(out_dir: str, run_id: str) -> None:
    from sslbench.flows.artifacts import leaderboard_rows
    from sslbench.flows.progress import leaderboard_table

    leaderboard_table(leaderboard_rows(out_dir, run_id))


def cmd_run(args: argparse.Namespace) -> int:
    suite, plan = _validated_suite(args)
    _writable_out(args.out)
    runner_kind = "dask" if args.dask_address else args.task_runner
    from sslbench.flows.benchmark import (
        api_shared_with_workers,
        benchmark_flow,
        resolve_run_id,
        run_benchmark,
        task_runner,
    )
    from sslbench.flows.interrupt import stop_on_signals
    from sslbench.flows.out_lock import out_lock
    from sslbench.flows.progress import console
    from sslbench.flows.tuning import tuning_summary

    runner = task_runner(runner_kind, args.workers, args.dask_address)
    with stop_on_signals() as received, out_lock(args.out, on_wait=console.print):
        run_id = resolve_run_id(suite, args.out, not args.no_cache, console.print)
        console.print(
            f"sslbench: suite [bold]{suite.name}[/bold], {len(plan.jobs)} jobs"
            f" ({len(plan.skipped)} incompatible pairs skipped), run {run_id} → {args.out}"
        )
        for skipped in plan.skipped:
            console.print(f"  skipped {skipped.dataset} · {skipped.encoder} · {skipped.objective}: {skipped.reason}")
        if suite.tuning is not None:
            console.print(f"  {tuning_summary(plan, suite)}")
        with api_shared_with_workers():
            summary = run_benchmark(
                benchmark_flow.with_options(task_runner=runner),
                suite=suite.to_dict(),
                out_dir=str(args.out),
                run_id=run_id,
                use_cache=not args.no_cache,
            )
    if summary["interrupted"]:
        console.print(
            f"run {run_id} interrupted: {summary['n_jobs'] - summary['n_failed']} jobs done and kept; "
            "run the same command again to resume"
        )
        return received.exit_code
    _leaderboard(args.out, run_id)
    out = Path(args.out)
    console.print(f"tables:  {out / 'tables'}  (runs, jobs, metrics, history)")
    console.print(f"report:  {Path(summary['report']) / 'index.html'}")
    total = time.perf_counter() - STARTED
    console.print(
        f"{summary['n_jobs']} jobs, {summary['n_failed']} failed, {total:.0f} s "
        f"({summary['seconds']:.0f} s running jobs, {total - summary['seconds']:.0f} s start-up and Prefect)"
    )
    return EXIT_JOBS_FAILED if summary["n_failed"] else EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from sslbench.results.report import build_report

    if not (Path(args.out) / "tables").exists():
        raise UsageError(f"no tables in {args.out}; run `sslbench run` first or pass --out")
    if args.strict:
        from sslbench.results.store import table_files

        for table in ("runs", "jobs", "metrics", "history"):
            table_files(args.out, table, strict=True)
    folder = build_report(args.out, _known_run(args.out, args.run_id))
    print(f"report: {folder / 'index.html'}")
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from sslbench.flows.out_lock import out_lock
    from sslbench.results.integrity import verify_store
    from sslbench.results.schema import TABLES

    if not (Path(args.out) / "tables").exists():
        raise UsageError(f"no tables in {args.out}; pass --out with a folder sslbench wrote")
    with out_lock(args.out, on_wait=print):
        found = verify_store(Path(args.out), tuple(TABLES))
    for problem in found.quarantined:
        print(f"quarantined: {problem}")
    print(
        f"{found.sound} table files sound, {len(found.quarantined)} quarantined to {Path(args.out) / 'quarantine'}, "
        f"{found.temp_removed} leftover temp files removed"
    )
    return EXIT_JOBS_FAILED if found.quarantined else EXIT_OK


def cmd_augment(args: argparse.Namespace) -> int:
    from sslbench.benchmarks.plan import make_plan
    from sslbench.benchmarks.suite import load_suite, with_overrides

    suite = with_overrides(load_suite(args.suite), datasets=args.datasets, seeds=args.seeds)
    make_plan(suite)
    _writable_out(args.out)
    from sslbench.flows.augment import augment_flow

    paths = augment_flow(suite=suite.to_dict(), out_dir=str(args.out))
    print(f"{len(paths)} view banks ready under {Path(args.out) / 'cache' / 'banks'}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from sslbench.flows.serve import validate_cron

    suite, _ = _validated_suite(args)
    validate_cron(args.cron)
    from sslbench.flows.progress import console
    from sslbench.flows.serve import prefect_api, serve_suite

    out = str(Path(args.out).resolve())
    with prefect_api(Path(out) / "prefect-server.log") as (api_url, started_here):
        where = "a local Prefect server started by this command (stops with it)" if started_here else "PREFECT_API_URL"
        console.print(
            f"sslbench: serving suite [bold]{suite.name}[/bold] as deployment sslbench-{suite.name} "
            f"on '{args.cron}' → {out}"
        )
        console.print(f"Prefect UI: {api_url.removesuffix('/api')}  (API {api_url}, {where}); Ctrl-C stops serving")
        serve_suite(suite, args.cron, out)
    return EXIT_OK


def cmd_reproduce(args: argparse.Namespace) -> int:
    from sslbench.flows.progress import console
    from sslbench.flows.reproduce import reproduce

    if not (Path(args.out) / "tables").exists():
        raise UsageError(f"no tables in {args.out}; pass --out with the folder of the run")
    result = reproduce(args.out, args.run_id, args.into, args.tolerance)
    table = result.comparison
    for row in table[~table["match"]].itertuples():
        console.print(
            f"  differs: {row.dataset} · {row.encoder or '-'} · {row.objective} · seed {row.seed} · {row.metric}: "
            f"{row.original} → {row.reproduced}"
        )
    console.print(
        f"splits: {'identical' if result.splits_match else 'DIFFERENT'}; metrics: "
        f"{int(table['match'].sum())} of {len(table)} match (tolerance {args.tolerance})"
    )
    console.print(f"run {args.run_id} {'reproduced' if result.matches else 'NOT reproduced'}")
    return EXIT_OK if result.matches else EXIT_JOBS_FAILED


def cmd_clean(args: argparse.Namespace) -> int:
    from sslbench.flows.clean import clean_cache

    removed, freed = clean_cache(args.out, args.run_id, dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    print(f"{verb} {removed} cached artefacts ({freed / 2**20:.1f} MiB)")
    return EXIT_OK


def cmd_completion(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from sslbench.benchmarks.suite import available_suites

    print(completion_script(parser, args.shell, {"suite": available_suites()}), end="")
    return EXIT_OK


def _one_line_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """Show a quarantined table file as one line; any other warning as Python shows it."""
    if category.__name__ == "QuarantinedFileWarning":
        print(f"sslbench: warning: {message}", file=sys.stderr)
    else:
        _python_showwarning(message, category, filename, lineno, file, line)


_python_showwarning = warnings.showwarning


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    runtime.configure(verbose=args.verbose)
    warnings.showwarning = _one_line_warning
    handlers = {
        "list": cmd_list,
        "run": lambda: cmd_run(args),
        "report": lambda: cmd_report(args),
        "serve": lambda: cmd_serve(args),
        "clean": lambda: cmd_clean(args),
        "reproduce": lambda: cmd_reproduce(args),
        "augment": lambda: cmd_augment(args),
        "verify": lambda: cmd_verify(args),
        "completion": lambda: cmd_completion(args, parser),
    }
    try:
        code = handlers[args.command]()
    except ValueError as error:  # SuiteError, UnknownNameError, UsageError, bad values
        print(f"sslbench: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("sslbench: interrupted; finished jobs are kept in the tables", file=sys.stderr)
        code = EXIT_SIGINT
    except RuntimeError as error:
        if type(error).__name__ != "ServerStartError":  # imported lazily: the CLI starts without Prefect
            raise
        print(f"sslbench: error: {error}", file=sys.stderr)
        return EXIT_JOBS_FAILED
    if code in (EXIT_SIGINT, EXIT_SIGTERM):
        # Rows are written and the server stopped; skip the interpreter's teardown (seconds of freeing torch and
        # Prefect on a busy machine) so that the process ends promptly after the signal.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
