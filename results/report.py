"""Comparison reports: ``OUT/reports/RUN_ID/report.md`` and ``index.html`` with PNG plots beside them.

``build_report`` reads a run's tables and writes, in order: the run's provenance; how to read the tables; the
average rank of every objective across (dataset, encoder) blocks with an interval plot; k-means NMI/ARI per
objective family with a one-sentence answer to "do contrastive objectives cluster better than autoencoders?";
the trend against the previous run of the same suite; per dataset, objective × encoder tables of linear probe,
kNN, NMI and ARI (mean ± std, best bold, ≈ where not distinguishable from the best, 95 % intervals, published
reference figures), default against tuned configurations (``report_tuning``, for suites with ``[tuning]``), accuracy
beside training seconds with the Pareto front (``report_cost``), the
sections the evaluators declare for a dataset (``ssl_models.evaluate.registry``: e.g.
the linear-autoencoder ⇔ PCA check), bar and loss plots; the run-wide declared sections (collapse flags, …);
failures.

Modules: ``report_stats`` (the rules), ``report_tables`` (sections), ``report_plots`` (PNGs), ``report_render``
(Markdown and HTML), ``references`` (published figures). The HTML needs no server and no internet.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from sslbench.results import report_cost, report_labels, report_plots, report_tables, report_tuning
from sslbench.results.query import full_label_jobs, load
from sslbench.results.report_answer import answer_table
from sslbench.results.report_render import Section, html_page, markdown
from sslbench.results.report_stats import SAME_AS_BEST_RULE, nemenyi_critical_difference
from sslbench.results.run_changes import config_changes
from sslbench.results.selection import VALIDATION
from sslbench.results.store import read_table
from sslbench.ssl_models.baselines import BASELINES, baseline_names, encoder_free_baselines
from sslbench.ssl_models.evaluate.registry import metric_tables, report_sections
from sslbench.ssl_models.files import write_text_atomic

__all__ = ["Section", "build_report"]


def _text(value: object) -> str:
    """A string column's value, '' when null (a column added after the row was written reads as null)."""
    return value if isinstance(value, str) else ""


def _run_header(run_id: str, run: pd.Series | None) -> Section:
    if run is None:
        return Section(f"Run {run_id}", "The run has not finished (no runs row yet).", level=1)
    versions = json.loads(_text(run["package_versions"]) or "{}")
    counts = [int(run[c]) if pd.notna(run[c]) else 0 for c in ("n_jobs", "n_failed")]
    return Section(
        f"Run {run_id}",
        (
            f"Suite **{run['suite']}**, {counts[0]} jobs, {counts[1]} failed; started {run['started']}, finished "
            f"{run['finished']}; device {_text(run['device']) or 'n/a'}; git {_text(run['git_sha'])[:10] or 'n/a'}"
            + "".join(f", {k} {v}" for k, v in versions.items())
        ),
        level=1,
    )


def _reading_guide(df: pd.DataFrame) -> Section:
    seeds = df.groupby(["dataset", "encoder", "objective"], observed=True)["seed"].nunique()
    most = int(seeds.max()) if len(seeds) else 0
    if not most:
        seeds_text = "No job of this run produced metrics; see Failures."
    elif most == 1:
        seeds_text = (
            "Every entry has a single seed, so no test is possible: differences between entries are not "
            "tested and no interval is given. Run with several seeds (e.g. --seeds 0,1,2) for both."
        )
    else:
        least = int(seeds.min())
        seeds_text = f"Entries have {least if least == most else f'{least} to {most}'} seeds. {SAME_AS_BEST_RULE}"
    return Section(
        "How to read this report",
        (
            "Tables give the mean ± std over seeds on the test split; rows are objectives, columns encoders. The best "
            f"self-supervised entry of each column is **bold**; baselines ({', '.join(_baseline_titles(df))}) are rows "
            f"marked (baseline), never bold, and the encoder-free ones "
            f"({', '.join(_present(df, encoder_free_baselines()))}) "
            "fill every column. Rows marked (published) are figures from the literature, not measured here, with their "
            "source.\n\n"
            "What each number was selected on: every best configuration and every bold entry is chosen on the "
            "validation "
            "part carved from the training split (probes fitted on the rest of the training split), never on test, "
            "unless a table says otherwise (a metric without a validation score); each probe's C is chosen by "
            "cross-validation inside the training labels it is fitted on; kNN, k-means and the diagnostics select "
            "nothing. Test is scored once per final configuration. The metrics table's selected_on column says "
            "the same "
            f"for every stored value.\n\n{seeds_text}"
        ),
    )


