"""Alignment and uniformity of the L2-normalised test embedding (Wang & Isola 2020, §4), with its report
section.

    uniformity = log mean_{i≠j} exp(−t ‖ẑ_i − ẑ_j‖²),  t = 2      (lower: spread more evenly over the sphere)
    alignment  = mean_{i≠j, y_i = y_j} ‖ẑ_i − ẑ_j‖²                 (lower: classes tighter; with labels only)

ẑ = z / ‖z‖. The paper's alignment compares two views of one example; here a class plays the positive pair, so
no augmentation is needed at evaluation. At most ``MAX_POINTS`` test embeddings (the first ones) enter,
bounding the pairwise cost; a collapsed embedding has uniformity 0 (the maximum) and alignment 0.
"""

from __future__ import annotations

import numpy as np
from sslbench.ssl_models.evaluate.registry import Column, EvaluationContext, ReportSection, evaluator

TEMPERATURE = 2.0
MAX_POINTS = 2000
SECTION = ReportSection(
    "Alignment and uniformity (Wang & Isola 2020)",
    "Of the L2-normalised test embedding: uniformity = log mean exp(−2‖ẑᵢ − ẑⱼ‖²) over pairs (lower: "
    "spread more evenly over the sphere; 0 when collapsed to a point) and class alignment = mean "
    "‖ẑᵢ − ẑⱼ‖² over same-class pairs (lower: classes tighter). Mean over seeds.",
    columns=(Column("uniformity", "uniformity"), Column("class alignment", "class_alignment")),
    per="configuration",
)


def _unit_rows(embeddings: np.ndarray) -> np.ndarray:
    vectors = embeddings.astype(np.float64)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def _squared_distances(unit: np.ndarray) -> np.ndarray:
    """‖ẑ_i − ẑ_j‖² = 2 − 2 ẑ_i·ẑ_j for unit rows, clipped at 0 against rounding."""
    return np.clip(2.0 - 2.0 * unit @ unit.T, 0.0, None)


def uniformity(embeddings: np.ndarray, temperature: float = TEMPERATURE) -> float:
    """log mean_{i≠j} exp(−t ‖ẑ_i − ẑ_j‖²) of the rows of ``embeddings`` (N ≥ 2)."""
    distances = _squared_distances(_unit_rows(embeddings))
    off_diagonal = distances[~np.eye(len(distances), dtype=bool)]
    return float(np.log(np.mean(np.exp(-temperature * off_diagonal))))


def class_alignment(embeddings: np.ndarray, labels: np.ndarray) -> float:
    """mean ‖ẑ_i − ẑ_j‖² over pairs i ≠ j of the same label; nan when no class has two members."""
    distances = _squared_distances(_unit_rows(embeddings))
    same = (labels[:, None] == labels[None, :]) & ~np.eye(len(labels), dtype=bool)
    return float(distances[same].mean()) if same.any() else float("nan")


@evaluator("uniformity", sections=(SECTION,), on_request=False)
def alignment_uniformity(context: EvaluationContext) -> dict[str, float]:
    """``uniformity`` of the test embedding, and ``class_alignment`` when the test split is labelled."""
    test = context.test_embeddings[:MAX_POINTS]
    if len(test) < 2:
        return {}
    metrics = {"uniformity": uniformity(test)}
    alignment = class_alignment(test, context.split.y_test[:MAX_POINTS]) if context.split.y_test is not None else np.nan
    return metrics | ({"class_alignment": alignment} if np.isfinite(alignment) else {})
