"""Probes, diagnostics and baselines on inputs whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA as SklearnPCA

from ssl_models import data
from ssl_models.baselines import PCA
from ssl_models.evaluate import ProbeConfig, effective_rank, evaluate_embeddings, normalised_std


def test_effective_rank_of_isotropic_and_collapsed_embeddings() -> None:
    rng = np.random.default_rng(0)
    assert effective_rank(rng.standard_normal((4000, 8))) == pytest.approx(8, rel=0.05)
    line = np.outer(rng.standard_normal(500), rng.standard_normal(8))
    assert effective_rank(line) == pytest.approx(1.0, abs=1e-3)
    assert normalised_std(np.ones((100, 8)) + 1e-9 * rng.standard_normal((100, 8))) < 0.01


def test_probes_separate_separable_classes_and_flag_no_collapse() -> None:
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 5)) * 10
    labels = rng.integers(0, 3, 300)
    points = centres[labels] + rng.standard_normal((300, 5))
    metrics = evaluate_embeddings(points[:200], labels[:200], points[200:], labels[200:], 3, seed=0,
                                  config=ProbeConfig(linear_c_grid=(0.1, 1.0), cv_folds=3))
    assert metrics["linear_acc"] == 1.0 and metrics["knn_acc"] == 1.0
    assert metrics["kmeans_nmi"] > 0.95 and metrics["collapsed"] == 0.0


def test_pca_baseline_matches_sklearn_up_to_sign() -> None:
    split = data.load("digits", seed=0)
    ours = PCA(5).fit(split.x_train).transform(split.x_test)
    theirs = SklearnPCA(5).fit(split.x_train.reshape(len(split.x_train), -1)).transform(split.x_test.reshape(len(split.x_test), -1))
    assert np.allclose(np.abs(ours), np.abs(theirs), atol=1e-4)


def test_split_is_stratified_seeded_and_disjoint() -> None:
    first, again, other = data.load("mnist5k", 0), data.load("mnist5k", 0), data.load("mnist5k", 1)
    assert np.bincount(first.y_test).tolist() == [100] * 10
    assert np.array_equal(first.test_index, again.test_index)
    assert not np.array_equal(first.test_index, other.test_index)
    assert not set(first.train_index) & set(first.test_index)
    assert len(first.train_index) + len(first.test_index) == 5000
