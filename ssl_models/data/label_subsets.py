"""Label subsets for the label-efficiency protocol: stratified, nested, seeded draws of the training labels.

For a draw, every class c with n_c training examples gets its own random order (``numpy.random.default_rng``
seeded by (seed, LABEL_STREAM, draw)); the subset at fraction f keeps the first k_c(f) = min(n_c, max(1,
round(f · n_c))) examples of each class. k_c grows with f, so the subsets of one draw are nested (1 % ⊂ 10 % ⊂
100 %), every class keeps at least one example, and the class proportions follow the training split's
(stratified). At f = 1 the subset is the whole training split.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

FULL = 1.0
LABEL_STREAM = 2  # the draws' own random stream: numpy.random.default_rng([seed, LABEL_STREAM, draw])


def per_class_counts(labels: np.ndarray, fraction: float) -> np.ndarray:
    """k_c = min(n_c, max(1, round(fraction · n_c))) for every class c present (0 for absent classes)."""
    counts = np.bincount(labels)
    kept = np.minimum(counts, np.maximum(1, np.rint(fraction * counts).astype(np.int64)))
    return np.where(counts > 0, kept, 0)


def label_subset(labels: np.ndarray, fraction: float, seed: int, draw: int) -> np.ndarray:
    """Sorted row positions (into ``labels``) of the stratified subset at ``fraction`` of draw ``draw``."""
    if not 0.0 < fraction <= FULL:
        raise ValueError(f"a label fraction must be in (0, 1] (1 = every training label), got {fraction!r}")
    labels = np.asarray(labels, dtype=np.int64)
    if fraction == FULL:
        return np.arange(len(labels))
    rng = np.random.default_rng([seed, LABEL_STREAM, draw])
    kept = per_class_counts(labels, fraction)
    rows = [rng.permutation(np.flatnonzero(labels == c))[: kept[c]] for c in range(len(kept))]
    return np.sort(np.concatenate(rows)) if rows else np.zeros(0, dtype=np.int64)


def nested_label_subsets(
    labels: np.ndarray, fractions: Sequence[float], seed: int, draw: int
) -> dict[float, np.ndarray]:
    """{fraction: sorted row positions} of one draw, for every fraction; nested by construction."""
    return {fraction: label_subset(labels, fraction, seed, draw) for fraction in sorted(set(fractions))}
