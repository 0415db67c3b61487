"""Baselines that need no pretraining: the raw input, and PCA by the classic SVD recipe."""

from __future__ import annotations

import numpy as np


def raw_features(inputs: np.ndarray) -> np.ndarray:
    """The input itself, flattened to (N, n_features)."""
    return inputs.reshape(len(inputs), -1).astype(np.float32)


class PCA:
    """Centre with the training mean, SVD X = U S Vᵀ, keep the top-k right singular vectors: z = (x − μ) V_k.

    Fitted on the training split only.
    """

    def __init__(self, n_components: int) -> None:
        if n_components < 1:
            raise ValueError(f"n_components must be positive, got {n_components}")
        self.n_components = n_components

    def fit(self, train: np.ndarray) -> "PCA":
        flat = raw_features(train).astype(np.float64)
        self.mean_ = flat.mean(axis=0)
        _, singular, vt = np.linalg.svd(flat - self.mean_, full_matrices=False)
        k = min(self.n_components, vt.shape[0])
        self.components_ = vt[:k]
        self.singular_values_ = singular
        return self

    def transform(self, inputs: np.ndarray) -> np.ndarray:
        return ((raw_features(inputs) - self.mean_) @ self.components_.T).astype(np.float32)

    def reconstruction_error(self, inputs: np.ndarray) -> float:
        """Mean squared error of the rank-k reconstruction μ + (x − μ) V_k V_kᵀ (the Eckart–Young optimum)."""
        flat = raw_features(inputs) - self.mean_
        return float(np.mean((flat - flat @ self.components_.T @ self.components_) ** 2))
