"""MoCo v3: a query branch with a predictor contrasts against a momentum encoder's keys of the other view.

Chen, Xie & He (2021), "An Empirical Study of Training Self-Supervised Vision Transformers" (MoCo v3).

Query q = p(g(f(v))) with projector g and predictor p; key k = g_ξ(f_ξ(v')) from a momentum (EMA) copy of
(f, g) that receives no gradient. With unit vectors q̄, k̄ and the in-batch keys as negatives (no queue), as in
the paper's Algorithm 1:

    ctr(q, k) = 2τ · (1 / B) Σ_i −log( exp(q̄_i · k̄_i / τ) / Σ_j exp(q̄_i · k̄_j / τ) )
    loss      = ctr(q(v1), k(v2)) + ctr(q(v2), k(v1))
    after each step: ξ ← m ξ + (1 − m) θ,  m on BYOL's cosine from ``momentum`` (0.99) to 1

τ = 0.2 as published for ViT; the factor 2τ is the paper's pseudo-code's. The paper's 4096-wide 3-layer
projector and 2-layer predictor (BatchNorm, a final BatchNorm without affine on the projector) with 256-d
outputs are scaled down to 512 / 128. Views: BYOL's asymmetric pair (``ASYMMETRIC_VIEWS``), as the paper uses.

Example::

    moco = MoCoV3(encoder, temperature=0.2)
    loss = moco(Batch(inputs=images, groups={"first": first, "second": second}))   # each (B, 1, *shape)
    loss.backward(); optimizer.step(); moco.after_step()
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from sslbench.ssl_models.augment.views import ASYMMETRIC_VIEWS, ViewGroup
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.objectives._common import MomentumSchedule, ema_update, frozen_copy, projector
from sslbench.ssl_models.objectives.base import Batch, Objective
from sslbench.ssl_models.objectives.byol import asymmetric_pair
from sslbench.ssl_models.objectives.registry import OBJECTIVES
from sslbench.ssl_models.search_space import MOMENTUM, POSITIVE, Tunable


def moco_contrastive_loss(queries: torch.Tensor, keys: torch.Tensor, temperature: float) -> torch.Tensor:
    """ctr(q, k) = 2τ · cross-entropy of the (B, B) logits q̄ k̄ᵀ / τ against the diagonal."""
    logits = F.normalize(queries, dim=1) @ F.normalize(keys, dim=1).T / temperature
    labels = torch.arange(len(queries), device=queries.device)
    return 2 * temperature * F.cross_entropy(logits, labels)


@OBJECTIVES.register("moco_v3")
class MoCoV3(MomentumSchedule, Objective):
    """Query encoder + projector + predictor against a momentum encoder + projector, symmetric InfoNCE."""

    family = "contrastive"
    search_space = {
        "temperature": Tunable(0.05, 1.0, log=True, limits=POSITIVE),
        "momentum": Tunable(0.9, 0.999, limits=MOMENTUM),
    }
    n_views = 2

    def __init__(
        self,
        encoder: Encoder,
        temperature: float = 0.2,
        momentum: float = 0.99,
        cosine_momentum: bool = True,
        projection_dim: int = 128,
        hidden_dim: int = 512,
    ) -> None:
        super().__init__(encoder)
        if temperature <= 0:
            raise ValueError(f"temperature must be positive, got {temperature}")
        self.temperature = temperature
        self.init_momentum(momentum, cosine_momentum)
        self.projector = projector(encoder.embedding_dim, hidden_dim, projection_dim, depth=3, final_norm=True)
        self.predictor = projector(projection_dim, hidden_dim, projection_dim)
        self.momentum_encoder = frozen_copy(encoder)
        self.momentum_projector = frozen_copy(self.projector)

    @classmethod
    def view_groups(cls, options: Mapping[str, Any] | None = None) -> tuple[ViewGroup, ...]:
        """BYOL's asymmetric pair of pipelines, ASYMMETRIC_VIEWS."""
        return ASYMMETRIC_VIEWS

    def forward(self, batch: Batch) -> torch.Tensor:
        first, second = asymmetric_pair(batch)
        query_first = self.predictor(self.projector(self.encoder(first)))
        query_second = self.predictor(self.projector(self.encoder(second)))
        with torch.no_grad():
            key_first = self.momentum_projector(self.momentum_encoder(first))
            key_second = self.momentum_projector(self.momentum_encoder(second))
        return moco_contrastive_loss(query_first, key_second, self.temperature) + moco_contrastive_loss(
            query_second, key_first, self.temperature
        )

    @torch.no_grad()
    def after_step(self) -> None:
        momentum = self.momentum
        ema_update(self.momentum_encoder, self.encoder, momentum)
        ema_update(self.momentum_projector, self.projector, momentum)
        self.step += 1
