"""Validation part and label subsets: stratified, nested, seeded, at least one per class; nothing selected
ever sees test labels; the supervised baseline trains on the same subsets with the same step budget."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from helpers import evaluate_embeddings
from hypothesis import given, settings
from hypothesis import strategies as st
from sslbench.benchmarks.plan import make_plan
from sslbench.benchmarks.suite import SuiteError, suite_from_dict
from sslbench.ssl_models import data
from sslbench.ssl_models.baselines import raw_features
from sslbench.ssl_models.configs import ProbeConfig, TrainConfig
from sslbench.ssl_models.data.base import RawDataset
from sslbench.ssl_models.data.label_subsets import label_subset, nested_label_subsets
from sslbench.ssl_models.data.splits import validation_rows
from sslbench.ssl_models.evaluate.label_efficiency import label_efficiency_metrics, validation_metrics
from sslbench.ssl_models.evaluate.metric_names import MetricName

FRACTIONS = (0.01, 0.1, 1.0)


def _labels(counts: list[int], seed: int = 0) -> np.ndarray:
    """Shuffled labels with ``counts[c]`` examples of class c."""
    labels = np.repeat(np.arange(len(counts)), counts)
    return np.random.default_rng(seed).permutation(labels)


@settings(max_examples=40, deadline=None)
@given(
    counts=st.lists(st.integers(1, 60), min_size=1, max_size=8),
    seed=st.integers(0, 2**32 - 1),
    draw=st.integers(0, 5),
)
def test_label_subsets_are_nested_stratified_seeded_and_keep_every_class(
    counts: list[int], seed: int, draw: int
) -> None:
    labels = _labels(counts)
    subsets = nested_label_subsets(labels, FRACTIONS, seed, draw)
    assert np.array_equal(subsets[1.0], np.arange(len(labels)))
    assert set(subsets[0.01]) <= set(subsets[0.1]) <= set(subsets[1.0])  # nested
    for fraction, rows in subsets.items():
        kept = np.bincount(labels[rows], minlength=len(counts))
        expected = np.minimum(counts, np.maximum(1, np.rint(fraction * np.array(counts))))
        assert np.array_equal(kept, expected)  # stratified, ≥ 1 per class
        assert len(set(rows)) == len(rows)
    again = nested_label_subsets(labels, FRACTIONS, seed, draw)
    assert all(np.array_equal(again[f], subsets[f]) for f in FRACTIONS)  # seeded


def test_draws_differ_and_the_mnist5k_one_percent_subset_has_four_per_class() -> None:
    labels = _labels([400] * 10)  # MNIST-5k's 4000 training examples
    first, second = label_subset(labels, 0.01, 0, 0), label_subset(labels, 0.01, 0, 1)
    assert len(first) == 40 and np.array_equal(np.bincount(labels[first]), [4] * 10)
    assert not np.array_equal(first, second) and not np.array_equal(first, label_subset(labels, 0.01, 1, 0))
    with pytest.raises(ValueError, match=r"in \(0, 1\]"):
        label_subset(labels, 0.0, 0, 0)


@settings(max_examples=40, deadline=None)
@given(
    counts=st.lists(st.integers(1, 50), min_size=1, max_size=6),
    seed=st.integers(0, 1000),
    fraction=st.sampled_from([0.1, 0.2, 0.5]),
)
def test_validation_part_is_stratified_and_leaves_every_class_something_to_fit(
    counts: list[int], seed: int, fraction: float
) -> None:
    labels = _labels(counts)
    rows = validation_rows(labels, len(labels), fraction, seed)
    held, kept = (
        np.bincount(labels[rows], minlength=len(counts)),
        np.bincount(np.delete(labels, rows), minlength=len(counts)),
    )
    for c, n in enumerate(counts):
        assert kept[c] >= 1 and held[c] == (0 if n == 1 else min(n - 1, max(1, round(fraction * n))))
    assert np.array_equal(rows, validation_rows(labels, len(labels), fraction, seed))


def test_every_split_has_a_validation_part_inside_its_training_part() -> None:
    split = data.load("digits", seed=3, validation_fraction=0.25)
    assert set(split.validation_index) <= set(split.train_index) and not set(split.validation_index) & set(
        split.test_index
    )
    assert len(split.validation_rows) == pytest.approx(0.25 * len(split.train_index), abs=10)
    assert len(split.fit_rows) + len(split.validation_rows) == len(split.train_index)
    assert split.fingerprint() != data.load("digits", seed=3, validation_fraction=0.2).fingerprint()


def test_validation_rows_survive_save_and_load(tmp_path) -> None:
    split = data.load("digits", seed=1)
    split.save(tmp_path / "split.npz")
    loaded = data.SplitData.load(tmp_path / "split.npz")
    assert np.array_equal(loaded.validation_rows, split.validation_rows) and loaded.fingerprint() == split.fingerprint()


def test_permuting_test_labels_changes_no_selected_setting() -> None:
    """C of every probe, every validation score and every label subset are blind to the test labels; only the
    test scores themselves move."""
    split = data.load("digits", seed=0)
    config = ProbeConfig(label_fractions=FRACTIONS, label_draws=2, linear_c_grid=(0.001, 0.1, 10.0))
    train, test = raw_features(split.x_train), raw_features(split.x_test)
    permuted = np.random.default_rng(5).permutation(split.y_test)

    def selected(y_test: np.ndarray) -> dict[str, float]:
        metrics = evaluate_embeddings(train, split.y_train, test, y_test, split.n_classes, 0, config)
        metrics |= validation_metrics(train, split, config, 0)
        metrics |= label_efficiency_metrics(train, split.y_train, test, y_test, config, 0)
        return metrics

    original, shuffled = selected(split.y_test), selected(permuted)
    choices = [k for k in original if MetricName.parse(k).metric.endswith("_c") or MetricName.parse(k).split != "test"]
    assert len(choices) == 1 + 3 + 2 * 2  # linear_c; 3 validation scores; label_linear_c per draw
    assert {k: original[k] for k in choices} == {k: shuffled[k] for k in choices}
    assert original["linear_acc"] > 0.9 > shuffled["linear_acc"]  # the test score itself does see them


def test_metric_names_round_trip_and_name_what_was_selected() -> None:
    for name in (
        MetricName("linear_acc"),
        MetricName("linear_acc", "validation"),
        MetricName("label_knn_acc", label_fraction=0.01, label_draw=2),
    ):
        assert MetricName.parse(name.key()) == name
    assert (
        MetricName("label_linear_acc", label_fraction=0.1, label_draw=0).key() == "label_linear_acc/labels=0.1/draw=0"
    )
    assert MetricName("linear_acc").selected_on == "cv-train" and MetricName("knn_acc").selected_on == "none"
    with pytest.raises(ValueError, match="valid splits: test, validation"):
        MetricName("linear_acc", "train")


def _suite(**probe: object) -> dict:
    return {
        "name": "labels",
        "datasets": ["digits"],
        "encoders": ["mlp"],
        "objectives": ["simclr"],
        "baselines": ["raw", "supervised"],
        "seeds": [0, 1],
        "probe": probe,
    }


def test_suite_declares_label_fractions_and_draws_and_supervised_jobs_follow() -> None:
    default = make_plan(suite_from_dict(_suite()))
    assert [j.label_fraction for j in default.jobs if j.objective == "supervised"] == [1.0, 1.0]
    plan = make_plan(suite_from_dict(_suite(label_fractions=[0.01, 0.1, 1.0], label_draws=3)))
    supervised = [(j.seed, j.label_fraction, j.label_draw) for j in plan.jobs if j.objective == "supervised"]
    assert len(supervised) == 2 * (1 + 2 * 3) and (1, 0.01, 2) in supervised and (0, 1.0, 0) in supervised
    assert len({j.key() for j in plan.jobs}) == len(plan.jobs)
    assert "10% labels, draw 1" in next(j for j in plan.jobs if j.label_fraction == 0.1 and j.label_draw == 1).label()


@pytest.mark.parametrize(
    "probe, message",
    [
        ({"label_fractions": [0.0, 1.0]}, "label_fractions must be a non-empty list of numbers in (0, 1]"),
        ({"label_fractions": [0.1, 0.1]}, "must not repeat"),
        ({"label_draws": 0}, "label_draws must be an integer from 1 to 100"),
        ({"validation_fraction": 1.0}, "validation_fraction must be a number above 0 and below 1"),
    ],
)
def test_bad_label_settings_are_refused_in_one_line(probe: dict, message: str) -> None:
    with pytest.raises(SuiteError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        suite_from_dict(_suite(**probe))


def test_supervised_baseline_on_a_subset_trains_on_those_labels_with_the_full_step_budget() -> None:
    from sslbench.tasks.pretrain import _training_rows

    plan = make_plan(suite_from_dict(_suite(label_fractions=[0.1, 1.0])))
    job = next(j for j in plan.jobs if j.objective == "supervised" and j.label_fraction == 0.1)
    job = dataclasses.replace(job, train=TrainConfig(epochs=3, batch_size=64))
    split = data.load("digits", job.seed)
    bank = np.arange(len(split.x_train))[:, None]
    inputs, labels, banks, budget = _training_rows(job, split, {"default": bank})
    expected = label_subset(split.y_train, 0.1, job.seed, 0)
    assert np.array_equal(labels, split.y_train[expected]) and np.array_equal(banks["default"][:, 0], expected)
    assert len(inputs) == len(expected) and budget.iterations == 3 * (len(split.x_train) // 64)


def test_unlabelled_data_gets_a_validation_part_but_no_label_metrics() -> None:
    raw = RawDataset("blobs", "vector", np.random.default_rng(0).normal(size=(40, 3)).astype(np.float32), None)
    split = data.split_dataset(raw, seed=0)
    assert len(split.validation_rows) == round(0.2 * len(split.train_index))
    config = ProbeConfig(label_fractions=FRACTIONS)
    assert validation_metrics(split.x_train, split, config, 0) == {}
    assert label_efficiency_metrics(split.x_train, None, split.x_test, None, config, 0) == {}


def test_permuting_test_labels_leaves_the_selected_best_configuration_unchanged() -> None:
    """End to end over three representations: the real probes' metrics become tidy rows, and the configuration
    the report selects, with every chosen C, is the same whether or not the test labels are shuffled."""
    import pandas as pd
    from sslbench.results.selection import best_configuration
    from sslbench.ssl_models.baselines import PCA

    split = data.load("digits", seed=2)
    config = ProbeConfig(label_fractions=(0.1, 1.0))
    representations = {}
    for components in (2, 6, 24):
        pca = PCA(components).fit(split.x_train)
        representations[f"pca{components}"] = (pca.transform(split.x_train), pca.transform(split.x_test))

    def rows(y_test: np.ndarray) -> pd.DataFrame:
        frame = []
        for objective, (train, test) in representations.items():
            metrics = evaluate_embeddings(train, split.y_train, test, y_test, split.n_classes, 0, config)
            metrics |= validation_metrics(train, split, config, 0)
            metrics |= label_efficiency_metrics(train, split.y_train, test, y_test, config, 0)
            frame += [
                {
                    "objective": objective,
                    "encoder": "mlp",
                    "family": "contrastive",
                    "seed": 0,
                    "metric": MetricName.parse(k).metric,
                    "split": MetricName.parse(k).split,
                    "value": v,
                }
                for k, v in metrics.items()
            ]
        return pd.DataFrame(frame)

    original = rows(split.y_test)
    shuffled = rows(np.random.default_rng(1).permutation(split.y_test))
    for metric in ("linear_acc", "knn_acc"):
        assert best_configuration(original, metric) == best_configuration(shuffled, metric)
        assert best_configuration(original, metric).selected_on == "validation"
    chosen = original["metric"].str.endswith("_c") | (original["split"] == "validation")
    assert original[chosen].reset_index(drop=True).equals(shuffled[chosen].reset_index(drop=True))
    assert not original[~chosen].reset_index(drop=True).equals(shuffled[~chosen].reset_index(drop=True))
