"""BYOL: an online network predicts a slowly moving target network's projection of the other view.

Grill, Strub, Altché, Tallec, Richemond et al. (2020), "Bootstrap your own latent: a new approach to
self-supervised learning".

Online: q(g(f(v))) with projector g and predictor q; target: g_ξ(f_ξ(v)), an exponential moving average of
(f, g) that receives no gradient. With unit vectors ā = a / ‖a‖:

    ℓ(v, v') = ‖ q̄(g(f(v))) − ḡ_ξ(f_ξ(v')) ‖² = 2 − 2 cos(q(g(f(v))), g_ξ(f_ξ(v')))
    loss     = (1 / B) Σ_i [ℓ(v1_i, v2_i) + ℓ(v2_i, v1_i)]                     (symmetric, in [0, 8])
    after each step: ξ ← τ ξ + (1 − τ) θ,  τ_k = 1 − (1 − τ_base)(cos(π k / K) + 1) / 2

τ rises from τ_base = ``momentum`` (0.996) to 1 over the run's K steps when ``cosine_momentum`` (K comes from
``start_training``; without it, or with ``cosine_momentum=False``, τ stays τ_base). The paper's 4096-wide
hidden layers and 256-d projections are scaled down to the suite's small encoders. v1 and v2 come from the
paper's two asymmetric pipelines (``ASYMMETRIC_VIEWS``: Gaussian blur with probability 1.0 / 0.1, solarisation
0.0 / 0.2, on top of the modality's crop-and-affine pipeline); the paper's colour jitter, grey-scale and flips
are left out for grey-scale digits.

Example::

    byol = BYOL(encoder, momentum=0.99)
    loss = byol(Batch(inputs=images, groups={"first": first, "second": second}))   # each (B, 1, *shape)
    loss.backward(); optimizer.step(); byol.after_step()
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from sslbench.ssl_models.augment.views import ASYMMETRIC_VIEWS, ViewGroup
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.objectives._common import (
    MomentumSchedule,
    cosine_momentum_schedule,  # noqa: F401  (re-exported)
    ema_update,
    frozen_copy,
    projector,
)
from sslbench.ssl_models.objectives.base import Batch, Objective
from sslbench.ssl_models.objectives.registry import OBJECTIVES
from sslbench.ssl_models.search_space import MOMENTUM, Tunable


def byol_loss(predictions: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Per-example 2 − 2 cos(p, z), shape (B,)."""
    return 2.0 - 2.0 * F.cosine_similarity(predictions, targets, dim=1)


def asymmetric_pair(batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """The view of each example from the first and from the second of ASYMMETRIC_VIEWS, each (B, *shape)."""
    return batch.group(ASYMMETRIC_VIEWS[0].name)[:, 0], batch.group(ASYMMETRIC_VIEWS[1].name)[:, 0]


@OBJECTIVES.register("byol")
class BYOL(MomentumSchedule, Objective):
    """Online encoder + projector + predictor regress an EMA target's projection; ``after_step`` moves the target."""

    family = "non-contrastive"
    search_space = {"momentum": Tunable(0.9, 0.999, limits=MOMENTUM)}
    n_views = 2

    def __init__(
        self,
        encoder: Encoder,
        momentum: float = 0.996,
        cosine_momentum: bool = True,
        projection_dim: int = 128,
        hidden_dim: int = 512,
    ) -> None:
        super().__init__(encoder)
        self.init_momentum(momentum, cosine_momentum)
        self.projector = projector(encoder.embedding_dim, hidden_dim, projection_dim)
        self.predictor = projector(projection_dim, hidden_dim, projection_dim)
        self.target_encoder = frozen_copy(encoder)
        self.target_projector = frozen_copy(self.projector)

    @classmethod
    def view_groups(cls, options: Mapping[str, Any] | None = None) -> tuple[ViewGroup, ...]:
        """BYOL's two asymmetric pipelines, ASYMMETRIC_VIEWS (blur 1.0 / 0.1, solarisation 0.0 / 0.2)."""
        return ASYMMETRIC_VIEWS

    def forward(self, batch: Batch) -> torch.Tensor:
        first, second = asymmetric_pair(batch)
        online_first = self.predictor(self.projector(self.encoder(first)))
        online_second = self.predictor(self.projector(self.encoder(second)))
        with torch.no_grad():
            target_first = self.target_projector(self.target_encoder(first))
            target_second = self.target_projector(self.target_encoder(second))
        return (byol_loss(online_first, target_second) + byol_loss(online_second, target_first)).mean()

    @torch.no_grad()
    def after_step(self) -> None:
        momentum = self.momentum
        ema_update(self.target_encoder, self.encoder, momentum)
        ema_update(self.target_projector, self.projector, momentum)
        self.step += 1
