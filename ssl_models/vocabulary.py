"""The words every layer shares: data modalities (= example layouts), objective families, default patch size.

Defined once here; datasets, encoders, objectives, the planner and the report import them.
"""

from __future__ import annotations

# How an example is laid out: (C, H, W) images, (C, T) sequences, padded (nodes, features) graphs, (D,)
# vectors.
MODALITIES = ("image", "sequence", "graph", "vector")
# Objective families, in the order the report lists them.
FAMILIES = ("autoencoding", "contrastive", "non-contrastive", "predictive", "supervised")
# The family of reference points that are neither self-supervised nor supervised (raw input, PCA, random
# encoder).
BASELINE_FAMILY = "baseline"
# Families whose rows are reference points, not self-supervised results (excluded from "best SSL").
REFERENCE_FAMILIES = ("supervised", BASELINE_FAMILY)
# Every family a job may have, in report order.
FAMILY_ORDER = FAMILIES + (BASELINE_FAMILY,)


def default_patch_size(height: int, width: int) -> int:
    """The largest common divisor p of H and W with p ≤ min(H, W) / 7: at least 7×7 patches (4×4 pixels on
    MNIST, single pixels on 8×8 digits)."""
    limit = max(1, min(height, width) // 7)
    return max(p for p in range(1, limit + 1) if height % p == 0 and width % p == 0)
