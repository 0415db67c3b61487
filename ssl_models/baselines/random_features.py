"""The random-features baseline: a fixed random projection of the raw input to the embedding dimension.

    z = vec(x) W,   W ∈ R^{d×k},   W_ij ~ N(0, 1/k) drawn from the job's seed

Johnson–Lindenstrauss: E‖z‖² = ‖x‖² and pairwise distances are kept up to a factor 1 ± O(1/√k), so it tells
how much of an encoder's score a k-dimensional bottleneck alone, with no learning, explains (Rahimi & Recht
2007 use such features for kernels; here without a non-linearity, so the probes see a random linear view of
the input).
"""

from __future__ import annotations

import numpy as np
from sslbench.ssl_models.baselines.base import BASELINES, Baseline, raw_features


def random_projection(n_features: int, embedding_dim: int, seed: int) -> np.ndarray:
    """W (n_features, embedding_dim) with entries N(0, 1/embedding_dim) from
    ``np.random.default_rng(seed)``."""
    if embedding_dim < 1:
        raise ValueError(f"random_features: embedding_dim must be positive, got {embedding_dim}")
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n_features, embedding_dim)) / np.sqrt(embedding_dim)).astype(np.float32)


@BASELINES.register("random_features")
class RandomFeatures(Baseline):
    """z = vec(x) W with a fixed Gaussian W (seeded): a k-dimensional random linear view of the input."""

    title = "random projection of the input"
    in_default_suite = False

    @classmethod
    def features(
        cls, train: np.ndarray, test: np.ndarray, embedding_dim: int, seed: int
    ) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
        """Both splits projected by the same W; nothing is fitted."""
        flat_train, flat_test = raw_features(train), raw_features(test)
        projection = random_projection(flat_train.shape[1], embedding_dim, seed)
        return flat_train @ projection, flat_test @ projection, {}
