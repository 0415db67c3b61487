"""Collapse diagnostics of an embedding matrix Z (N, D), of the projector's output, and the report's collapse
flags.

The ``collapse`` evaluator runs on every job: complete collapse of the embedding (``embedding_std``,
``effective_rank``, ``embedding_collapsed``) and, when the objective has a projector, of the projector's
output (``projection_*``) and dimensional collapse of the projector; ``collapsed`` is their union.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from sslbench.ssl_models.evaluate.embed import embed
from sslbench.ssl_models.evaluate.registry import Column, EvaluationContext, ReportSection, evaluator

# Dimensional collapse of the projector: its output keeps under half the effective rank of its input AND fills
# under a tenth of its own dimensions. Measured in the standard suite (MNIST-5k, 3 seeds): SimSiam without
# stop-gradient, rank ratio 0.21–0.38 and fraction 0.005–0.017; SimSiam 0.91–1.17 and 0.04–0.06; SimCLR on a
# 256-d pooled CNN embedding 0.42 but 0.38 (healthy: a 128-d projector cannot keep 107 effective dimensions);
# spectral contrastive 0.70–0.77 and 0.13–0.17; BYOL, triplet, Barlow Twins, VICReg ratio > 1.
DIMENSIONAL_COLLAPSE_RATIO = 0.5
DIMENSIONAL_COLLAPSE_FRACTION = 0.1


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
    """√D · mean_d std(z / ‖z‖)_d: ≈ 1 for well-spread embeddings, → 0 under collapse (Chen & He 2021, SimSiam
    §4).

    Uncentred (``centre=False``), as SimSiam measures it on the output of a cosine loss: a large offset shared
    by every vector reads as collapse, since all vectors then point the same way. ``centre=True`` first
    subtracts the mean vector, which a standardising linear probe ignores anyway: only the spread around the
    mean counts. Rows whose centred norm is below ``tolerance`` × the RMS norm of the uncentred rows are float
    noise around one point and count as zero, so a constant embedding still scores 0.
    """
    vectors = embeddings.astype(np.float64)
    if centre:
        scale = float(np.sqrt((vectors**2).sum(axis=1).mean()))
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

    ``centre`` as in :func:`normalised_std`: True for an encoder's embedding (read by probes that standardise
    it), False for a projector's output (read by a cosine loss).
    """
    std, rank = normalised_std(embeddings, centre=centre), effective_rank(embeddings)
    return {
        f"{prefix}embedding_std": std,
        f"{prefix}effective_rank": rank,
        f"{prefix}collapsed": float(is_collapsed(std, rank)),
    }


def projection_collapse(
    head: torch.nn.Module, embeddings: np.ndarray, encoder_rank: float, encoder_collapsed: float
) -> dict[str, float]:
    """Diagnostics of the projector's output (``projection_*``) and the job's overall ``collapsed`` flag.

    The projector is discarded scaffolding, but it is where the loss acts, and collapse shows there first
    (Chen & He 2021 measure it on the projector's output). Besides complete collapse of either space (see
    ``is_collapsed``), a job is flagged for *dimensional* collapse of the projector (Jing et al. 2022) when
    the loss has squeezed the embedding into a few directions: ``projection_rank_ratio`` = effective rank of
    the projector's output ÷ that of its input (the embedding) is below ``DIMENSIONAL_COLLAPSE_RATIO`` and
    ``projection_rank_fraction`` = that effective rank ÷ the output's dimension is below
    ``DIMENSIONAL_COLLAPSE_FRACTION``. A healthy projector keeps or expands its input's dimensions, or, when
    its output is narrower than a rich input, still fills a good part of it.
    """
    outputs = embed(head, embeddings)
    projection = collapse_diagnostics(outputs, prefix="projection_")
    ratio = projection["projection_effective_rank"] / max(encoder_rank, 1e-12)
    fraction = projection["projection_effective_rank"] / outputs.shape[1]
    projection["projection_rank_ratio"], projection["projection_rank_fraction"] = ratio, fraction
    projection["dimensional_collapse"] = float(
        ratio < DIMENSIONAL_COLLAPSE_RATIO and fraction < DIMENSIONAL_COLLAPSE_FRACTION
    )
    projection["collapsed"] = max(
        encoder_collapsed, projection["projection_collapsed"], projection["dimensional_collapse"]
    )
    return projection


def collapse_kind(metrics: Mapping[str, float]) -> str:
    """Which space collapsed: the embedding, the projector's output (completely), or the projector
    dimensionally."""
    if metrics.get("embedding_collapsed", 0.0) > 0.5:
        return "complete (embedding)"
    if metrics.get("projection_collapsed", 0.0) > 0.5:
        return "complete (projector)"
    if metrics.get("dimensional_collapse", 0.0) > 0.5:
        return "dimensional (projector)"
    # ``collapsed`` is the union of the three flags; older tables (no ``embedding_collapsed``) hold only it.
    return "complete (embedding)"


COLLAPSE_SECTION = ReportSection(
    "Collapse flags",
    "Jobs whose representation collapsed. *Complete*: in the encoder's embedding or in the projector's "
    "output (the space the loss acts on, where collapse shows first; Chen & He 2021), the normalised std "
    "(√D × mean std of L2-normalised vectors, measured around the mean for the embedding since the probes "
    "standardise it; ≈ 1 healthy) is below 0.1 or the effective rank below 1.5. *Dimensional* (Jing et al. "
    "2022): the projector's output keeps under half the effective rank of its input (rank ratio < 0.5) and "
    "fills under a tenth of its own dimensions; healthy projectors keep or expand their input's rank, or "
    "fill much of a narrower output.",
    columns=(
        Column("collapse", text=collapse_kind),
        Column("embedding std", "embedding_std"),
        Column("effective rank", "effective_rank", ".2f"),
        Column("projector std", "projection_embedding_std"),
        Column("projector rank", "projection_effective_rank", ".2f"),
        Column("rank ratio", "projection_rank_ratio", ".2f"),
    ),
    scope="run",
    needs=("collapsed",),
    reads=("embedding_collapsed", "projection_collapsed", "dimensional_collapse"),
    keep=lambda metrics: metrics["collapsed"] > 0.5,
    empty="No job collapsed.",
    absent="No job reported collapse diagnostics.",
)


def embedding_diagnostics(test: np.ndarray) -> dict[str, float]:
    """The embedding's ``embedding_std`` (centred), ``effective_rank``, and its flag as both
    ``embedding_collapsed`` and ``collapsed``."""
    metrics = collapse_diagnostics(test, centre=True)
    metrics["embedding_collapsed"] = metrics["collapsed"]
    return metrics


@evaluator("collapse", sections=(COLLAPSE_SECTION,), on_request=False)
def collapse(context: EvaluationContext) -> dict[str, float]:
    """The test embedding's diagnostics; with a projector also its output's, ``collapsed`` then their
    union."""
    metrics = embedding_diagnostics(context.test_embeddings)
    head = context.objective.projection_head() if context.objective is not None else None
    if head is not None:
        metrics.update(
            projection_collapse(head, context.test_embeddings, metrics["effective_rank"], metrics["collapsed"])
        )
    return metrics
