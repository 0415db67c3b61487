"""Subspace comparisons: principal angles, and the Eckart–Young–Mirsky check of a linear autoencoder (the
``linear_autoencoder_pca`` evaluator, with its report section).

A linear autoencoder z = W x + b, x̂ = V z + c trained to the optimum of the squared reconstruction error
reaches PCA's rank-k error and reconstructs in the top-k principal subspace (Baldi & Hornik 1989;
Eckart–Young–Mirsky); at the optimum W = (VᵀV)⁻¹Vᵀ on the data, so W's row space *is* that subspace. W is fixed
only up to an invertible k×k map and, on data, only along the directions in which the data varies: a component
of W along a (near-)constant direction u moves z by a (near-)constant that the decoder's bias absorbs, so the
loss does not see it (on sklearn's digits, four pixels are always 0 and five more directions have variance
below 1e-4). The check therefore restricts W to the data's support S — the principal directions whose variance
is above ``SUPPORT_TOLERANCE`` × the largest — and compares row space(W P_S) with PCA's top-k subspace.

Not span Σ Wᵀ (where the best linear reconstruction from z lies): Σ pulls a tilted row towards the
high-variance directions, so a row space tilted by 20° into a low-variance direction read as 2.8° there.
"""

from __future__ import annotations

import numpy as np
from sslbench.ssl_models.baselines import PCA, raw_features
from sslbench.ssl_models.encoders.mlp import LinearEncoder
from sslbench.ssl_models.evaluate.embed import embed
from sslbench.ssl_models.evaluate.registry import Column, EvaluationContext, ReportSection, evaluator
from sslbench.ssl_models.objectives.autoencoder import Autoencoder
from torch import nn

# Principal directions with variance at most this fraction of the largest are outside the data's support.
SUPPORT_TOLERANCE = 1e-4


def principal_angles(basis_a: np.ndarray, basis_b: np.ndarray) -> np.ndarray:
    """Principal angles in degrees, ascending, between the row spaces of ``basis_a`` (k_a, n) and ``basis_b`` (k_b, n).

    With Q_a, Q_b orthonormal bases of the two spans (from an SVD of each), cos θ_i are the singular values
    of Q_aᵀ Q_b (Björck & Golub 1973); min(rank_a, rank_b) angles are returned.
    """
    a, b = np.atleast_2d(np.asarray(basis_a, dtype=np.float64)), np.atleast_2d(np.asarray(basis_b, dtype=np.float64))
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"bases live in different spaces: {a.shape[1]} vs {b.shape[1]} coordinates")
    q_a, q_b = _orthonormal_rows(a), _orthonormal_rows(b)
    cosines = np.linalg.svd(q_a @ q_b.T, compute_uv=False)
    return np.sort(np.degrees(np.arccos(np.clip(cosines, -1.0, 1.0))))


def _orthonormal_rows(basis: np.ndarray, tolerance: float = 1e-6) -> np.ndarray:
    """An orthonormal basis (r, n) of the row space of ``basis`` (right singular vectors), r its numerical rank."""
    _, singular, vt = np.linalg.svd(basis, full_matrices=False)
    rank = int((singular > tolerance * singular.max()).sum()) if singular.size and singular.max() > 0 else 0
    if rank == 0:
        raise ValueError("a basis spans only the zero vector")
    return vt[:rank]


