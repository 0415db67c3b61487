"""SimSiam: a predictor matches the other view's projection, whose gradient is stopped.

Chen & He (2021), "Exploring simple Siamese representation learning".

With projections z = g(f(v)) (3-layer projector, batch-normalised output), predictions p = q(z) (2-layer
bottleneck predictor) and D(p, z) = −cos(p, z):

    loss = ½ D(p1, sg(z2)) + ½ D(p2, sg(z1)),   averaged over the batch, in [−1, 1]

sg = stop-gradient. ``stop_gradient=False`` is the paper's ablation: the loss heads for its degenerate minimum −1
and the outputs collapse (in short CPU runs visibly in the projector's output first, its effective rank halving,
while the encoder's embedding collapses only over long runs). The paper's 2048-wide projector and 512-wide predictor
bottleneck are
scaled down (512 and 128) to the suite's small encoders, keeping the 4:1 bottleneck.

Example::

    loss = SimSiam(encoder, stop_gradient=True)(Batch(inputs=images, views=views))   # views: (B, 2, *shape)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.objectives._common import projector, two_views
from sslbench.ssl_models.objectives.base import Batch, Objective
from sslbench.ssl_models.objectives.registry import OBJECTIVES


def negative_cosine(predictions: torch.Tensor, targets: torch.Tensor, stop_gradient: bool = True) -> torch.Tensor:
    """D(p, z) = −mean_i cos(p_i, z_i), with z detached when ``stop_gradient``."""
    if stop_gradient:
        targets = targets.detach()
    return -F.cosine_similarity(predictions, targets, dim=1).mean()


@OBJECTIVES.register("simsiam")
class SimSiam(Objective):
    """Encoder + projector + predictor (scaffolding); symmetric negative cosine with stop-gradient."""

    family = "non-contrastive"
    n_views = 2

    def __init__(
        self, encoder: Encoder, stop_gradient: bool = True, projection_dim: int = 512, predictor_hidden_dim: int = 128
    ) -> None:
        super().__init__(encoder)
        self.stop_gradient = stop_gradient
        self.projector = projector(encoder.embedding_dim, projection_dim, projection_dim, depth=3, final_norm=True)
        self.predictor = projector(projection_dim, predictor_hidden_dim, projection_dim)

    def forward(self, batch: Batch) -> torch.Tensor:
        first, second = two_views(batch.views)
        z_first, z_second = self.projector(self.encoder(first)), self.projector(self.encoder(second))
        p_first, p_second = self.predictor(z_first), self.predictor(z_second)
        return 0.5 * (
            negative_cosine(p_first, z_second, self.stop_gradient)
            + negative_cosine(p_second, z_first, self.stop_gradient)
        )
