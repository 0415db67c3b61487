"""The report's tables: each function turns the tidy results frame (``results.load``) into one ``Section``.

The numbers behind the words (intervals, tests, ranks, trend verdicts) come from ``results.report_stats``;
this module only chooses rows and columns and formats cells.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sslbench.results.query import self_supervised
from sslbench.results.references import ARCHIVE_AVERAGES, archive_coverage, reference_text, references_for
from sslbench.results.report_render import Section
from sslbench.results.report_stats import (
    ALPHA,
    METRIC_RANGES,
    SAME_AS_BEST_NOTE,
    SAME_MARK,
    TREND_RULE,
    average_ranks,
    block_ranks,
    interval,
    same_as_best,
    trend_verdict,
    welch_p,
)
from sslbench.results.selection import SELECTED_ON_TEXT, best_configuration
from sslbench.ssl_models.baselines import BASELINES, baseline_names, encoder_free_baselines
from sslbench.ssl_models.evaluate.registry import Column, ReportSection, metric_tables
from sslbench.ssl_models.vocabulary import FAMILY_ORDER, REFERENCE_FAMILIES

# An archive average is compared when a configuration covers at least this share of the sets behind it.
ARCHIVE_COVERAGE = 0.9
NO_ENCODER = "(no encoder)"


def metric_title(metric: str) -> str:
    """The title its evaluator declares for ``metric``'s table, or the metric's own name."""
    return metric_tables().get(metric, metric)


def _label(objective: str) -> str:
    return f"{objective} (baseline)" if objective in BASELINES else objective


def _baseline_rows(objectives: pd.Series | list[str]) -> dict[int, str]:
    """Row kinds that shade the baselines' rows."""
    return {r: "baseline" for r, o in enumerate(objectives) if o in BASELINES}


def _objectives(chosen: pd.DataFrame) -> list[str]:
    present = set(chosen["objective"])
    return sorted(present - set(baseline_names())) + [o for o in baseline_names() if o in present]


def _encoders(chosen: pd.DataFrame) -> list[str]:
    return sorted(e for e in chosen["encoder"].unique() if e) or [NO_ENCODER]


def _grid(chosen: pd.DataFrame) -> tuple[list[str], list[str], list[list[np.ndarray]]]:
    """Objectives (rows), encoders (columns) and the per-seed values of each cell; encoder-free rows fill every
    column."""
    objectives, encoders = _objectives(chosen), _encoders(chosen)
    grid = []
    for objective in objectives:
        subset = chosen[chosen["objective"] == objective]
        free = (subset["encoder"] == "").all()
        grid.append(
            [
                subset["value"].to_numpy(dtype=float)
                if free or encoder == NO_ENCODER
                else subset.loc[subset["encoder"] == encoder, "value"].to_numpy(dtype=float)
                for encoder in encoders
            ]
        )
    return objectives, encoders, grid


def _cell(row: pd.Series, name: str, fmt: str) -> str:
    """``row[name]`` formatted with ``fmt``, or '—' where the row has no such value."""
    value = row.get(name, np.nan)
    return "—" if pd.isna(value) else format(value, fmt)


def _mean_std(values: np.ndarray) -> str:
    return f"{values.mean():.3f} ± {values.std(ddof=1):.3f}" if len(values) > 1 else f"{values.mean():.3f}"


