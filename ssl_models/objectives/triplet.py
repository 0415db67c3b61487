"""Triplet loss on augmented views: pull an example's two views together, push another example's view away.

Schroff, Kalenichenko & Philbin (2015), "FaceNet: a unified embedding for face recognition and clustering";
Weinberger & Saul (2009), "Distance metric learning for large margin nearest neighbor classification".

With projections on the unit sphere, a_i = ĝ(f(v1_i)) (anchor: view 1), p_i = ĝ(f(v2_i)) (positive: view 2
of the same example) and n_i = p_{(i+s) mod B} (negative: view 2 of another example, the batch rolled by a
random shift s ∈ [1, B − 1] from the objective's generator), ĝ(·) = g(·) / ‖g(·)‖:

    loss = (1 / B) Σ_i max(0, ‖a_i − p_i‖² − ‖a_i − n_i‖² + α),   α = ``margin``

Normalisation: as in FaceNet the embedding lives on the unit sphere, so squared distances lie in [0, 4] and
the margin (FaceNet's 0.2) has a fixed scale; without it the loss is beaten by inflating the norm. The
projector g is scaffolding, as for SimCLR, so the two contrastive objectives differ only in their loss.

Example::

    loss = TripletLoss(margin=0.2)(anchors, positives, negatives)
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


class TripletLoss(nn.Module):
    """mean_i max(0, ‖a_i − p_i‖² − ‖a_i − n_i‖² + margin) on L2-normalised rows."""

    def __init__(self, margin: float = 0.2) -> None:
        super().__init__()
        if margin < 0:
            raise ValueError(f"margin must be non-negative, got {margin}")
        self.margin = margin

    def forward(self, anchors: torch.Tensor, positives: torch.Tensor, negatives: torch.Tensor) -> torch.Tensor:
        anchors, positives, negatives = (F.normalize(t, dim=1) for t in (anchors, positives, negatives))
        positive_distance = ((anchors - positives) ** 2).sum(dim=1)
        negative_distance = ((anchors - negatives) ** 2).sum(dim=1)
        return torch.relu(positive_distance - negative_distance + self.margin).mean()


@OBJECTIVES.register("triplet")
class Triplet(Objective):
    """Encoder + projector (scaffolding); anchor = view 1, positive = view 2, negative = another example's view 2."""

    family = "contrastive"
    search_space = {"margin": Tunable(0.05, 1.0, log=True, limits=POSITIVE)}
    n_views = 2

    def __init__(self, encoder: Encoder, margin: float = 0.2, projection_dim: int = 128, hidden_dim: int = 512) -> None:
        super().__init__(encoder)
        self.projector = projector(encoder.embedding_dim, hidden_dim, projection_dim)
        self.loss = TripletLoss(margin)

    def forward(self, batch: Batch) -> torch.Tensor:
        first, second = two_views(batch.views)
        if first.shape[0] < 2:
            raise ValueError("the triplet objective needs at least two examples per batch for negatives")
        anchors = self.projector(self.encoder(first))
        positives = self.projector(self.encoder(second))
        generator = self.random_generator(first.device)
        shift = int(torch.randint(1, first.shape[0], (), generator=generator, device=first.device))
        return self.loss(anchors, positives, positives.roll(shift, dims=0))
