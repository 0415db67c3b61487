"""The InfoGraph/GraphCL graph protocol: 10-fold CV over train ∪ test, an RBF SVM whose C is searched per fold."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.svm import SVC
from sslbench.results.report import build_report
from sslbench.results.store import write_rows
from sslbench.ssl_models import data
from sslbench.ssl_models.configs import ProbeConfig
from sslbench.ssl_models.data import RawDataset, split_dataset
from sslbench.ssl_models.evaluate import EvaluationContext, run_evaluators
from sslbench.ssl_models.evaluate.graph_svm_protocol import (
    C_GRID,
    cross_validate,
    graph_svm_cross_validation,
    outer_folds,
)
from sslbench.ssl_models.evaluate.registry import evaluator


def _blobs(n_per_class: int, n_classes: int, separation: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(n_classes), n_per_class)
    return rng.standard_normal((len(labels), 6)) + separation * labels[:, None], labels


def test_separable_embeddings_score_one_in_every_fold() -> None:
    embeddings, labels = _blobs(20, 3, separation=50.0)
    result = graph_svm_cross_validation(embeddings, labels, seed=0)
    assert result is not None and result.n_folds == 10
    assert result.fold_accuracies.tolist() == [1.0] * 10
    assert result.metrics() == {"graph_svm_acc": 1.0, "graph_svm_acc_std": 0.0, "graph_svm_folds": 10.0}


def test_noise_embeddings_score_near_chance() -> None:
    embeddings, labels = _blobs(100, 2, separation=0.0)
    result = graph_svm_cross_validation(embeddings, labels, seed=1)
    assert result is not None and abs(result.metrics()["graph_svm_acc"] - 0.5) < 0.1


def test_matches_the_reference_svc_grid_search_on_features() -> None:
    """Oracle: GraphCL's loop (SVC() with gamma="scale", GridSearchCV over C, 5 inner folds) on the same folds."""
    embeddings, labels = _blobs(30, 3, separation=0.6, seed=3)
    folds = outer_folds(labels, seed=4)
    ours = cross_validate(embeddings, labels, folds)
    accuracies, chosen = [], []
    for train, test in folds:
        search = GridSearchCV(SVC(), {"C": list(C_GRID)}, cv=StratifiedKFold(5)).fit(embeddings[train], labels[train])
        accuracies.append(np.mean(search.predict(embeddings[test]) == labels[test]))
        chosen.append(search.best_params_["C"])
    assert ours.chosen_c.tolist() == chosen
    assert ours.fold_accuracies == pytest.approx(accuracies)
    assert 0.4 < ours.metrics()["graph_svm_acc"] < 1.0  # a case where C matters, not a trivially separable one


def test_folds_are_seeded_stratified_and_invariant_to_renaming_classes() -> None:
    embeddings, labels = _blobs(15, 3, separation=1.0)
    first, again = outer_folds(labels, seed=7), outer_folds(labels, seed=7)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(first, again))
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(first, outer_folds(labels, seed=8)))
    assert all(set(np.bincount(labels[test], minlength=3)) <= {1, 2} for _, test in first)  # 15 per class, 10 folds
    renamed = np.array([2, 0, 1])[labels]
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(first, outer_folds(renamed, seed=7)))


def test_each_fold_chooses_c_on_its_training_part_only() -> None:
    """Changing the labels of one fold's test rows leaves that fold's chosen C unchanged (and its score not)."""
    embeddings, labels = _blobs(25, 2, separation=1.2, seed=5)
    folds = outer_folds(labels, seed=0)
    before = cross_validate(embeddings, labels, folds)
    changed = labels.copy()
    test_rows = folds[3][1]
    changed[test_rows] = 1 - changed[test_rows]
    after = cross_validate(embeddings, changed, folds)
    assert after.chosen_c[3] == before.chosen_c[3]
    assert after.fold_accuracies[3] == pytest.approx(1.0 - before.fold_accuracies[3])


def test_small_classes_get_fewer_folds_and_a_single_graph_class_none() -> None:
    embeddings, labels = _blobs(4, 2, separation=50.0)
    result = graph_svm_cross_validation(embeddings, labels, seed=0)
    assert result is not None and result.metrics()["graph_svm_folds"] == 4.0 and result.metrics()["graph_svm_acc"] == 1
    embeddings, labels = np.vstack([embeddings, embeddings[:1]]), np.append(labels, 2)
    assert graph_svm_cross_validation(embeddings, labels, seed=0) is None


def test_an_evaluator_declaring_an_unknown_modality_is_refused_with_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown modality graphs; valid: image, sequence, graph, vector"):
        evaluator("typo", modalities=("graphs",))


QUICK_PROBES = ProbeConfig(linear_c_grid=(1.0,), kmeans_restarts=1)  # the other evaluators, kept cheap


def _context(raw: RawDataset, test_fraction: float = 0.3) -> EvaluationContext:
    """The split of ``raw`` with each graph's first node row (mask, features, adjacency) as its embedding."""
    split = split_dataset(raw, seed=0, test_fraction=test_fraction)
    first_rows = [x[:, 0] if x.ndim == 3 else x for x in (split.x_train, split.x_test)]
    return EvaluationContext(split, 0, first_rows[0], first_rows[1], probe=QUICK_PROBES)


