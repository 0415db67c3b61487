"""Barlow Twins: make the cross-correlation of the two views' projections the identity matrix.

Zbontar, Jing, Misra, LeCun & Deny (2021), "Barlow Twins: self-supervised learning via redundancy reduction".

With projections z, z' (B, D) standardised over the batch, ẑ_d = (z_d − mean_b z_bd) / sqrt(var_b z_bd + ε)
(biased variance, ε = 1e-5, as BatchNorm without affine), and C = ẑᵀ ẑ' / B (D, D):

    loss = Σ_i (1 − C_ii)² + λ Σ_{i≠j} C_ij²,   λ = ``redundancy_weight`` = 5e-3

The paper's 3-layer 8192-wide projector is scaled down (512 wide) to the suite's small encoders.

Example::

    loss = BarlowTwinsLoss(redundancy_weight=5e-3)(z_first_view, z_second_view)
"""

from __future__ import annotations

import torch
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.objectives._common import off_diagonal, projector, two_views
from sslbench.ssl_models.objectives.base import Batch, Objective
from sslbench.ssl_models.objectives.registry import OBJECTIVES
from sslbench.ssl_models.search_space import POSITIVE, Tunable
from torch import nn


def standardise(projections: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """(z − batch mean) / sqrt(biased batch variance + ε), per dimension."""
    centred = projections - projections.mean(dim=0)
    return centred / torch.sqrt(projections.var(dim=0, unbiased=False) + eps)


def cross_correlation(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """C = ẑᵀ ẑ' / B of batch-standardised projections, (D, D)."""
    return standardise(first).T @ standardise(second) / first.shape[0]


class BarlowTwinsLoss(nn.Module):
    """Σ_i (1 − C_ii)² + λ Σ_{i≠j} C_ij² of the cross-correlation matrix C."""

    def __init__(self, redundancy_weight: float = 5e-3) -> None:
        super().__init__()
        if redundancy_weight < 0:
            raise ValueError(f"redundancy_weight must be non-negative, got {redundancy_weight}")
        self.redundancy_weight = redundancy_weight

    def forward(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        if first.shape[0] < 2:
            raise ValueError("Barlow Twins needs at least two examples per batch to standardise")
        correlation = cross_correlation(first, second)
        invariance = ((1.0 - correlation.diagonal()) ** 2).sum()
        redundancy = (off_diagonal(correlation) ** 2).sum()
        return invariance + self.redundancy_weight * redundancy


@OBJECTIVES.register("barlow_twins")
class BarlowTwins(Objective):
    """Encoder + 3-layer projector (scaffolding) trained with the Barlow Twins loss on two views."""

    family = "non-contrastive"
    search_space = {"redundancy_weight": Tunable(1e-3, 2e-2, log=True, limits=POSITIVE)}
    n_views = 2

    def __init__(
        self, encoder: Encoder, redundancy_weight: float = 5e-3, projection_dim: int = 512, hidden_dim: int = 512
    ) -> None:
        super().__init__(encoder)
        self.projector = projector(encoder.embedding_dim, hidden_dim, projection_dim, depth=3)
        self.loss = BarlowTwinsLoss(redundancy_weight)

    def forward(self, batch: Batch) -> torch.Tensor:
        first, second = two_views(batch.views)
        return self.loss(self.projector(self.encoder(first)), self.projector(self.encoder(second)))