def metric_table(df: pd.DataFrame, metric: str, validation: pd.DataFrame | None = None) -> Section:
    """Objective rows × encoder columns, mean ± std over seeds on test; bold: each column's best self-supervised
    entry, selected on ``validation`` (``results.selection``; never a baseline); ≈ where not distinguishable from it."""
    objectives, encoders, grid = _grid(df[df["metric"] == metric])
    scored = df if validation is None else pd.concat([df, validation])
    rows = [[_label(objective)] for objective in objectives]
    bold: set[tuple[int, int]] = set()
    tested, selected_on = False, set()
    for column, encoder in enumerate(encoders):
        cells = [grid[r][column] for r in range(len(objectives))]
        choice = best_configuration(scored[scored["encoder"] == encoder], metric) if encoder != NO_ENCODER else None
        best = (
            objectives.index(choice.objective)
            if choice is not None and len(cells[objectives.index(choice.objective)])
            else None
        )
        if best is not None:
            assert choice is not None  # best is only set from a choice
            selected_on.add(SELECTED_ON_TEXT[choice.selected_on])
        for r, values in enumerate(cells):
            if not len(values):
                rows[r].append("—")
                continue
            text = _mean_std(values)
            if r == best:
                bold.add((r, column + 1))
            elif best is not None:
                same = same_as_best(cells[best], values)
                tested = tested or same is not None
                text += f" {SAME_MARK}" if same else ""
            rows[r].append(text)
    notes = [
        f"Test split. **Bold**: the best self-supervised entry of each column, selected on "
        f"{' / '.join(sorted(selected_on)) or 'nothing (no self-supervised entry)'}; baselines are never bold."
    ]
    notes.append(SAME_AS_BEST_NOTE if tested else "One seed per entry: no test against the column's best is possible.")
    return Section(
        metric_title(metric),
        header=["objective"] + encoders,
        rows=rows,
        bold=bold,
        notes=notes,
        level=3,
        row_kinds=_baseline_rows(objectives),
    )


def interval_table(df: pd.DataFrame, metric: str = "linear_acc") -> Section | None:
    """The 95 % Student-t interval of each entry of ``metric_table`` ('—' with one seed); None when every entry has
    one.
    """
    objectives, encoders, grid = _grid(df[df["metric"] == metric])
    if all(len(values) < 2 for cells in grid for values in cells):
        return None
    rows = []
    for objective, cells in zip(objectives, grid):
        row = [_label(objective)]
        for values in cells:
            low, high = interval(values, METRIC_RANGES.get(metric, (-np.inf, np.inf)))
            row.append(f"[{low:.3f}, {high:.3f}]" if np.isfinite(low) else "—")
        rows.append(row)
    return Section(
        f"{metric_title(metric)}: 95 % intervals",
        header=["objective"] + encoders,
        rows=rows,
        level=4,
        notes=[
            "mean ± t₀.₉₇₅(n−1)·s/√n over seeds, clipped to the metric's range; — where a single seed "
            "allows no interval."
        ],
        row_kinds=_baseline_rows(objectives),
    )


def reference_table(dataset: str, metric: str) -> Section | None:
    """Published figures for (dataset, metric) from ``results.references``, each row marked (published)."""
    references = references_for(dataset, metric)
    if not references:
        return None
    return Section(
        f"{metric_title(metric)}: published reference figures",
        level=4,
        header=["reference", "value", "source"],
        rows=[[f"{ref.label} (published)", reference_text(ref), ref.source] for ref in references],
        row_kinds={r: "reference" for r in range(len(references))},
        notes=["Taken from the publication, not measured here; the protocol may differ from this benchmark's."],
    )


# Metrics of the side-by-side comparison with published figures: the best self-supervised configuration under
# each protocol present, beside the baselines declaring ``beside_published`` (the raw input), same protocol.
COMPARED_METRICS = {"linear_acc": "linear probe", "svm_acc": "SVM protocol", "graph_svm_acc": "graph SVM protocol"}


def _beside_published() -> list[str]:
    return [name for name in baseline_names() if BASELINES.get(name).beside_published]


def _baseline_mean(chosen: pd.DataFrame, baseline: str) -> str:
    values = chosen[chosen["objective"] == baseline]["value"]
    return f"{values.mean():.3f}" if len(values) else "—"


