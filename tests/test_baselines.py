"""Baselines are components: their traits drive the planner, and each encoder-free one's features are
checked."""

from __future__ import annotations

import numpy as np
import pytest
from sslbench.ssl_models.baselines import BASELINES, baseline_names, default_baselines, encoder_free_baselines
from sslbench.ssl_models.baselines.random_features import random_projection


def test_random_features_are_a_fixed_seeded_linear_map_of_the_input() -> None:
    rng = np.random.default_rng(3)
    train, test = (
        rng.standard_normal((40, 2, 3, 5)).astype(np.float32),
        rng.standard_normal((7, 2, 3, 5)).astype(np.float32),
    )
    features = BASELINES.get("random_features").features
    z_train, z_test, extra = features(train, test, 6, seed=11)
    assert z_train.shape == (40, 6) and z_test.shape == (7, 6) and extra == {}
    # The map is W itself: the features of the unit vectors are W's rows, and any input's are vec(x) W.
    basis = np.eye(30, dtype=np.float32).reshape(30, 2, 3, 5)
    weights, _, _ = features(basis, basis[:1], 6, seed=11)
    np.testing.assert_allclose(z_test, test.reshape(7, -1) @ weights, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(weights, random_projection(30, 6, 11))
    assert np.array_equal(features(train, test, 6, seed=11)[0], z_train)  # same seed, same features
    assert not np.allclose(features(train, test, 6, seed=12)[0], z_train)  # another seed, another map


def test_random_features_keep_squared_norms_in_expectation() -> None:
    """E‖x W‖² = ‖x‖² for W_ij ~ N(0, 1/k) (Johnson–Lindenstrauss); the mean ratio over 300 inputs at k =
    512."""
    inputs = np.random.default_rng(0).standard_normal((300, 50)).astype(np.float32)
    projected, _, _ = BASELINES.get("random_features").features(inputs, inputs[:1], 512, seed=5)
    ratios = (projected**2).sum(axis=1) / (inputs**2).sum(axis=1)
    assert ratios.mean() == pytest.approx(1.0, abs=0.05) and ratios.std() < 0.15
    with pytest.raises(ValueError, match="embedding_dim must be positive"):
        random_projection(50, 0, seed=0)


def test_traits_tell_encoder_free_trained_and_labelled_baselines_apart() -> None:
    assert encoder_free_baselines() == ["raw", "pca", "random_features"]
    assert [name for name in baseline_names() if BASELINES.get(name).trains] == ["supervised"]
    assert [name for name in baseline_names() if BASELINES.get(name).needs_labels] == ["supervised"]
    assert "random_features" not in default_baselines() and set(default_baselines()) == {
        "raw",
        "pca",
        "random",
        "supervised",
    }


def test_a_listed_baseline_is_planned_from_its_traits_alone() -> None:
    from sslbench.benchmarks.plan import make_plan
    from sslbench.benchmarks.suite import suite_from_dict

    suite = suite_from_dict(
        {
            "name": "t",
            "datasets": ["digits"],
            "encoders": ["mlp"],
            "objectives": ["autoencoder"],
            "baselines": ["random_features", "random", "supervised"],
            "seeds": [0, 1],
        }
    )
    jobs = {(job.seed, job.objective): job for job in make_plan(suite).jobs}
    features = jobs[(1, "random_features")]
    assert (features.encoder, features.objective_name, features.baseline, features.family) == (
        "",
        "",
        "random_features",
        "baseline",
    )
    assert not features.uses_encoder and not features.trains
    random, supervised = jobs[(0, "random")], jobs[(0, "supervised")]
    assert random.uses_encoder and not random.trains and random.objective_name == "autoencoder" and random.n_views == 0
    assert supervised.trains and supervised.objective_name == "supervised" and supervised.family == "supervised"