def affine_map(encoder: nn.Module, sample_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(W, b) of an affine encoder z = W·flatten(x) + b, read off from its outputs at 0 and the unit vectors."""
    n_inputs = int(np.prod(sample_shape))
    probes = np.concatenate([np.zeros((1, n_inputs)), np.eye(n_inputs)]).astype(np.float32).reshape(-1, *sample_shape)
    outputs = embed(encoder, probes).astype(np.float64)
    return (outputs[1:] - outputs[0]).T, outputs[0]


def linear_autoencoder_vs_pca(encoder: nn.Module, train_inputs: np.ndarray, k: int) -> dict[str, float]:
    """Compare an affine encoder z = W x + b with the top-k PCA subspace of ``train_inputs``.

    Returns:
        pca_max_angle_deg: largest principal angle between row space(W P_S) (W restricted to the data's
            support S, see the module docstring) and the top-k principal directions;
        reconstruction_mse: mean squared error of the best affine reconstruction of x from z (least squares
            on the training data: no linear decoder does better);
        pca_optimal_mse: the rank-k optimum, PCA's reconstruction error (Eckart–Young–Mirsky).
    Raises ValueError when the encoder is not affine on the training data.
    """
    flat = raw_features(train_inputs).astype(np.float64)
    weight, bias = affine_map(encoder, tuple(train_inputs.shape[1:]))
    sample = train_inputs[:256]
    actual = embed(encoder, sample).astype(np.float64)
    tolerance = 1e-3 * max(1.0, np.abs(actual).max())
    if not np.allclose(actual, flat[: len(sample)] @ weight.T + bias, rtol=1e-3, atol=tolerance):
        raise ValueError(
            "the encoder is not affine (z = W x + b); the Eckart–Young–Mirsky check needs the 'linear' encoder"
        )
    pca = PCA(k).fit(train_inputs)
    centred = flat - pca.mean_
    codes = centred @ weight.T
    decoder, *_ = np.linalg.lstsq(codes, centred, rcond=None)
    return {
        "pca_max_angle_deg": float(principal_angles(weight @ support_projector(pca), pca.components_).max()),
        "reconstruction_mse": float(np.mean((centred - codes @ decoder) ** 2)),
        "pca_optimal_mse": pca.reconstruction_error(train_inputs),
    }


def support_projector(pca: PCA, tolerance: float = SUPPORT_TOLERANCE) -> np.ndarray:
    """P_S = U_S U_Sᵀ (d, d): orthogonal projector onto the principal directions with variance > tolerance × the
    largest.

    Uses the full SVD basis that ``pca`` computed on the training inputs (its ``basis_`` and ``singular_values_``).
    """
    variances = pca.singular_values_**2
    support = pca.basis_[variances > tolerance * variances.max()]
    return support.T @ support


EYM_SECTION = ReportSection(
    "Linear autoencoder vs PCA (Eckart–Young–Mirsky)",
    "At its optimum a linear autoencoder spans the top-k principal subspace: the largest principal angle to "
    "PCA's subspace → 0° and its reconstruction error → PCA's rank-k optimum (ratio → 1).",
    columns=(
        Column("max principal angle (°)", "pca_max_angle_deg", ".2f"),
        Column("reconstruction MSE", "reconstruction_mse", ".4g"),
        Column("PCA optimal MSE", "pca_optimal_mse", ".4g"),
        Column("MSE / optimum", text=lambda m: f"{m['reconstruction_mse'] / m['pca_optimal_mse']:.3f}"),
    ),
    needs=("pca_max_angle_deg", "reconstruction_mse", "pca_optimal_mse"),
)


def is_linear_autoencoder(context: EvaluationContext) -> bool:
    """A linear encoder with a linear decoder: the Eckart–Young–Mirsky setting, compared with PCA."""
    objective = context.objective
    return (
        isinstance(context.encoder, LinearEncoder)
        and isinstance(objective, Autoencoder)
        and isinstance(objective.decoder, nn.Linear)
    )


@evaluator("linear_autoencoder_pca", sections=(EYM_SECTION,), on_request=False)
def linear_autoencoder_pca(context: EvaluationContext) -> dict[str, float]:
    """:func:`linear_autoencoder_vs_pca` of a linear autoencoder's encoder at k = its embedding dimension."""
    encoder = context.encoder
    if encoder is None or not is_linear_autoencoder(context):
        return {}
    return linear_autoencoder_vs_pca(encoder, context.split.x_train, encoder.embedding_dim)
