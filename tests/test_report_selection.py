"""What the report selects and says: bold on the best SSL entry chosen on validation (never a baseline, blind
to test values), verdicts only with a test, trends only between identical suite content, clipped intervals,
label efficiency, the answer table, and an unknown run refused."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sslbench.results.report import build_report
from sslbench.results.report_answer import margin_text
from sslbench.results.report_stats import interval
from sslbench.results.report_tables import interval_table, metric_table
from sslbench.results.run_changes import config_changes
from sslbench.results.selection import best_configuration
from sslbench.results.store import write_rows

START = datetime(2026, 11, 1, tzinfo=UTC)
FAMILIES = {
    "simclr": "contrastive",
    "vicreg": "non-contrastive",
    "autoencoder": "autoencoding",
    "raw": "baseline",
    "random": "baseline",
    "supervised": "supervised",
}
# (encoder, objective): (test mean, validation mean); vicreg beats simclr on validation, simclr wins on test.
MEANS = {
    ("mlp", "simclr"): (0.95, 0.90),
    ("mlp", "vicreg"): (0.94, 0.97),
    ("mlp", "autoencoder"): (0.80, 0.85),
    ("mlp", "random"): (0.70, 0.72),
    ("mlp", "supervised"): (0.99, 0.995),
    ("", "raw"): (0.85, 0.86),
}
FRACTIONS = {0.01: -0.30, 0.1: -0.10}  # label fraction: offset of its test accuracy from the 100 % value
OFFSETS = (-0.004, 0.0, 0.004)


def _rows(job_id: str, encoder: str, objective: str, seed: int, seeds: int) -> list[dict]:
    test, held_out = MEANS[(encoder, objective)]
    shift = OFFSETS[seed] if seeds > 1 else 0.0
    rows = [
        {"job_id": job_id, "metric": "linear_acc", "split": "test", "value": test + shift},
        {"job_id": job_id, "metric": "kmeans_nmi", "split": "test", "value": test - 0.3 + shift},
    ]
    if objective != "supervised":
        rows.append({"job_id": job_id, "metric": "linear_acc", "split": "validation", "value": held_out + shift})
        for fraction, offset in FRACTIONS.items():
            rows += [
                {
                    "job_id": job_id,
                    "metric": "label_linear_acc",
                    "split": "test",
                    "label_fraction": fraction,
                    "label_draw": draw,
                    "value": test + offset + shift + 0.01 * draw,
                }
                for draw in (0, 1)
            ]
    return rows


def _write_run(root: Path, run_id: str, seeds: int = 3, started: datetime = START, config: dict | None = None) -> None:
    jobs, metrics = [], []
    for encoder, objective in MEANS:
        for seed in range(seeds):
            job_id = f"{run_id}-{encoder}-{objective}-{seed}"
            jobs.append(
                {
                    "job_id": job_id,
                    "dataset": "digits",
                    "encoder": encoder,
                    "objective": objective,
                    "family": FAMILIES[objective],
                    "seed": seed,
                    "status": "ok",
                }
            )
            metrics += _rows(job_id, encoder, objective, seed, seeds)
            if objective == "supervised":  # the baseline trained on each label draw: its own jobs
                for fraction, offset in FRACTIONS.items():
                    for draw in (0, 1):
                        sub_id = f"{job_id}-{fraction}-{draw}"
                        jobs.append(
                            {
                                "job_id": sub_id,
                                "dataset": "digits",
                                "encoder": encoder,
                                "objective": objective,
                                "family": "supervised",
                                "seed": seed,
                                "status": "ok",
                            }
                        )
                        metrics.append(
                            {
                                "job_id": sub_id,
                                "metric": "label_linear_acc",
                                "split": "test",
                                "label_fraction": fraction,
                                "label_draw": draw,
                                "value": 0.99 + 2 * offset + OFFSETS[seed] * (seeds > 1),
                            }
                        )
    write_rows(root, "jobs", run_id, jobs, part="all")
    write_rows(root, "metrics", run_id, metrics, part="all")
    config = config or {"name": "grid", "train": {"epochs": 10}}
    write_rows(
        root,
        "runs",
        run_id,
        [
            {
                "suite": "grid",
                "suite_hash": json.dumps(config, sort_keys=True)[-12:],
                "config": json.dumps(config),
                "status": "ok",
                "started": started,
                "finished": started + timedelta(minutes=1),
                "n_jobs": len(jobs),
                "n_failed": 0,
            }
        ],
        part="run",
    )


def _table(markdown: str, title: str) -> dict[str, list[str]]:
    block = markdown[markdown.index(f" {title}\n") :]
    lines = block.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("|---")) + 1
    rows: dict[str, list[list[str]]] = {}
    for line in lines[first:]:
        if not line.startswith("| "):
            break
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        rows.setdefault(cells[0], []).append(cells[1:])
    return rows


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("selection")
    _write_run(root, "r-1")
    return root


def _frame(store: Path) -> pd.DataFrame:
    from sslbench import results

    return results.load(store, run_id="r-1")


def test_bold_is_the_best_ssl_entry_on_validation_never_a_baseline(store: Path) -> None:
    markdown = (build_report(store, "r-1") / "report.md").read_text(encoding="utf-8")
    rows = {k: v[0] for k, v in _table(markdown, "Linear probe accuracy").items()}
    assert rows["vicreg"][0].startswith("**0.940")  # best on validation, bold
    assert "**" not in rows["simclr"][0] and "**" not in rows["supervised (baseline)"][0]
    assert "selected on validation; baselines are never bold" in markdown
    assert best_configuration(_frame(store), "linear_acc")[:3] == ("vicreg", "mlp", "validation")


def test_permuting_test_values_changes_no_selection(store: Path) -> None:
    df = _frame(store)
    rng = np.random.default_rng(0)
    for _ in range(5):
        shuffled = df.copy()
        test_rows = shuffled["split"] == "test"
        shuffled.loc[test_rows, "value"] = rng.permutation(shuffled.loc[test_rows, "value"].to_numpy())
        assert best_configuration(shuffled, "linear_acc") == best_configuration(df, "linear_acc")
        table = metric_table(shuffled[test_rows], "linear_acc", shuffled[~test_rows])
        assert {table.rows[r][0] for r, _ in table.bold} == {"vicreg"}


def test_clustering_verdict_needs_a_test_and_a_single_seed_gets_none(tmp_path: Path) -> None:
    _write_run(tmp_path, "r-one", seeds=1)
    markdown = (build_report(tmp_path, "r-one") / "report.md").read_text(encoding="utf-8")
    family = markdown[markdown.index("## Clustering by objective family") :]
    assert "Not enough seeds for a verdict" in family.split("\n\n")[1]
    assert "**Yes**" not in family and "**No**" not in family
    answer = _table(markdown, "Best self-supervised objective per encoder")["mlp"]
    assert all("not enough seeds" in cell for row in answer for cell in row[4:7])


def test_margins_are_tested_over_seeds() -> None:
    assert margin_text(np.array([0.9, 0.91, 0.92]), np.array([0.8, 0.81, 0.82])).endswith("(distinguishable)")
    assert margin_text(np.array([0.9, 0.95, 0.85]), np.array([0.9, 0.86, 0.94])).endswith("(not distinguishable)")
    assert margin_text(np.array([0.9]), np.array([0.8, 0.81])) == "+0.095, not enough seeds"


def test_intervals_are_clipped_to_the_metric_range() -> None:
    low, high = interval([0.99, 1.0, 0.93], bounds=(0.0, 1.0))
    assert high == 1.0 and low == pytest.approx(
        np.mean([0.99, 1.0, 0.93]) - 4.30265 * np.std([0.99, 1.0, 0.93], ddof=1) / 3**0.5
    )
    frame = pd.DataFrame(
        {
            "dataset": "d",
            "encoder": "mlp",
            "objective": "simclr",
            "metric": "linear_acc",
            "value": [0.99, 1.0, 0.93],
            "family": "contrastive",
            "seed": [0, 1, 2],
        }
    )
    cell = interval_table(frame).rows[0][1]
    assert cell.endswith(", 1.000]")


def test_label_efficiency_table_and_plot(store: Path) -> None:
    folder = build_report(store, "r-1")
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    table = _table(markdown, "Linear probe accuracy against the fraction of training labels")
    header = re.search(r"\| objective · encoder \| (.*) \|", markdown[markdown.index("fraction of training labels") :])
    assert header.group(1).split(" | ") == ["1% labels", "10% labels", "100% labels"]
    assert table["vicreg · mlp"][0] == ["0.645 ± 0.007 (n=6)", "0.845 ± 0.007 (n=6)", "0.940 ± 0.004 (n=3)"]
    assert table["supervised · mlp (baseline)"][0][0] == "0.390 ± 0.004 (n=6)"
    assert (folder / "labels_digits.png").read_bytes().startswith(b"\x89PNG")
    answer = _table(markdown, "Best self-supervised objective per encoder")["mlp"]
    assert [row[:3] for row in answer] == [["vicreg", "validation", f] for f in ("100%", "10%", "1%")]
    assert answer[2][6].startswith("+0.255") and answer[2][6].endswith("(distinguishable)")  # vs supervised at 1 %


def test_trend_only_between_identical_suite_content(tmp_path: Path) -> None:
    _write_run(tmp_path, "r-a", started=START, config={"name": "grid", "train": {"epochs": 10}})
    _write_run(tmp_path, "r-b", started=START + timedelta(days=1), config={"name": "grid", "train": {"epochs": 20}})
    trend = (build_report(tmp_path, "r-b") / "report.md").read_text(encoding="utf-8")
    trend = trend[trend.index("## Trend against the previous run") :].split("\n## ")[0]
    assert "No earlier run of identical suite content" in trend and "train.epochs: 10 → 20" in trend
    _write_run(tmp_path, "r-c", started=START + timedelta(days=2), config={"name": "grid", "train": {"epochs": 20}})
    trend = (build_report(tmp_path, "r-c") / "report.md").read_text(encoding="utf-8")
    assert "against the previous run of suite **grid**, r-b" in trend
    assert config_changes('{"seeds": [0]}', '{"seeds": [0, 1], "x": 1}') == [
        "seeds: [0] → [0, 1]",
        "x: (absent) → 1",
    ]


def test_unknown_run_is_refused_listing_the_known_ones(store: Path, capsys: pytest.CaptureFixture) -> None:
    from sslbench.flows.cli import main

    with pytest.raises(ValueError, match="unknown run 'nope'.*known runs: r-1"):
        build_report(store, "nope")
    assert main(["report", "--out", str(store), "--run", "nope"]) == 2
    assert "unknown run 'nope'" in capsys.readouterr().err and not (store / "reports" / "nope").exists()


def test_loss_curves_leave_out_the_supervised_label_subset_jobs() -> None:
    from sslbench.results.query import full_label_jobs

    jobs = pd.DataFrame(
        {
            "job_id": ["a", "b", "c"],
            "config": [json.dumps({"label_fraction": 1.0}), json.dumps({"label_fraction": 0.01}), None],
        }
    )
    assert list(full_label_jobs(jobs)["job_id"]) == ["a", "c"]


def test_no_bold_anywhere_lands_on_a_baseline(store: Path) -> None:
    markdown = (build_report(store, "r-1") / "report.md").read_text(encoding="utf-8")
    header: list[str] = []
    bolds = 0
    for line in markdown.splitlines():
        if not line.startswith("| ") or line.startswith("|---"):
            header = [] if not line.startswith("|") else header
            continue
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        if not header:
            header = cells
            continue
        for column, cell in enumerate(cells):
            if cell.startswith("**"):
                bolds += 1
                assert "(baseline)" not in cells[0] and "supervised" not in cells[:2], line
                assert header[column] not in ("baseline", "supervised"), (header, line)
    assert bolds >= 3  # the metric tables, the rank table and the family table each bold an SSL entry
