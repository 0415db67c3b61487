"""Spectral contrastive loss: contrastive learning as a low-rank factorisation of the augmentation graph.

HaoChen, Wei, Gaidon & Ma (2021), "Provable guarantees for self-supervised deep learning with spectral
contrastive loss".

With projections z = g(f(x)) of the two views of B examples, z_i (view 1) and z'_j (view 2):

    loss = −2 · (1 / B) Σ_i z_iᵀ z'_i  +  (1 / (B(B − 1))) Σ_{i≠j} (z_iᵀ z'_j)²

the first term over positive pairs (x, x⁺), the second over independent pairs (x, x′), here the off-diagonal
pairs of the batch. As in the authors' code, a projection longer than ``max_norm`` (their √μ, μ = 1) is
rescaled to length ``max_norm`` first (None: no rescaling); this keeps the unbounded loss from diverging.

Example::

    loss = SpectralContrastiveLoss()(z_first_view, z_second_view)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.objectives._common import off_diagonal, projector, two_views
from sslbench.ssl_models.objectives.base import Batch, Objective
from sslbench.ssl_models.objectives.registry import OBJECTIVES
from torch import nn


class SpectralContrastiveLoss(nn.Module):
    """−2 mean_i z_iᵀz'_i + mean_{i≠j} (z_iᵀz'_j)², after clipping ‖z‖ to ``max_norm``."""

    def __init__(self, max_norm: float | None = 1.0) -> None:
        super().__init__()
        if max_norm is not None and max_norm <= 0:
            raise ValueError(f"max_norm must be positive or None, got {max_norm}")
        self.max_norm = max_norm

    def _clip(self, projections: torch.Tensor) -> torch.Tensor:
        if self.max_norm is None:
            return projections
        too_long = projections.norm(dim=1, keepdim=True) > self.max_norm
        return torch.where(too_long, F.normalize(projections, dim=1) * self.max_norm, projections)

    def forward(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        if first.shape[0] < 2:
            raise ValueError("the spectral contrastive loss needs at least two examples per batch")
        first, second = self._clip(first), self._clip(second)
        similarity = first @ second.T
        return -2.0 * similarity.diagonal().mean() + (off_diagonal(similarity) ** 2).mean()


@OBJECTIVES.register("spectral_contrastive")
class SpectralContrastive(Objective):
    """Encoder + projector (scaffolding) trained with the spectral contrastive loss on two views."""

    family = "contrastive"
    n_views = 2

    def __init__(
        self, encoder: Encoder, max_norm: float | None = 1.0, projection_dim: int = 128, hidden_dim: int = 512
    ) -> None:
        super().__init__(encoder)
        self.projector = projector(encoder.embedding_dim, hidden_dim, projection_dim)
        self.loss = SpectralContrastiveLoss(max_norm)

    def forward(self, batch: Batch) -> torch.Tensor:
        first, second = two_views(batch.views)
        return self.loss(self.projector(self.encoder(first)), self.projector(self.encoder(second)))
