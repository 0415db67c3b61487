"""Probes on the validation part, and on scarce label subsets: what selection and label efficiency read.

- validation: the linear probe (C by CV inside the fitting rows) and kNN fitted on the training rows outside
  the validation part, scored on the validation part — ``linear_acc/validation``, ``linear_c/validation``,
  ``knn_acc/validation``. The report picks best configurations by these, never by test.
- label subsets: for each fraction f < 1 and draw d (``ssl_models.data.label_subsets``), the linear probe and
  kNN fitted on that subset of the training labels only (C by CV inside the subset when every class has at
  least ``cv_folds`` examples there, else the middle of the grid), scored once on test — ``label_linear_acc``,
  ``label_linear_c``, ``label_knn_acc`` with ``labels=f/draw=d``. At f = 1 the subset is the whole training
  split, whose probes are the ordinary ``linear_acc`` and ``knn_acc``.

kNN here uses k = min(``knn_neighbours``, the fewest examples of a class in the fitting rows): with one
labelled example per class a 5-NN vote is decided by other classes' examples.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from sslbench.ssl_models.configs import ProbeConfig
from sslbench.ssl_models.data.base import SplitData
from sslbench.ssl_models.data.label_subsets import label_subset
from sslbench.ssl_models.evaluate.metric_names import MetricName
from sslbench.ssl_models.evaluate.probes import knn_accuracy, linear_probe


def _probes(
    train: np.ndarray,
    y_train: np.ndarray,
    scored: np.ndarray,
    y_scored: np.ndarray,
    config: ProbeConfig,
    seed: int,
) -> dict[str, float]:
    """Linear probe and kNN; kNN's k is at most the fewest examples of a class (1 per class → 1-NN)."""
    accuracy, chosen, _ = linear_probe(train, y_train, scored, y_scored, config, seed)
    counts = np.bincount(y_train)
    neighbours = min(config.knn_neighbours, int(counts[counts > 0].min()))
    knn = knn_accuracy(train, y_train, scored, y_scored, dataclasses.replace(config, knn_neighbours=neighbours))
    return {"linear_acc": accuracy, "linear_c": chosen, "knn_acc": knn}


def validation_metrics(train: np.ndarray, split: SplitData, config: ProbeConfig, seed: int) -> dict[str, float]:
    """Probes fitted on ``split.fit_rows`` of the training embeddings, scored on its validation rows; {}
    without labels or without a validation part."""
    if split.y_train is None or not len(split.validation_rows):
        return {}
    fit, held_out = split.fit_rows, split.validation_rows
    scores = _probes(train[fit], split.y_train[fit], train[held_out], split.y_train[held_out], config, seed)
    return {MetricName(name, "validation").key(): value for name, value in scores.items()}


def label_subset_metrics(
    train: np.ndarray,
    y_train: np.ndarray,
    test: np.ndarray,
    y_test: np.ndarray,
    config: ProbeConfig,
    seed: int,
    fraction: float,
    draw: int,
) -> dict[str, float]:
    """Test scores of the probes fitted on draw ``draw`` of ``fraction`` of the training labels."""
    rows = label_subset(y_train, fraction, seed, draw)
    scores = _probes(train[rows], y_train[rows], test, y_test, config, seed)
    return {
        MetricName(f"label_{name}", label_fraction=fraction, label_draw=draw).key(): value
        for name, value in scores.items()
    }


def label_efficiency_metrics(
    train: np.ndarray,
    y_train: np.ndarray | None,
    test: np.ndarray,
    y_test: np.ndarray | None,
    config: ProbeConfig,
    seed: int,
) -> dict[str, float]:
    """:func:`label_subset_metrics` for every fraction below 1 of ``config`` and every draw; {} without
    labels."""
    if y_train is None or y_test is None:
        return {}
    metrics: dict[str, float] = {}
    for fraction in config.scarce_fractions:
        for draw in range(config.label_draws):
            metrics.update(label_subset_metrics(train, y_train, test, y_test, config, seed, fraction, draw))
    return metrics