def _best_configuration(
    df: pd.DataFrame, dataset: str, metric: str, validation: pd.DataFrame | None = None
) -> list[str] | None:
    """[mean ± std on test, objective · encoder, selected on, seeds, each beside-published baseline] of the best
    self-supervised configuration, chosen on ``validation`` (``results.selection``)."""
    chosen = df[(df["dataset"] == dataset) & (df["metric"] == metric)]
    scored = chosen if validation is None else pd.concat([chosen, validation[validation["dataset"] == dataset]])
    choice = best_configuration(scored, metric)
    ssl = self_supervised(chosen)
    if choice is None or ssl.empty:
        return None
    best = ssl[(ssl["objective"] == choice.objective) & (ssl["encoder"] == choice.encoder)]["value"]
    best = best.to_numpy(dtype=float)
    return [
        _mean_std(best),
        f"{choice.objective} · {choice.encoder}",
        SELECTED_ON_TEXT[choice.selected_on],
        str(len(best)),
    ] + [_baseline_mean(chosen, baseline) for baseline in _beside_published()]


def published_comparison(df: pd.DataFrame, validation: pd.DataFrame | None = None) -> Section | None:
    """Per dataset with published figures: for each protocol of ``COMPARED_METRICS`` in the run, the best
    self-supervised configuration (mean over seeds, the best objective · encoder by that mean) and the raw input
    measured here; the raw kNN; and each published figure; None without any.

    The best of many configurations on few seeds is an optimistic estimate; its ± (std over seeds) and the
    random-encoder and raw rows of the dataset's own tables say how much to trust it.
    """
    present = [metric for metric in COMPARED_METRICS if metric in set(df["metric"])]
    rows, labels = [], []
    for dataset in sorted(df["dataset"].unique()):
        published = {
            f"{ref.label} (published)": reference_text(ref)
            for metric in ("linear_acc", "knn_acc", "svm_acc", "graph_svm_acc")
            for ref in references_for(dataset, metric)
        }
        bests = {metric: _best_configuration(df, dataset, metric, validation) for metric in present}
        if not published or all(best is None for best in bests.values()):
            continue
        labels += [label for label in published if label not in labels]
        knn = df[(df["dataset"] == dataset) & (df["metric"] == "knn_acc")]
        blank = ["—"] * (4 + len(_beside_published()))
        cells = [cell for metric in present for cell in (bests[metric] or blank)]
        rows.append((dataset, cells + [_baseline_mean(knn, b) for b in _beside_published()], published))
    if not rows:
        return None
    header = ["dataset"]
    for metric in present:
        name = COMPARED_METRICS[metric]
        header += [f"best SSL, {name}", "objective · encoder", "selected on", "seeds"]
        header += [f"{b}, {name}" for b in _beside_published()]
    return Section(
        "Best self-supervised result beside published figures",
        "The best self-supervised result of each dataset under each protocol (mean ± std over seeds on "
        "test of the configuration with the highest mean on the split named under 'selected on': the "
        "validation part wherever the run has one), the raw input measured here under the same protocol (and "
        "kNN with the suite's k, cosine), and the published figures for the same dataset and split. "
        "Published figures are taken from the literature, not measured here; their sources are in the "
        "dataset's own section.",
        header=header + [f"{b}, kNN" for b in _beside_published()] + labels,
        rows=[
            [dataset] + cells + [published.get(label, "—") for label in labels] for dataset, cells, published in rows
        ],
    )


