"""Collapse diagnostics of an embedding matrix Z (N, D)."""

from __future__ import annotations

import numpy as np


def effective_rank(embeddings: np.ndarray) -> float:
    """exp(H(p)) with p_i = σ_i / Σ σ_j the normalised singular values of centred Z (Roy & Vetterli 2007).

    Ranges from 1 (complete dimensional collapse) to D (isotropic).
    """
    centred = embeddings - embeddings.mean(axis=0, keepdims=True)
    singular = np.linalg.svd(centred.astype(np.float64), compute_uv=False)
    total = singular.sum()
    if total <= 1e-12:
        return 1.0
    p = singular / total
    p = p[p > 0]
    return float(np.exp(-(p * np.log(p)).sum()))


def normalised_std(embeddings: np.ndarray, centre: bool = False, tolerance: float = 1e-5) -> float:
    """√D · mean_d std(z / ‖z‖)_d: ≈ 1 for well-spread embeddings, → 0 under collapse (Chen & He 2021, SimSiam §4).

    Uncentred (``centre=False``), as SimSiam measures it on the output of a cosine loss: a large offset shared by
    every vector reads as collapse, since all vectors then point the same way. ``centre=True`` first subtracts the
    mean vector, which a standardising linear probe ignores anyway: only the spread around the mean counts. Rows
    whose centred norm is below ``tolerance`` × the RMS norm of the uncentred rows are float noise around one point
    and count as zero, so a constant embedding still scores 0.
    """
    vectors = embeddings.astype(np.float64)
    if centre:
        scale = float(np.sqrt((vectors ** 2).sum(axis=1).mean()))
        vectors = vectors - vectors.mean(axis=0, keepdims=True)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = np.where(norms > tolerance * scale, vectors, 0.0)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.maximum(norms, 1e-12)
    return float(unit.std(axis=0).mean() * np.sqrt(vectors.shape[1]))


def is_collapsed(embedding_std: float, rank: float, std_threshold: float = 0.1, rank_threshold: float = 1.5) -> bool:
    """Flag collapse: the normalised std or the effective rank has fallen to a degenerate level."""
    return embedding_std < std_threshold or rank < rank_threshold


def collapse_diagnostics(embeddings: np.ndarray, prefix: str = "", centre: bool = False) -> dict[str, float]:
    """``{prefix}embedding_std``, ``{prefix}effective_rank`` and ``{prefix}collapsed`` (0/1) of Z (N, D).

    ``centre`` as in :func:`normalised_std`: True for an encoder's embedding (read by probes that standardise it),
    False for a projector's output (read by a cosine loss).
    """
    std, rank = normalised_std(embeddings, centre=centre), effective_rank(embeddings)
    return {f"{prefix}embedding_std": std, f"{prefix}effective_rank": rank, f"{prefix}collapsed": float(is_collapsed(std, rank))}