def test_runs_on_graph_jobs_over_train_and_test_and_on_no_other_modality() -> None:
    karate = data.DATASETS.get("karate_club")()  # bundled; communities of 13/12/4/5 members
    metrics = run_evaluators(_context(karate))
    assert metrics["graph_svm_folds"] == 4.0  # the smallest class (4) over train ∪ test, not over train alone
    assert 0.0 <= metrics["graph_svm_acc"] <= 1.0 and metrics["graph_svm_acc_std"] >= 0.0
    vectors = RawDataset("toy", "vector", karate.inputs[:, 0], karate.labels)
    assert "graph_svm_acc" not in run_evaluators(_context(vectors))
    unlabelled = RawDataset("karate", "graph", karate.inputs, None)
    assert "graph_svm_acc" not in run_evaluators(_context(unlabelled))


def _write_tu_set(raw_dir: Path, name: str, n_per_class: int) -> None:
    """``n_per_class`` triangles (label 1) and as many paths of 4 nodes (label -1), in the TU text format."""
    raw_dir.mkdir(parents=True)
    edges, indicator, graph_labels, node = [], [], [], 1
    for graph in range(2 * n_per_class):
        triangle = graph % 2 == 0
        size = 3 if triangle else 4
        pairs = [(0, 1), (1, 2), (0, 2)] if triangle else [(0, 1), (1, 2), (2, 3)]
        edges += [(node + a, node + b) for a, b in pairs] + [(node + b, node + a) for a, b in pairs]
        indicator += [graph + 1] * size
        graph_labels.append(1 if triangle else -1)
        node += size
    (raw_dir / f"{name}_A.txt").write_text("".join(f"{a}, {b}\n" for a, b in edges))
    (raw_dir / f"{name}_graph_indicator.txt").write_text("".join(f"{g}\n" for g in indicator))
    (raw_dir / f"{name}_graph_labels.txt").write_text("".join(f"{y}\n" for y in graph_labels))
    (raw_dir / f"{name}_node_labels.txt").write_text("".join(f"{i % 2}\n" for i in range(len(indicator))))


def test_a_tu_format_set_is_evaluated_under_the_protocol(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_tu_set(tmp_path / "TUDataset" / "MUTAG" / "raw", "MUTAG", n_per_class=6)
    monkeypatch.setenv("SSLBENCH_DATA", str(tmp_path))
    metrics = run_evaluators(_context(data.DATASETS.get("mutag")(), test_fraction=0.5))
    assert metrics["graph_svm_folds"] == 6.0 and metrics["graph_svm_acc"] == 1.0  # triangles vs paths: separable


def test_mutag_and_proteins_show_the_published_figures_beside_graph_svm_acc(tmp_path: Path) -> None:
    started = datetime(2026, 11, 1, tzinfo=UTC)
    jobs, metrics = [], []
    for dataset in ("mutag", "proteins"):
        for objective, family in (("simclr", "contrastive"), ("raw", "baseline")):
            for seed in (0, 1):
                job_id = f"{dataset}-{objective}-{seed}"
                encoder = "gin" if objective == "simclr" else ""
                jobs.append(
                    dict(
                        job_id=job_id,
                        dataset=dataset,
                        encoder=encoder,
                        objective=objective,
                        family=family,
                        seed=seed,
                        status="ok",
                    )
                )
                metrics += [
                    {"job_id": job_id, "metric": m, "split": "test", "value": v + 0.01 * seed}
                    for m, v in (
                        ("linear_acc", 0.8),
                        ("graph_svm_acc", 0.85),
                        ("graph_svm_acc_std", 0.05),
                        ("graph_svm_folds", 10.0),
                    )
                ]
    write_rows(tmp_path, "jobs", "r", jobs, part="all")
    write_rows(tmp_path, "metrics", "r", metrics, part="all")
    run = {"suite": "s", "status": "ok", "started": started, "finished": started, "n_jobs": 8, "n_failed": 0}
    write_rows(tmp_path, "runs", "r", [run], part="run")
    markdown = (build_report(tmp_path, "r") / "report.md").read_text(encoding="utf-8")
    mutag = markdown[markdown.index("## Dataset mutag") : markdown.index("## Dataset proteins")]
    title = "InfoGraph/GraphCL protocol accuracy (RBF SVM, 10-fold CV over train ∪ test; its own column, never used"
    assert f"### {title}" in mutag and f"#### {title}" in mutag  # the table, then its published figures
    assert "| InfoGraph, RBF SVM, 10-fold CV (mean ± std, via GraphMAE's table) (published) | 0.890 ± 0.011 |" in mutag
    assert "| GraphMAE, RBF SVM, 10-fold CV (mean ± std) (published) | 0.882 ± 0.013 |" in mutag
    assert "| gin | simclr | 2 | 0.855 | 0.055 | 10 |" in mutag  # the folds section: mean over seeds
    side_by_side = markdown[markdown.index("Best self-supervised result beside published figures") :]
    proteins_row = next(line for line in side_by_side.splitlines() if line.startswith("| proteins |"))
    assert "0.855 ± 0.007 | simclr · gin | test (no validation score) | 2 | 0.855" in proteins_row
    assert "0.744 ± 0.003 | 0.744 ± 0.004 | 0.753 ± 0.004" in proteins_row