def archive_average_table(df: pd.DataFrame, archives: dict[str, list[str]]) -> Section | None:
    """Mean ``svm_acc`` over an archive's sets (seed means first) of each self-supervised configuration that covers
    at least ARCHIVE_COVERAGE of the sets behind the published archive average, beside that average; None when no
    run covers an archive."""
    chosen = self_supervised(df[df["metric"] == "svm_acc"])
    rows = []
    for average in ARCHIVE_AVERAGES:
        members = archive_coverage(list(chosen["dataset"].unique()), archives).get(average.archive, [])
        for (objective, encoder), group in chosen[chosen["dataset"].isin(members)].groupby(["objective", "encoder"]):
            per_set = group.groupby("dataset")["value"].mean()
            if len(per_set) < ARCHIVE_COVERAGE * average.n_sets:
                continue
            rows.append(
                [
                    average.archive,
                    f"{objective} · {encoder}",
                    str(len(per_set)),
                    f"{per_set.mean():.3f}",
                    f"{average.reference.value:.3f} ({average.n_sets} sets)",
                    average.reference.source,
                ]
            )
    if not rows:
        return None
    return Section(
        "Archive averages beside the published ones",
        "Mean test accuracy under TS2Vec's SVM protocol over the archive's sets this run covers (each set's "
        "mean over seeds), beside TS2Vec's published archive mean. The sets differ where the counts do.",
        header=["archive", "objective · encoder", "sets", "mean svm_acc", "published mean", "source"],
        rows=rows,
    )


def _families(df: pd.DataFrame) -> pd.Series:
    return df["family"].fillna("unknown").replace("", "unknown")


def family_means(df: pd.DataFrame) -> pd.DataFrame:
    """Mean k-means NMI and ARI per (dataset, family) over every job (all encoders, objectives and seeds)."""
    chosen = df[df["metric"].isin(["kmeans_nmi", "kmeans_ari"])].assign(family=_families)
    return chosen.groupby(["dataset", "metric", "family"], observed=True)["value"].mean().unstack("family")


def _family_seed_values(df: pd.DataFrame, dataset: str, family: str) -> np.ndarray:
    """Per seed, the mean k-means NMI over every job of ``family`` on ``dataset``."""
    chosen = df[(df["metric"] == "kmeans_nmi") & (df["dataset"] == dataset)].assign(family=_families)
    return chosen[chosen["family"] == family].groupby("seed")["value"].mean().to_numpy(dtype=float)


def contrastive_vs_autoencoding(means: pd.DataFrame, df: pd.DataFrame | None = None) -> str:
    """One sentence answering "do contrastive objectives cluster better than autoencoders?" from ``family_means``.

    A bold Yes/No only when, on every dataset, a Welch t-test over seeds (each seed's family mean NMI, from ``df``)
    finds the difference (p < ALPHA) in the same direction; with fewer than 2 seeds per family: "not enough seeds".
    """
    question = "Do contrastive objectives cluster better than autoencoders?"
    if not {"contrastive", "autoencoding"} <= set(means.columns):
        return f"{question} This run cannot say: it lacks contrastive or autoencoding jobs with k-means scores."
    both = means.dropna(subset=["contrastive", "autoencoding"])
    nmi = (
        both.xs("kmeans_nmi", level="metric")
        if "kmeans_nmi" in both.index.get_level_values("metric")
        else both.iloc[:0]
    )
    ari = (
        both.xs("kmeans_ari", level="metric")
        if "kmeans_ari" in both.index.get_level_values("metric")
        else both.iloc[:0]
    )
    if nmi.empty:
        return f"{question} This run cannot say: no dataset has k-means NMI for both families."
    wins = int((nmi["contrastive"] > nmi["autoencoding"]).sum())
    detail = "; ".join(f"{d} {row.contrastive:.3f} vs {row.autoencoding:.3f}" for d, row in nmi.iterrows())
    ari_wins = int((ari["contrastive"] > ari["autoencoding"]).sum())
    counts = (
        f"contrastive objectives have the higher mean k-means NMI on {wins} of {len(nmi)} "
        f"dataset{'s' if len(nmi) != 1 else ''} ({detail}), and the higher ARI on {ari_wins} of {len(ari)}"
    )
    samples = (
        [(_family_seed_values(df, d, "contrastive"), _family_seed_values(df, d, "autoencoding")) for d in nmi.index]
        if df is not None
        else []
    )
    if not samples or min(min(len(a), len(b)) for a, b in samples) < 2:
        return f"{question} Not enough seeds for a verdict (a test needs ≥ 2 per family and dataset): {counts}."
    directions = {np.sign(a.mean() - b.mean()) if welch_p(a, b) < ALPHA else 0.0 for a, b in samples}
    if directions == {1.0} or directions == {-1.0}:
        answer = "Yes" if directions == {1.0} else "No"
        return f"{question} **{answer}**: {counts}; on every dataset a Welch t-test over seeds gives p < {ALPHA}."
    return (
        f"{question} Not shown: {counts}, but the difference is not significant in the same direction on every "
        f"dataset (Welch t-test over seeds, p < {ALPHA})."
    )


