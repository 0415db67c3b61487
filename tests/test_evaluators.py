"""Evaluators are components: the task runs the registry, the report renders what each evaluator declares."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sslbench.results.report import build_report
from sslbench.results.store import write_rows
from sslbench.ssl_models.data import RawDataset, split_dataset
from sslbench.ssl_models.evaluate import EvaluationContext, evaluation_signature, run_evaluators
from sslbench.ssl_models.evaluate.registry import EVALUATORS, Column, Evaluator, ReportSection, report_sections
from sslbench.ssl_models.evaluate.uniformity import class_alignment, uniformity


def test_uniformity_and_alignment_match_hand_computed_values() -> None:
    angle = 0.7
    pair = np.array([[3.0, 0.0], [2.0 * np.cos(angle), 2.0 * np.sin(angle)]])  # norms 3 and 2: only directions count
    assert uniformity(pair) == pytest.approx(-2.0 * (2.0 - 2.0 * np.cos(angle)))
    assert uniformity(np.tile([[1.0, 2.0, 3.0]], (5, 1))) == pytest.approx(0.0)  # collapsed: the maximum
    square = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])  # distances² 2, 2, 4 from each point
    assert uniformity(square) == pytest.approx(np.log((2 * np.exp(-4.0) + np.exp(-8.0)) / 3))
    assert uniformity(square) < uniformity(square[[0, 1, 1, 0]] + 0.1)  # spread beats clustered
    labels = np.array([0, 0, 1, 1])
    assert class_alignment(square, labels) == pytest.approx(2.0)  # same-class pairs are perpendicular
    assert np.isnan(class_alignment(square, np.array([0, 1, 2, 3])))  # no class with two members


def _context(labelled: bool = True, evaluators: tuple[str, ...] = ()) -> EvaluationContext:
    rng = np.random.default_rng(0)
    inputs = rng.standard_normal((60, 5)).astype(np.float32)
    raw = RawDataset("toy", "vector", inputs, np.arange(60) % 3 if labelled else None, evaluators=evaluators)
    split = split_dataset(raw, seed=0, test_fraction=0.5)
    return EvaluationContext(split, 0, split.x_train, split.x_test)


def test_registry_runs_general_evaluators_always_and_named_ones_on_request() -> None:
    metrics = run_evaluators(_context())
    assert {"linear_acc", "effective_rank", "collapsed", "uniformity", "class_alignment"} <= set(metrics)
    assert "svm_acc" not in metrics and "next_step_mse" not in metrics
    assert "svm_acc" in run_evaluators(_context(evaluators=("svm_protocol",)))
    unlabelled = run_evaluators(_context(labelled=False))
    assert "kmeans_silhouette" in unlabelled and "class_alignment" not in unlabelled and "linear_acc" not in unlabelled


def test_a_registered_evaluator_reaches_the_report_and_the_cache_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = evaluation_signature()
    section = ReportSection(
        "Toy section", "Declared by a test evaluator.", columns=(Column("toy value", "toy_metric", ".2f"),)
    )
    monkeypatch.setitem(
        EVALUATORS._items,
        "toy",
        Evaluator(lambda context: {"toy_metric": 0.25}, sections=(section,), on_request=False),
    )
    assert evaluation_signature() != before and section in report_sections("dataset")
    assert run_evaluators(_context())["toy_metric"] == 0.25
    started = datetime(2026, 11, 1, tzinfo=UTC)
    write_rows(
        tmp_path,
        "jobs",
        "r",
        [
            {
                "job_id": "j",
                "dataset": "toy",
                "encoder": "mlp",
                "objective": "simclr",
                "family": "contrastive",
                "seed": 0,
                "status": "ok",
            }
        ],
        part="all",
    )
    write_rows(
        tmp_path,
        "metrics",
        "r",
        [
            {"job_id": "j", "metric": m, "split": "test", "value": v}
            for m, v in (("linear_acc", 0.5), ("toy_metric", 0.25))
        ],
        part="all",
    )
    write_rows(
        tmp_path,
        "runs",
        "r",
        [{"suite": "s", "status": "ok", "started": started, "finished": started, "n_jobs": 1, "n_failed": 0}],
        part="run",
    )
    markdown = (build_report(tmp_path, "r") / "report.md").read_text(encoding="utf-8")
    assert "### Toy section" in markdown and "| mlp | simclr | 0 | 0.25 |" in markdown
