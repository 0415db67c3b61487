"""The ``sslbench`` command line: list, run, report.

Input is validated before Prefect starts, so a bad name or value prints one line naming the valid
choices, exits with code 2 and writes nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from flows import runtime

EXIT_OK, EXIT_JOBS_FAILED, EXIT_USAGE = 0, 1, 2


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

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"sslbench: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="sslbench", description="Benchmark self-supervised objectives × encoders × datasets.")
    parser.add_argument("--verbose", action="store_true", help="show Prefect's own INFO logs")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=OneLineParser)

    commands.add_parser("list", help="datasets, encoders, objectives, suites and which combinations are compatible")

    run = commands.add_parser("run", help="run a suite (a shipped name or a .toml file) as a Prefect flow")
    run.add_argument("suite", nargs="?", help="suite name (quick, standard, ...) or path to a suite .toml "
                     "(default with --data: byod)")
    run.add_argument("--data", help="your own data: a .npz/.npy/.parquet file (see README, 'Bring your own data')")
    run.add_argument("--input-shape", type=_shape, help="shape of one example in --data, e.g. 1,28,28")
    run.add_argument("--datasets", type=_names, help="comma-separated dataset names (overrides the suite)")
    run.add_argument("--encoders", type=_names, help="comma-separated encoder names")
    run.add_argument("--objectives", type=_names, help="comma-separated objective names")
    run.add_argument("--seeds", type=_seeds, help="comma-separated seeds, e.g. 0,1,2")
    run.add_argument("--epochs", type=_positive, help="pretraining epochs for every job")
    run.add_argument("--out", default="sslbench-out", help="output folder (tables/, reports/, cache/); default sslbench-out")
    run.add_argument("--no-cache", action="store_true", help="recompute every stage and start a new run (no resume)")
    run.add_argument("--task-runner", choices=("thread", "process", "dask"), default="thread",
                     help="where tasks run: threads (default), processes, or a Dask cluster")
    run.add_argument("--workers", type=_positive, help="parallel workers (default: 1 thread, else one per core)")
    run.add_argument("--dask-address", help="tcp://HOST:PORT of an existing Dask scheduler (implies --task-runner dask)")

    augment = commands.add_parser("augment", help="generate the augmented-view banks of a suite, without training")
    augment.add_argument("suite", help="suite name or .toml path")
    augment.add_argument("--datasets", type=_names, help="comma-separated dataset names (overrides the suite)")
    augment.add_argument("--seeds", type=_seeds, help="comma-separated seeds")
    augment.add_argument("--out", default="sslbench-out", help="output folder (banks go to cache/banks)")

    serve = commands.add_parser("serve", help="serve a suite as a scheduled Prefect deployment (needs a Prefect server)")
    serve.add_argument("suite", help="suite name or .toml path")
    serve.add_argument("--cron", required=True, help='cron schedule, e.g. "0 3 * * *" (03:00 every day)')
    serve.add_argument("--out", default="sslbench-out", help="output folder every scheduled run appends to")

    reproduce = commands.add_parser("reproduce", help="re-run a past run from its tables and compare metric by metric")
    reproduce.add_argument("run_id", help="the run to reproduce")
    reproduce.add_argument("--out", default="sslbench-out", help="output folder holding the run's tables")
    reproduce.add_argument("--into", help="folder for the reproduced run (default: a temporary folder)")
    reproduce.add_argument("--tolerance", type=float, default=0.0, help="largest |difference| that counts as a match")

    clean = commands.add_parser("clean", help="remove cached artefacts not used since a run started")
    clean.add_argument("--out", default="sslbench-out", help="output folder holding cache/")
    clean.add_argument("--before", dest="run_id", help="run id whose start is the cut-off (default: the latest run)")
    clean.add_argument("--dry-run", action="store_true", help="only list what would be removed")

    report = commands.add_parser("report", help="(re)build the comparison report from the tables")
    report.add_argument("--out", default="sslbench-out", help="output folder holding tables/")
    report.add_argument("--run", dest="run_id", help="run id (default: the latest run)")
    report.add_argument("--strict", action="store_true", help="refuse corrupt or foreign files in the tables folder")
    return parser


def cmd_list() -> int:
    from rich.table import Table

    from benchmarks.suite import available_suites
    from flows.progress import console
    from ssl_models.data import DATASETS, MODALITIES, modality_of
    from ssl_models.encoders import ENCODERS
    from ssl_models.objectives import OBJECTIVES

    table = Table(title="Datasets")
    table.add_column("name")
    table.add_column("modality")
    for name, _ in DATASETS.items():
        table.add_row(name, modality_of(name))
    console.print(table)
    console.print(_archive_table())
    table = Table(title="Encoders")
    for column in ("name", "reads", "causal", "per-token features"):
        table.add_column(column)
    for name, cls in ENCODERS.items():
        table.add_row(name, ", ".join(cls.modalities), "yes" if cls.causal else "", "yes" if cls.provides_tokens else "")
    console.print(table)
    table = Table(title="Objectives")
    for column in ("name", "family", "views", "needs"):
        table.add_column(column)
    for name, cls in OBJECTIVES.items():
        needs = sorted(cls.requires) + (["labels"] if cls.needs_labels else []) + ([f"{'/'.join(cls.modalities)} data"] if cls.modalities else [])
        table.add_row(name, cls.family, str(cls.n_views), ", ".join(needs))
    console.print(table)
    encoders = ENCODERS.names()
    for modality in MODALITIES:
        table = Table(title=f"Compatible pairs on {modality} data (✓ runs, · skipped)")
        table.add_column("objective \\ encoder")
        for encoder in encoders:
            table.add_column(encoder)
        for name, cls in OBJECTIVES.items():
            cells = []
            for encoder in encoders:
                encoder_cls = ENCODERS.get(encoder)
                ok = modality in encoder_cls.modalities and cls.incompatibility(encoder_cls, modality) is None
                cells.append("✓" if ok else "·")
            table.add_row(name, *cells)
        console.print(table)
    console.print("Baselines in every suite: raw input, PCA (SVD, top-k), random encoder, supervised upper bound.")
    console.print(f"Suites: {', '.join(available_suites())}")
    return EXIT_OK


def _archive_table() -> "Table":
    """UCR/UEA naming (``ucr:``, ``ucr_padded:``) and the sets bundled with aeon, which need no download."""
    from rich.table import Table

    from ssl_models.data.ucr import SHORT_NAMES, bundled_sets

    table = Table(title="UCR/UEA archives: any set as ucr:<Name>, or ucr_padded:<Name> to zero-pad unequal lengths "
                        "(with a mask); sets not bundled with aeon download on first use (suites ucr128, uea30)",
                  show_edge=False)
    for column in ("bundled with aeon", "name to use", "alias"):
        table.add_column(column, no_wrap=True)
    for name, equal in bundled_sets():
        table.add_row(name, f"ucr:{name}" if equal else f"ucr_padded:{name}", SHORT_NAMES.get(name, ""))
    return table


def _validated_suite(args: argparse.Namespace):
    from benchmarks.plan import make_plan
    from benchmarks.suite import load_suite, with_overrides

    if args.suite is None and args.data is None:
        raise UsageError("name a suite (see `sslbench list`) or pass --data FILE")
    if args.input_shape is not None and args.data is None:
        raise UsageError("--input-shape describes --data; pass --data FILE too")
    suite = with_overrides(load_suite(args.suite or "byod"), datasets=args.datasets, encoders=args.encoders,
                           objectives=args.objectives, seeds=args.seeds, epochs=args.epochs,
                           data_file=args.data, data_shape=args.input_shape)
    plan = make_plan(suite)
    return suite, plan


def _leaderboard(out_dir: str, run_id: str) -> None:
    import results
    from flows.progress import leaderboard_table

    df = results.load(out_dir, run_id=run_id, metric="linear_acc")
    rows = []
    for dataset, data in df.groupby("dataset"):
        means = data.groupby(["objective", "encoder"])["value"].mean()
        ssl = results.self_supervised(data)
        row: dict[str, object] = {"dataset": dataset}
        if not ssl.empty:
            best = ssl.groupby(["objective", "encoder"])["value"].mean().idxmax()
            row.update({"best SSL": f"{best[0]} · {best[1]}", "linear": f"{means[best]:.3f}"})
        for baseline in ("raw", "pca"):
            if (baseline, "") in means:
                row[baseline] = f"{means[(baseline, '')]:.3f}"
        supervised = data[data["family"] == "supervised"]  # the bound and its variants (e.g. supervised_clean)
        if not supervised.empty:
            row["supervised"] = f"{supervised.groupby('encoder')['value'].mean().max():.3f}"
        rows.append(row)
    leaderboard_table(rows)


def cmd_run(args: argparse.Namespace) -> int:
    suite, plan = _validated_suite(args)
    runner_kind = "dask" if args.dask_address else args.task_runner
    from flows.benchmark import api_shared_with_workers, benchmark_flow, find_resumable_run, new_run_id, task_runner
    from flows.progress import console

    runner = task_runner(runner_kind, args.workers, args.dask_address)
    run_id = (None if args.no_cache else find_resumable_run(args.out, suite)) or new_run_id(suite)
    console.print(f"sslbench: suite [bold]{suite.name}[/bold], {len(plan.jobs)} jobs"
                  f" ({len(plan.skipped)} incompatible pairs skipped), run {run_id} → {args.out}")
    for skipped in plan.skipped:
        console.print(f"  skipped {skipped.dataset} · {skipped.encoder} · {skipped.objective}: {skipped.reason}")
    with api_shared_with_workers():
        summary = benchmark_flow.with_options(task_runner=runner)(
            suite=suite.to_dict(), out_dir=str(args.out), run_id=run_id, use_cache=not args.no_cache)
    _leaderboard(args.out, run_id)
    out = Path(args.out)
    console.print(f"tables:  {out / 'tables'}  (runs, jobs, metrics, history)")
    console.print(f"report:  {Path(summary['report']) / 'index.html'}")
    console.print(f"{summary['n_jobs']} jobs, {summary['n_failed']} failed, {summary['seconds']:.0f} s")
    return EXIT_JOBS_FAILED if summary["n_failed"] else EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from results.report import build_report

    if not (Path(args.out) / "tables").exists():
        raise UsageError(f"no tables in {args.out}; run `sslbench run` first or pass --out")
    if args.strict:
        from results.store import table_files

        for table in ("runs", "jobs", "metrics", "history"):
            table_files(args.out, table, strict=True)
    folder = build_report(args.out, args.run_id)
    print(f"report: {folder / 'index.html'}")
    return EXIT_OK


def cmd_augment(args: argparse.Namespace) -> int:
    from benchmarks.plan import make_plan
    from benchmarks.suite import load_suite, with_overrides

    suite = with_overrides(load_suite(args.suite), datasets=args.datasets, seeds=args.seeds)
    make_plan(suite)
    from flows.augment import augment_flow

    paths = augment_flow(suite=suite.to_dict(), out_dir=str(args.out))
    print(f"{len(paths)} view banks ready under {Path(args.out) / 'cache' / 'banks'}")
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    import os

    from benchmarks.plan import make_plan
    from benchmarks.suite import load_suite

    suite = load_suite(args.suite)
    make_plan(suite)
    if not os.environ.get("PREFECT_API_URL"):
        raise UsageError("serving a schedule needs a running Prefect server: start one with `prefect server start` "
                         "and set PREFECT_API_URL=http://127.0.0.1:4200/api, then run this command again")
    from flows.serve import serve_suite

    serve_suite(suite, args.cron, str(Path(args.out).resolve()))
    return EXIT_OK


def cmd_reproduce(args: argparse.Namespace) -> int:
    from flows.progress import console
    from flows.reproduce import reproduce

    if not (Path(args.out) / "tables").exists():
        raise UsageError(f"no tables in {args.out}; pass --out with the folder of the run")
    result = reproduce(args.out, args.run_id, args.into, args.tolerance)
    table = result.comparison
    for row in table[~table["match"]].itertuples():
        console.print(f"  differs: {row.dataset} · {row.encoder or '-'} · {row.objective} · seed {row.seed} · {row.metric}: "
                      f"{row.original} → {row.reproduced}")
    console.print(f"splits: {'identical' if result.splits_match else 'DIFFERENT'}; metrics: "
                  f"{int(table['match'].sum())} of {len(table)} match (tolerance {args.tolerance})")
    console.print(f"run {args.run_id} {'reproduced' if result.matches else 'NOT reproduced'}")
    return EXIT_OK if result.matches else EXIT_JOBS_FAILED


def cmd_clean(args: argparse.Namespace) -> int:
    from flows.clean import clean_cache

    removed, freed = clean_cache(args.out, args.run_id, dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    print(f"{verb} {removed} cached artefacts ({freed / 2**20:.1f} MiB)")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    runtime.configure(verbose=args.verbose)
    handlers = {"list": cmd_list, "run": lambda: cmd_run(args), "report": lambda: cmd_report(args),
                "serve": lambda: cmd_serve(args), "clean": lambda: cmd_clean(args),
                "reproduce": lambda: cmd_reproduce(args), "augment": lambda: cmd_augment(args)}
    try:
        return handlers[args.command]()
    except ValueError as error:  # SuiteError, UnknownNameError, UsageError, bad values
        print(f"sslbench: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("sslbench: interrupted; finished jobs are kept in the tables", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