def family_table(df: pd.DataFrame) -> Section:
    """Mean k-means NMI/ARI per objective family and dataset, best self-supervised family per row bold (never the
    baselines'), with the one-sentence answer."""
    means = family_means(df)
    families = [f for f in FAMILY_ORDER if f in means.columns] + sorted(set(means.columns) - set(FAMILY_ORDER))
    rows, bold = [], set()
    order = {metric: i for i, metric in enumerate(metric_tables())}
    means = means.sort_index(key=lambda index: index.map(order) if index.name == "metric" else index)
    for r, ((dataset, metric), row) in enumerate(means.iterrows()):
        cells = [f"{row[f]:.3f}" if pd.notna(row[f]) else "—" for f in families]
        rows.append([dataset, metric_title(metric)] + cells)
        ssl_families = [f for f in families if f not in REFERENCE_FAMILIES]
        best = row[ssl_families].max() if ssl_families else np.nan
        bold |= {(r, c + 2) for c, f in enumerate(families) if f in ssl_families and row[f] == best}
    return Section(
        "Clustering by objective family",
        contrastive_vs_autoencoding(means, df),
        header=["dataset", "metric"] + families,
        rows=rows,
        bold=bold,
        notes=[
            "Means over every job of the family (all encoders, objectives and seeds); differences "
            "between families are not tested. Families come from the jobs table's family column."
        ],
    )


