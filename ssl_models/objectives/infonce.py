"""InfoNCE / NT-Xent, the SimCLR objective.

Chen, Kornblith, Norouzi & Hinton (2020), "A Simple Framework for Contrastive Learning of Visual
Representations" (SimCLR); van den Oord, Li & Vinyals (2018), "Representation Learning with Contrastive
Predictive Coding" (InfoNCE).

With projections z = g(f(x)) of 2B views (two per example), s_ij = cos(z_i, z_j) / τ and p(i) the other
view of the same example:

    loss = (1 / 2B) Σ_i −log( exp(s_{i,p(i)}) / Σ_{k≠i} exp(s_ik) )

Example::

    loss = NTXentLoss(temperature=0.5)(z_first_view, z_second_view)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.objectives._common import projector, two_views
from sslbench.ssl_models.objectives.base import Batch, Objective
from sslbench.ssl_models.objectives.registry import OBJECTIVES
from sslbench.ssl_models.search_space import POSITIVE, Tunable
from torch import nn


class NTXentLoss(nn.Module):
    """Normalised temperature-scaled cross entropy over the 2B views of a batch."""

    def __init__(self, temperature: float = 0.5) -> None:
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.temperature = temperature

    def forward(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        projections = F.normalize(torch.cat([first, second]), dim=1)
        similarity = projections @ projections.T / self.temperature
        n_pairs = first.shape[0]
        similarity.fill_diagonal_(float("-inf"))
        positives = torch.cat([torch.arange(n_pairs, 2 * n_pairs), torch.arange(n_pairs)]).to(first.device)
        return F.cross_entropy(similarity, positives)


@OBJECTIVES.register("simclr")
class SimCLR(Objective):
    """Encoder + projector MLP (scaffolding) trained with NT-Xent on two augmented views."""

    family = "contrastive"
    search_space = {"temperature": Tunable(0.05, 1.0, log=True, limits=POSITIVE)}
    n_views = 2

    def __init__(
        self, encoder: Encoder, temperature: float = 0.5, projection_dim: int = 128, hidden_dim: int = 512
    ) -> None:
        super().__init__(encoder)
        self.projector = projector(encoder.embedding_dim, hidden_dim, projection_dim)
        self.loss = NTXentLoss(temperature)

    def forward(self, batch: Batch) -> torch.Tensor:
        first, second = two_views(batch.views)
        return self.loss(self.projector(self.encoder(first)), self.projector(self.encoder(second)))
