"""Sparse autoencoder: reconstruct the input from a code that is mostly zero (or mostly near zero).

Olshausen & Field (1996), "Emergence of simple-cell receptive field properties by learning a sparse code for
natural images" (L1 penalty); Ng (2011), "Sparse autoencoder", CS294A lecture notes (KL penalty to a target
activation rate); Lee, Ekanadham & Ng (2008), "Sparse deep belief net model for visual area V2".

The code is the encoder's own embedding through a fixed elementwise non-linearity, h = a(f(x)), with
a = ReLU for ``sparsity="l1"`` and a = sigmoid for ``sparsity="kl"`` (rates need h ∈ (0, 1)). The decoder g
(scaffolding) reconstructs x from h:

    loss  = (1 / (B·n)) Σ_i ‖x_i − g(h_i)‖² + β · penalty
    l1:   penalty = (1 / (B·D)) Σ_i Σ_j |h_ij|
    kl:   penalty = (1 / D) Σ_j KL(ρ ‖ ρ̂_j),   ρ̂_j = (1 / B) Σ_i h_ij,
          KL(ρ ‖ ρ̂) = ρ log(ρ / ρ̂) + (1 − ρ) log((1 − ρ) / (1 − ρ̂))

with β = ``sparsity_weight`` and ρ = ``target_rate``. Both penalties are means over the D code units, so β
does not depend on the code width (Ng's β = 3 multiplies a sum over units and a per-example sum of squares).

Why the code is the embedding and not a wide scaffolding layer: only ``objective.encoder`` is evaluated, and
a sparse layer that is thrown away would leave a frozen encoder trained much like a plain autoencoder's.
Here the evaluated f(x) determines the sparse code unit by unit through a monotone map, so the probes see the
sparse code itself. The code is overcomplete when ``embedding_dim`` exceeds the input size: give the suite
(or a variant) a wide ``embedding_dim`` for that; at the suite's shared width, sparsity rather than width is
what differs from the other objectives.

Example::

    encoder = build_encoder("mlp", (1, 8, 8), embedding_dim=256)        # 256 > 64 inputs: overcomplete
    loss = SparseAutoencoder(encoder, sparsity="kl", target_rate=0.05)(Batch(inputs=images))
"""

from __future__ import annotations

import math

import torch
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.objectives._common import make_decoder, reconstruction_error
from sslbench.ssl_models.objectives.base import Batch, Objective
from sslbench.ssl_models.objectives.registry import OBJECTIVES
from sslbench.ssl_models.search_space import POSITIVE, Tunable

SPARSITY_PENALTIES = ("l1", "kl")


def l1_penalty(codes: torch.Tensor) -> torch.Tensor:
    """(1 / (B·D)) Σ_ij |h_ij|."""
    return codes.abs().mean()


def kl_penalty(codes: torch.Tensor, target_rate: float, eps: float = 1e-6) -> torch.Tensor:
    """(1 / D) Σ_j KL(ρ ‖ ρ̂_j) between Bernoulli(ρ) and Bernoulli(mean activation ρ̂_j of unit j)."""
    rate = codes.mean(dim=0).clamp(eps, 1 - eps)
    return torch.mean(
        target_rate * torch.log(target_rate / rate) + (1 - target_rate) * torch.log((1 - target_rate) / (1 - rate))
    )


@OBJECTIVES.register("sparse_autoencoder")
class SparseAutoencoder(Objective):
    """Autoencoder whose code h = ReLU(f(x)) (l1) or sigmoid(f(x)) (kl) pays a sparsity penalty."""

    family = "autoencoding"
    search_space = {"sparsity_weight": Tunable(1e-3, 1.0, log=True, limits=POSITIVE)}

    def __init__(
        self,
        encoder: Encoder,
        sparsity: str = "l1",
        sparsity_weight: float = 0.1,
        target_rate: float = 0.05,
        decoder: str = "mlp",
        hidden_dim: int = 512,
    ) -> None:
        super().__init__(encoder)
        if sparsity not in SPARSITY_PENALTIES:
            raise ValueError(
                f"unknown sparsity '{sparsity}'; valid sparsity penalties: {', '.join(SPARSITY_PENALTIES)}"
            )
        if sparsity_weight < 0:
            raise ValueError(f"sparsity_weight must be non-negative, got {sparsity_weight}")
        if not 0.0 < target_rate < 1.0:
            raise ValueError(f"target_rate must be in (0, 1), got {target_rate}")
        self.sparsity = sparsity
        self.sparsity_weight = sparsity_weight
        self.target_rate = target_rate
        self.decoder = make_decoder(encoder.embedding_dim, math.prod(encoder.sample_shape), decoder, hidden_dim)

    def code(self, inputs: torch.Tensor) -> torch.Tensor:
        """h = ReLU(f(x)) for the l1 penalty, sigmoid(f(x)) for the kl penalty; (B, embedding_dim)."""
        embedding = self.encoder(inputs)
        return torch.relu(embedding) if self.sparsity == "l1" else torch.sigmoid(embedding)

    def penalty(self, codes: torch.Tensor) -> torch.Tensor:
        """The unweighted sparsity penalty of a batch of codes."""
        return l1_penalty(codes) if self.sparsity == "l1" else kl_penalty(codes, self.target_rate)

    def forward(self, batch: Batch) -> torch.Tensor:
        codes = self.code(batch.inputs)
        reconstruction = self.decoder(codes).view_as(batch.inputs)
        return reconstruction_error(reconstruction, batch.inputs, self.encoder) + self.sparsity_weight * self.penalty(
            codes
        )