def _present(df: pd.DataFrame, names: list[str]) -> list[str]:
    """``names`` that are objectives of the run (all of them when none is)."""
    present = set(df["objective"])
    return [name for name in names if name in present] or names


def _baseline_titles(df: pd.DataFrame) -> list[str]:
    return [BASELINES.get(name).title for name in _present(df, baseline_names())]


def _previous_run(runs: pd.DataFrame, run: pd.Series) -> tuple[str | None, pd.Series | None]:
    """(the latest earlier run of identical suite content, else None; the latest earlier run of the same suite name).

    Runs without a stored content hash (written before it existed) count as identical only to each other by name.
    """
    earlier = runs[
        (runs["suite"] == run["suite"]) & (runs["started"] < run["started"]) & (runs["run_id"] != run["run_id"])
    ]
    earlier = earlier.sort_values("started")
    identical = earlier[earlier["suite_hash"].fillna("") == _text(run["suite_hash"])]
    same_name = earlier.iloc[-1] if len(earlier) else None
    return (str(identical["run_id"].iloc[-1]) if len(identical) else None), same_name


def _trend_section(root: Path, df: pd.DataFrame, runs: pd.DataFrame, run: pd.Series) -> Section:
    """The trend against the previous run of identical suite content; else what changed since the same-named one."""
    previous, same_name = _previous_run(runs, run)
    if previous is None and same_name is not None:
        changes = config_changes(_text(same_name["config"]), _text(run["config"]))
        return Section(
            "Trend against the previous run",
            (
                f"No earlier run of identical suite content, so no trend is computed. The previous run of suite "
                f"**{run['suite']}**, {same_name['run_id']}, differs in: "
                f"{'; '.join(changes) or 'its stored configuration'}."
            ),
        )
    trend = (
        report_tables.trend_frame(load(root, run_id=previous, metric="linear_acc", split="test"), df)
        if previous
        else pd.DataFrame()
    )
    return report_tables.trend_table(trend, str(run["suite"]), previous, str(run["run_id"]))


def _summary_sections(
    root: Path, df: pd.DataFrame, validation: pd.DataFrame, runs: pd.DataFrame, run: pd.Series | None, folder: Path
) -> list[Section]:
    sections = []
    if "linear_acc" in set(df["metric"]):
        ranks = report_tables.rank_frame(df)
        complete = ranks.attrs["complete"] and ranks.attrs["n_blocks"] >= 2 and len(ranks) >= 2
        difference = nemenyi_critical_difference(len(ranks), ranks.attrs["n_blocks"]) if complete else None
        report_plots.rank_intervals(ranks, folder / "average_rank.png", difference)
        sections.append(report_tables.rank_table(ranks, "average_rank.png", difference))
        if (published := report_tables.published_comparison(df, validation)) is not None:
            sections.append(published)
    if "svm_acc" in set(df["metric"]):
        from sslbench.ssl_models.data.ucr import archive_sets

        if (averages := report_tables.archive_average_table(df, archive_sets())) is not None:
            sections.append(averages)
    if {"kmeans_nmi", "kmeans_ari"} & set(df["metric"]):
        sections.append(report_tables.family_table(df))
    if run is None:
        sections.append(Section("Trend against the previous run", "The run has not finished; no trend is computed."))
    else:
        sections.append(_trend_section(root, df, runs, run))
    return sections


def _label_sections(df: pd.DataFrame, validation: pd.DataFrame, dataset: str, folder: Path) -> list[Section]:
    """The answer table and, when the run measured scarce label fractions, the label-efficiency tables and plot."""
    sections = [s for s in (answer_table(df, validation, dataset),) if s is not None]
    if report_labels.has_label_fractions(df[df["dataset"] == dataset]):
        sections += [s for p in report_labels.PROBES if (s := report_labels.label_table(df, dataset, p)) is not None]
        if report_labels.label_curves(df, dataset, folder / f"labels_{dataset}.png"):
            sections.append(
                Section("Linear probe accuracy against label fraction", image=f"labels_{dataset}.png", level=3)
            )
    return sections