def rank_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Average rank of each objective by mean linear_acc within each (dataset, encoder) block, with its family.

    Encoder-free baselines enter every block of their dataset.
    """
    chosen = df[df["metric"] == "linear_acc"]
    blocks = []
    for dataset, data in chosen.groupby("dataset", observed=True):
        free = data[data["encoder"] == ""]
        for encoder in _encoders(data):
            block = pd.concat([data[data["encoder"] == encoder], free]) if encoder != NO_ENCODER else free
            means = block.groupby("objective", observed=True)["value"].mean().rename("mean").reset_index()
            blocks.append(means.assign(dataset=dataset, encoder=encoder))
    if not blocks:
        return pd.DataFrame(columns=["objective", "family", "average_rank", "low", "high", "blocks", "firsts"])
    ranked = block_ranks(pd.concat(blocks, ignore_index=True), ["dataset", "encoder"])
    families = chosen.assign(family=_families).groupby("objective", observed=True)["family"].first()
    averages = average_ranks(ranked, ["dataset", "encoder"])
    averages.insert(1, "family", averages["objective"].map(families))
    averages.attrs["n_blocks"] = int(ranked.groupby(["dataset", "encoder"]).ngroups)
    averages.attrs["complete"] = bool((averages["blocks"] == averages.attrs["n_blocks"]).all())
    return averages


def _free_in(ranks: pd.DataFrame) -> list[str]:
    """The encoder-free baselines among the ranked objectives."""
    return [name for name in encoder_free_baselines() if name in set(ranks["objective"])]


def rank_table(ranks: pd.DataFrame, image: str | None = None, critical_difference: float | None = None) -> Section:
    """The average-rank table (best first; the best self-supervised rank bold) and the plot of ranks with their
    intervals."""
    n_blocks = ranks.attrs.get("n_blocks", 0)
    first_ssl = [r for r, family in enumerate(ranks["family"]) if family not in REFERENCE_FAMILIES]
    rows = [
        [
            _label(r.objective),
            r.family,
            f"{r.average_rank:.2f}",
            f"[{r.low:.2f}, {r.high:.2f}]" if np.isfinite(r.low) else "—",
            str(r.blocks),
            str(r.firsts),
        ]
        for r in ranks.itertuples()
    ]
    text = (
        f"Objectives ranked by mean linear probe accuracy within each (dataset, encoder) block ({n_blocks} "
        f"block{'s' if n_blocks != 1 else ''}; 1 = best, ties share the average rank); SSL objectives and baselines "
        f"alike, the encoder-free baselines ({', '.join(_free_in(ranks))}) in every block of "
        "their dataset."
    )
    notes = [
        "Interval: 95 % Student-t interval of the mean rank over the blocks the objective appears in, clipped to the "
        "possible ranks; — with a single block."
    ]
    if critical_difference is not None:
        notes.append(
            f"Nemenyi critical difference (α = 0.05, Demšar 2006): {critical_difference:.2f}; two objectives "
            f"whose average ranks differ by less are not significantly different."
        )
    elif n_blocks < 2:
        notes.append("A single block: ranks cannot be compared across datasets or encoders.")
    else:
        notes.append("Not every objective appears in every block, so no Nemenyi critical difference is drawn.")
    return Section(
        "Average rank across datasets and encoders",
        text,
        header=["objective", "family", "average rank", "95 % interval", "blocks", "ranked first"],
        rows=rows,
        bold={(r, 2) for r in first_ssl[:1]},
        notes=notes,
        image=image,
        row_kinds=_baseline_rows(list(ranks["objective"])),
    )


def _reports(section: ReportSection, metrics: set[str]) -> bool:
    """Whether ``metrics`` hold every metric the section ``needs`` (no ``needs``: any of its columns')."""
    if section.needs:
        return set(section.needs) <= metrics
    return bool(metrics & {column.metric for column in section.columns if column.metric})


def declared_table(df: pd.DataFrame, section: ReportSection) -> Section | None:
    """The table an evaluator declares (``ssl_models.evaluate.registry.ReportSection``) from the tidy frame;
    None (or the declared ``absent`` / ``empty`` text) when no job reports or qualifies."""
    level = 3 if section.scope == "dataset" else 2
    per_seed = section.per == "seed"
    keys = ["dataset"] * (section.scope == "run") + ["encoder", "objective"] + ["seed"] * per_seed
    chosen = df[df["metric"].isin(section.metrics())]
    aggregate = "first" if per_seed else "mean"
    wide = chosen.pivot_table(index=keys, columns="metric", values="value", aggfunc=aggregate)
    if chosen.empty or not _reports(section, set(wide.columns)):
        return None if section.absent is None else Section(section.title, section.absent, level=level)
    seeds = chosen.groupby(keys, observed=True)["seed"].nunique()
    rows = []
    for index, row in wide.iterrows():
        metrics = {name: float(value) for name, value in row.items() if pd.notna(value)}
        if not _reports(section, set(metrics)) or (section.keep is not None and not section.keep(metrics)):
            continue
        key = dict(zip(keys, index))
        key["encoder"] = key["encoder"] or ("—" if per_seed else NO_ENCODER)
        counts = [] if per_seed else [str(seeds[index])]
        cells = [_declared_cell(column, metrics) for column in section.columns]
        rows.append([str(key[k]) for k in keys] + counts + cells)
    if not rows:
        return None if section.empty is None else Section(section.title, section.empty, level=level)
    header = keys + ([] if per_seed else ["seeds"]) + [column.header for column in section.columns]
    return Section(section.title, section.text, header=header, rows=rows, level=level)


def _declared_cell(column: Column, metrics: dict[str, float]) -> str:
    """A declared column's cell: its ``text`` of the row's metrics, or its metric formatted (— if absent)."""
    if column.text is not None:
        return column.text(metrics)
    return _cell(pd.Series(metrics, dtype=float), str(column.metric), column.fmt)


def trend_frame(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Per (dataset, encoder, objective) in both runs: mean linear_acc before and now, Δ, p-value and verdict."""
    keys = ["dataset", "encoder", "objective"]
    before = previous[previous["metric"] == "linear_acc"].groupby(keys, observed=True)["value"].apply(list)
    now = current[current["metric"] == "linear_acc"].groupby(keys, observed=True)["value"].apply(list)
    rows = []
    for key in before.index.intersection(now.index):
        verdict, p_value = trend_verdict(before[key], now[key])
        rows.append(
            dict(
                zip(keys, key),
                previous=float(np.mean(before[key])),
                n_previous=len(before[key]),
                current=float(np.mean(now[key])),
                n_current=len(now[key]),
                delta=float(np.mean(now[key]) - np.mean(before[key])),
                p_value=p_value,
                verdict=verdict,
            )
        )
    order = {"regression": 0, "improvement": 1, "within noise": 2}
    frame = pd.DataFrame(
        rows, columns=keys + ["previous", "n_previous", "current", "n_current", "delta", "p_value", "verdict"]
    )
    return (
        frame.sort_values(keys).sort_values("verdict", key=lambda v: v.map(order), kind="stable").reset_index(drop=True)
    )


def trend_table(trend: pd.DataFrame, suite: str, previous_run: str | None, run_id: str) -> Section:
    """The run against the previous run of the same suite: counts, and the changes beyond noise."""
    title = "Trend against the previous run"
    if previous_run is None:
        return Section(title, f"No earlier run of suite **{suite}** in these tables.")
    if trend.empty:
        return Section(
            title,
            f"The previous run of suite **{suite}**, {previous_run}, shares no (dataset, encoder, "
            "objective) with linear probe accuracy with this run.",
        )
    counts = trend["verdict"].value_counts()
    flagged = trend[trend["verdict"] != "within noise"]
    text = (
        f"Mean linear probe accuracy against the previous run of suite **{suite}**, {previous_run}, over "
        f"{len(trend)} shared (dataset, encoder, objective): {counts.get('regression', 0)} regression(s), "
        f"{counts.get('improvement', 0)} improvement(s), {counts.get('within noise', 0)} within noise."
        + ("" if len(flagged) else " No change is beyond noise.")
    )
    rows = [
        [
            r.dataset,
            r.encoder or "—",
            r.objective,
            f"{r.previous:.3f} (n={r.n_previous})",
            f"{r.current:.3f} (n={r.n_current})",
            f"{r.delta:+.3f}",
            f"{r.p_value:.3g}" if np.isfinite(r.p_value) else "—",
            r.verdict,
        ]
        for r in flagged.itertuples()
    ]
    notes = [TREND_RULE, f"Every delta: results.compare_runs(OUT, '{previous_run}', '{run_id}', metric='linear_acc')."]
    return Section(
        title,
        text,
        rows=rows,
        notes=notes,
        header=["dataset", "encoder", "objective", "previous", "this run", "Δ", "p", "verdict"] if rows else [],
        bold={(r, 7) for r in range(len(rows))},
        row_kinds=dict(enumerate(flagged["verdict"])),
    )


def failures_table(jobs: pd.DataFrame) -> Section:
    """Jobs that failed or diverged, with the start of their error."""
    failed = jobs[jobs["status"] != "ok"]
    if failed.empty:
        return Section("Failures", "Every job finished.")
    return Section(
        "Failures",
        f"{len(failed)} job(s) did not finish; their rows carry no metrics.",
        header=["dataset", "encoder", "objective", "seed", "status", "error"],
        rows=[
            [r.dataset, r.encoder or "—", r.objective, str(r.seed), r.status, (r.error or "")[:200]]
            for r in failed.itertuples()
        ],
    )
