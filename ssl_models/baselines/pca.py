"""The PCA baseline: the classic SVD recipe, fitted on the training split, read as its rank-k
reconstruction."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sslbench.ssl_models.baselines.base import BASELINES, Baseline, raw_features


class PCA:
    """Centre with the training mean, SVD X = U S Vᵀ, keep the top-k right singular vectors: z = (x − μ) V_k.

    Fitted on the training split only. Only directions the training data spans are kept: k = min(n_components,
    rank), the rank counting singular values s_i > max(n, d) · ε₃₂ · s_1 (numpy's ``matrix_rank`` rule at the
    float32 precision of the inputs). Centred data of n examples has rank ≤ n − 1 (≤ T − 1 for per-series
    z-normalised series of T steps), so past it singular values are rounding noise (1e-16 to 1e-8 × s_1): their
    directions are arbitrary, and a standardising probe would divide test projections by ~0.

    ``transform`` gives the k coordinates z = (x − μ) V_k; ``project`` the rank-k reconstruction
    x̂ = μ + (x − μ) V_k V_kᵀ in input coordinates (the Eckart–Young–Mirsky optimum). With k ≥ the rank, x̂ = x on
    the training split.

    ``scale`` (per-feature, > 0) fits the same recipe in standardised coordinates u = (x − μ) / σ: the principal
    subspace of the correlation matrix, as ``make_pipeline(StandardScaler(), PCA(k))``, with ``project`` mapping
    the reconstruction back, x̂ = μ + σ ⊙ (u V_k V_kᵀ). The baseline uses it (``PrincipalComponents``).
    """

    def __init__(self, n_components: int) -> None:
        if n_components < 1:
            raise ValueError(f"n_components must be positive, got {n_components}")
        self.n_components = n_components

    def fit(self, train: np.ndarray, scale: np.ndarray | None = None) -> PCA:
        centred = raw_features(train).astype(np.float64)
        self.mean_ = centred.mean(axis=0)
        self.scale_ = np.ones_like(self.mean_) if scale is None else np.asarray(scale, dtype=np.float64)
        centred -= self.mean_
        centred /= self.scale_
        singular, vt = _right_singular(centred)
        del centred
        tolerance = (
            max(train.shape[0], vt.shape[1]) * np.finfo(np.float32).eps * (singular[0] if singular.size else 0.0)
        )
        rank = int((singular > tolerance).sum())
        k = min(self.n_components, max(rank, 1))
        self.components_ = vt[:k]
        self.basis_ = vt[:rank]
        self.singular_values_ = singular[:rank]
        return self

    def _coordinates(self, rows: np.ndarray) -> np.ndarray:
        """(x − μ) / σ of float64 rows: the coordinates the principal subspace lives in."""
        return (rows - self.mean_) / self.scale_

    def transform(self, inputs: np.ndarray) -> np.ndarray:
        """The k principal coordinates z = ((x − μ) / σ) V_k (N, k)."""
        return _by_rows(inputs, lambda rows: self._coordinates(rows) @ self.components_.T)

    def project(self, inputs: np.ndarray) -> np.ndarray:
        """The rank-k reconstruction μ + σ ⊙ (((x − μ) / σ) V_k V_kᵀ) (N, d): x projected onto the top-k principal
        subspace (σ = 1 unless fitted with a scale)."""
        return _by_rows(
            inputs,
            lambda rows: self.mean_ + self.scale_ * (self._coordinates(rows) @ self.components_.T @ self.components_),
        )

    def reconstruction_error(self, inputs: np.ndarray) -> float:
        """Mean squared error of the rank-k reconstruction in the fitted coordinates, mean ‖u − u V_k V_kᵀ‖² / d
        with u = (x − μ) / σ (the Eckart–Young optimum; σ = 1 unless fitted with a scale)."""

        def squared_residuals(rows: np.ndarray) -> np.ndarray:
            coordinates = self._coordinates(rows)
            residual = coordinates - coordinates @ self.components_.T @ self.components_
            return np.sum(residual**2, axis=1, keepdims=True)

        residual = _by_rows(inputs, squared_residuals, dtype=np.float64)
        return float(residual.sum() / raw_features(inputs).size)


ROWS_PER_BLOCK = 2048  # float64 temporaries of one block stay ~16 MB at 1,000 features


def _right_singular(centred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Singular values s (descending) and right singular vectors Vᵀ of the centred (n, d) matrix X.

    With n ≥ d they come from the d × d Gram matrix, XᵀX = V S² Vᵀ (``eigh``), which needs no n × d factor U:
    a numpy SVD of a 9,600 × 1,000 float64 matrix peaked at 404 MB above its input, the Gram route at 8 MB. The
    squared singular values carry float64 rounding of ~1e-16 · s₁², far below the rank tolerance squared
    ((max(n, d) · ε₃₂)² ≈ 1e-10 or more); with n < d the thin SVD's U is only n × n and is used directly.
    """
    n_rows, n_features = centred.shape
    if n_rows < n_features:
        _, singular, vt = np.linalg.svd(centred, full_matrices=False)
        return singular, vt
    eigenvalues, vectors = np.linalg.eigh(centred.T @ centred)
    return np.sqrt(np.clip(eigenvalues[::-1], 0.0, None)), np.ascontiguousarray(vectors[:, ::-1].T)