def _dataset_sections(
    df: pd.DataFrame,
    validation: pd.DataFrame,
    jobs: pd.DataFrame,
    history: pd.DataFrame,
    folder: Path,
    tuning: pd.DataFrame,
) -> list[Section]:
    sections = []
    for dataset in sorted(df["dataset"].unique()):
        data = df[df["dataset"] == dataset]
        present = set(data["metric"])
        unlabelled = "linear_acc" not in present and "kmeans_silhouette" in present
        sections.append(
            Section(
                f"Dataset {dataset}",
                (
                    "This dataset has no labels, so the linear probe, kNN accuracy and k-means NMI/ARI (which "
                    "all compare "
                    "with labels) are absent; the label-free k-means silhouette and the collapse diagnostics "
                    "are reported, "
                    "and the baselines that need labels were skipped."
                )
                if unlabelled
                else "",
            )
        )
        for metric in metric_tables():
            if metric not in present:
                continue
            sections.append(report_tables.metric_table(data, metric, validation[validation["dataset"] == dataset]))
            intervals = report_tables.interval_table(data, metric) if metric == "linear_acc" else None
            sections += [s for s in (intervals, report_tables.reference_table(dataset, metric)) if s is not None]
        sections += [s for s in (report_tuning.tuning_table(tuning, df, dataset),) if s is not None]
        sections += _label_sections(df, validation, dataset, folder)
        sections += report_cost.cost_sections(pd.concat([df, validation]), jobs, dataset, folder)
        declared = (report_tables.declared_table(data, section) for section in report_sections("dataset"))
        sections += [s for s in declared if s is not None]
        if "linear_acc" in present:
            report_plots.linear_probe_bars(data, dataset, folder / f"linear_acc_{dataset}.png")
            sections.append(
                Section("Linear probe by objective and encoder", image=f"linear_acc_{dataset}.png", level=3)
            )
        if report_plots.loss_curves(history, full_label_jobs(jobs), dataset, folder / f"loss_{dataset}.png"):
            sections.append(Section("Training loss", image=f"loss_{dataset}.png", level=3))
    return sections


def _sections(root: Path, run_id: str, folder: Path) -> list[Section]:
    runs = read_table(root, "runs").to_pandas()
    this_run = runs[runs["run_id"] == run_id]
    run = this_run.iloc[0] if len(this_run) else None
    jobs = read_table(root, "jobs", {"run_id": run_id}).to_pandas()
    history = read_table(root, "history", {"run_id": run_id}).to_pandas()
    tuning = read_table(root, "tuning", {"run_id": run_id}).to_pandas()
    everything = load(root, run_id=run_id)
    df, validation = everything[everything["split"] != VALIDATION], everything[everything["split"] == VALIDATION]
    return (
        [_run_header(run_id, run), _reading_guide(df)]
        + _summary_sections(root, df, validation, runs, run, folder)
        + _dataset_sections(df, validation, jobs, history, folder, tuning)
        + [s for s in (report_tables.declared_table(df, d) for d in report_sections("run")) if s]
        + [report_tables.failures_table(jobs)]
    )


def build_report(root: str | Path, run_id: str | None = None) -> Path:
    """Write the report of ``run_id`` (default: the latest run) and return its folder."""
    root = Path(root)
    if run_id is None:
        runs = read_table(root, "runs").to_pandas()
        if runs.empty:
            raise ValueError(f"no finished run in {root}/tables/runs; run `sslbench run` first")
        run_id = str(runs.sort_values("started")["run_id"].iloc[-1])
    known = set(read_table(root, "runs").column("run_id").to_pylist())
    if run_id not in known and not len(read_table(root, "jobs", {"run_id": run_id})):
        raise ValueError(f"unknown run '{run_id}' in {root}; known runs: {', '.join(sorted(known)) or 'none'}")
    folder = root / "reports" / run_id
    folder.mkdir(parents=True, exist_ok=True)
    sections = _sections(root, run_id, folder)
    write_text_atomic(folder / "report.md", markdown(sections))
    write_text_atomic(folder / "index.html", html_page(sections, f"sslbench report {run_id}"))
    return folder
