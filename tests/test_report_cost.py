"""Cost beside quality: training seconds read from the jobs table, the accuracy × cost Pareto front, the report."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_runs import TinyRun
from sslbench.results.query import training_seconds
from sslbench.results.report import build_report
from sslbench.results.store import read_table, write_rows

from sslbench import results

FAMILY = {"raw": "baseline", "supervised": "supervised", "autoencoder": "autoencoding", "mae": "autoencoding"}


def _tables(cells: dict[tuple[str, str], tuple[float, float]], validation: dict | None = None) -> tuple:
    """metrics and jobs tables of one dataset: per (objective, encoder) its (accuracy, training seconds) on two
    seeds (± 0.01 and ± 1 s around them); ``validation`` gives a cell its validation accuracy."""
    metrics, jobs = [], []
    for (objective, encoder), (accuracy, seconds) in cells.items():
        for seed, offset in ((0, -1), (1, 1)):
            job_id = f"{objective}-{encoder}-{seed}"
            trains = seconds > 0
            jobs.append(
                dict(
                    run_id="r",
                    job_id=job_id,
                    dataset="toy",
                    encoder=encoder,
                    objective=objective,
                    seed=seed,
                    family=FAMILY.get(objective, "contrastive"),
                    status="ok",
                    config="{}",
                    train_seconds=seconds + offset if trains else None,
                    pretrain_seconds=None,
                    evaluate_seconds=2.0,
                )
            )
            metrics.append(
                dict(run_id="r", job_id=job_id, metric="linear_acc", split="test", value=accuracy + 0.01 * offset)
            )
            if validation is not None:
                metrics.append(
                    dict(
                        run_id="r",
                        job_id=job_id,
                        metric="linear_acc",
                        split="validation",
                        value=validation.get((objective, encoder), accuracy),
                    )
                )
    return pd.DataFrame(metrics), pd.DataFrame(jobs)


HAND_BUILT = {
    ("simclr", "mlp"): (0.90, 10.0),  # on the front, tied with vicreg · mlp
    ("vicreg", "mlp"): (0.90, 10.0),  # the same accuracy and cost: on the front too
    ("byol", "mlp"): (0.85, 10.0),  # equal cost, lower accuracy: dominated
    ("mae", "mlp"): (0.95, 100.0),  # the most accurate: on the front
    ("autoencoder", "mlp"): (0.80, 5.0),  # the cheapest: on the front
    ("autoencoder", "cnn"): (0.80, 50.0),  # dearer and worse than simclr · mlp: dominated
    ("raw", ""): (0.99, 0.0),  # a baseline that beats every cell on both: never on the front
    ("supervised", "mlp"): (0.99, 1.0),  # the supervised bound: never on the front either
}


def _front(front: pd.DataFrame) -> list[tuple[str, str]]:
    return list(zip(front["objective"], front["encoder"]))


def test_the_pareto_front_is_exactly_the_non_dominated_self_supervised_cells() -> None:
    metrics, jobs = _tables(HAND_BUILT)
    front = results.pareto_front(metrics, jobs, "toy")
    assert _front(front) == [("autoencoder", "mlp"), ("simclr", "mlp"), ("vicreg", "mlp"), ("mae", "mlp")]
    assert front["selected_on"].unique().tolist() == ["test"]  # no validation scores in these tables
    assert front["train_seconds"].tolist() == [5.0, 10.0, 10.0, 100.0]  # the mean over seeds of 4 and 6 s, …
    assert front["accuracy"].tolist() == pytest.approx([0.80, 0.90, 0.90, 0.95])
    assert results.pareto_front(metrics, jobs, "absent").empty


def test_the_front_compares_validation_accuracy_as_the_report_selects() -> None:
    metrics, jobs = _tables(HAND_BUILT, validation={("mae", "mlp"): 0.70})
    front = results.pareto_front(metrics, jobs, "toy")
    assert ("mae", "mlp") not in _front(front)  # best on test, dominated on validation: test selects nothing
    assert front["selected_on"].unique().tolist() == ["validation"]


def test_training_cost_is_read_from_the_jobs_table_with_its_fallbacks() -> None:
    jobs = pd.DataFrame(
        {
            "train_seconds": [7.0, None, None, 0.0],
            "pretrain_seconds": [99.0, 3.5, None, 0.2],  # a cache hit: the lookup only
        }
    )
    assert training_seconds(jobs).tolist() == [7.0, 3.5, 0.0, 0.0]  # schema 5, before it, no training


def test_a_tiny_runs_report_shows_its_jobs_tables_costs(tiny_run: TinyRun, tmp_path: Path) -> None:
    out = tiny_run.copy(tmp_path)
    jobs = read_table(out, "jobs").to_pandas()
    run_id = str(jobs["run_id"].iloc[0])
    simclr = jobs[jobs["objective"] == "simclr"].iloc[0]
    assert simclr["train_seconds"] > 0 and np.isnan(jobs[jobs["objective"] == "raw"]["train_seconds"]).all()
    # Costs are read, not re-measured: an edited train_seconds is what the report shows.
    row = simclr.drop(["run_id"]).to_dict() | {"train_seconds": 1234.5}
    write_rows(out, "jobs", run_id, [row], part=str(simclr["job_id"]))
    markdown = (build_report(out, run_id) / "report.md").read_text(encoding="utf-8")
    section = markdown[markdown.index("### Accuracy beside training cost") :]
    table = section[: section.index("\n#")]
    simclr_row = next(line for line in table.splitlines() if line.startswith("| simclr |"))
    assert "| 1234.5 |" in simclr_row
    ssl_rows = [line for line in table.splitlines() if line.startswith(("| simclr |", "| autoencoder |"))]
    assert sum(line.endswith("| ✓ |") for line in ssl_rows) >= 1  # the front is never empty
    raw_row = next(line for line in table.splitlines() if line.startswith("| raw (baseline) |"))
    assert "| 0.0 |" in raw_row and raw_row.endswith("| never (baseline) |")
    assert "### Accuracy against training cost" in markdown
    assert (out / "reports" / run_id / "cost_digits.png").read_bytes().startswith(b"\x89PNG")