def _by_rows(inputs: np.ndarray, compute: Callable[[np.ndarray], np.ndarray], dtype: type = np.float32) -> np.ndarray:
    """``compute`` on blocks of ``ROWS_PER_BLOCK`` flattened float64 rows, stacked as ``dtype``: the float64
    temporaries of a reconstruction are a block's size, not the whole split's."""
    flat = raw_features(inputs)
    blocks = [
        compute(flat[start : start + ROWS_PER_BLOCK].astype(np.float64))
        for start in range(0, len(flat), ROWS_PER_BLOCK)
    ]
    return np.concatenate(blocks).astype(dtype, copy=False) if blocks else np.zeros((0, flat.shape[1]), dtype=dtype)


@BASELINES.register("pca")
class PrincipalComponents(Baseline):
    """PCA of the standardised inputs (top ``embedding_dim`` principal directions of u = (x − μ) / σ, μ and σ the
    training mean and the probe's own per-feature scale, as scikit-learn's ``StandardScaler``), read as its rank-k
    reconstruction in input coordinates, x̂ = μ + σ ⊙ (u V_k V_kᵀ) (``PCA.project``).

    Why in the probe's metric: the linear probe standardises every representation with the same σ, so its
    weights live in the standardised space, and an L2-regularised logistic regression's weight vector lies in the
    span of its training points (the representer theorem). With k = the training rank the test projection then
    removes only what the probe's weights cannot see, and the PCA probe is the raw-input probe exactly. A PCA in
    the inputs' own metric removes a different (oblique) part: on BasicMotions (40 series of 600 values) its probe
    scored 0.725 against raw 0.775, this one 0.775. Below the rank it keeps the k directions of largest
    standardised variance (MNIST-5k, k = 64: 0.892, the unstandardised PCA 0.905, raw 0.900).

    With k = the rank the training reconstructions are the training inputs (x̂ = x exactly): they are returned
    as they are, because float rounding of the reconstruction (~1e-7) moved the ill-conditioned fit of a separable
    49-dimensional probe enough to flip one GunPoint test series.
    """

    title = "PCA (standardised, top-k)"
    marker = "D"

    @classmethod
    def features(
        cls, train: np.ndarray, test: np.ndarray, embedding_dim: int, seed: int
    ) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
        """Rank-k reconstructions of both splits, and ``pca_n_components`` = k actually kept (≤ the rank)."""
        flat_train = raw_features(train)
        from sklearn.preprocessing import StandardScaler  # here: listing baselines must not import scikit-learn

        scale = StandardScaler().fit(flat_train).scale_
        pca = PCA(embedding_dim).fit(flat_train, scale=scale)
        kept = pca.components_.shape[0]
        train_features = flat_train if kept == len(pca.singular_values_) else pca.project(flat_train)
        return train_features, pca.project(test), {"pca_n_components": float(kept)}
