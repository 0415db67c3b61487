"""VICReg: variance–invariance–covariance regularisation of the two views' projections.

Bardes, Ponce & LeCun (2022), "VICReg: variance-invariance-covariance regularization for self-supervised
learning".

With projections Z, Z' (B, D), Var and Cov unbiased over the batch:

    s(Z, Z') = (1 / (B·D)) Σ_i ‖z_i − z'_i‖²                                      (invariance)
    v(Z)     = (1 / D) Σ_d max(0, γ − sqrt(Var(Z_d) + ε)),   γ = 1, ε = 1e-4        (variance)
    c(Z)     = (1 / D) Σ_{d≠e} Cov(Z)_de²                                          (covariance)
    loss     = λ s(Z, Z') + μ · ½ [v(Z) + v(Z')] + ν [c(Z) + c(Z')],   λ = μ = 25, ν = 1

The variance term is averaged over the two branches and the covariance term summed, as in the authors'
code with which the defaults were tuned (the paper's equation sums both). The paper's 8192-wide expander is
scaled down (512 wide, 3 layers) to the suite's small encoders.

Example::

    loss = VICRegLoss()(z_first_view, z_second_view)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.objectives._common import off_diagonal, projector, two_views
from sslbench.ssl_models.objectives.base import Batch, Objective
from sslbench.ssl_models.objectives.registry import OBJECTIVES
from sslbench.ssl_models.search_space import POSITIVE, Tunable
from torch import nn


def variance_term(projections: torch.Tensor, target_std: float = 1.0, eps: float = 1e-4) -> torch.Tensor:
    """v(Z) = mean_d max(0, γ − sqrt(Var(Z_d) + ε)), unbiased variance."""
    return torch.relu(target_std - torch.sqrt(projections.var(dim=0) + eps)).mean()


def covariance_term(projections: torch.Tensor) -> torch.Tensor:
    """c(Z) = Σ_{d≠e} Cov(Z)_de² / D, unbiased covariance."""
    centred = projections - projections.mean(dim=0)
    covariance = centred.T @ centred / (projections.shape[0] - 1)
    return (off_diagonal(covariance) ** 2).sum() / projections.shape[1]


class VICRegLoss(nn.Module):
    """λ·invariance + μ·variance + ν·covariance (see the module docstring)."""

    def __init__(
        self,
        invariance_weight: float = 25.0,
        variance_weight: float = 25.0,
        covariance_weight: float = 1.0,
        target_std: float = 1.0,
        eps: float = 1e-4,
    ) -> None:
        super().__init__()
        for name, value in (
            ("invariance_weight", invariance_weight),
            ("variance_weight", variance_weight),
            ("covariance_weight", covariance_weight),
        ):
            if value < 0:
                raise ValueError(f"{name} must be non-negative, got {value}")
        self.invariance_weight = invariance_weight
        self.variance_weight = variance_weight
        self.covariance_weight = covariance_weight
        self.target_std = target_std
        self.eps = eps

    def forward(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        if first.shape[0] < 2:
            raise ValueError("VICReg needs at least two examples per batch for its variance and covariance terms")
        invariance = F.mse_loss(first, second)
        variance = 0.5 * (
            variance_term(first, self.target_std, self.eps) + variance_term(second, self.target_std, self.eps)
        )
        covariance = covariance_term(first) + covariance_term(second)
        return (
            self.invariance_weight * invariance + self.variance_weight * variance + self.covariance_weight * covariance
        )


@OBJECTIVES.register("vicreg")
class VICReg(Objective):
    """Encoder + 3-layer expander (scaffolding) trained with the VICReg loss on two views."""

    family = "non-contrastive"
    search_space = {"invariance_weight": Tunable(5.0, 50.0, log=True, limits=POSITIVE)}
    n_views = 2

    def __init__(
        self,
        encoder: Encoder,
        invariance_weight: float = 25.0,
        variance_weight: float = 25.0,
        covariance_weight: float = 1.0,
        projection_dim: int = 512,
        hidden_dim: int = 512,
    ) -> None:
        super().__init__(encoder)
        self.projector = projector(encoder.embedding_dim, hidden_dim, projection_dim, depth=3)
        self.loss = VICRegLoss(invariance_weight, variance_weight, covariance_weight)

    def forward(self, batch: Batch) -> torch.Tensor:
        first, second = two_views(batch.views)
        return self.loss(self.projector(self.encoder(first)), self.projector(self.encoder(second)))
