"""Autoencoder: the label is the input itself.

Rumelhart, Hinton & Williams (1986), "Learning internal representations by error propagation";
Hinton & Salakhutdinov (2006), "Reducing the dimensionality of data with neural networks".

    loss = (1 / (B·n)) Σ_i ‖x_i − g(f(x_i))‖²

with encoder f (the bottleneck of width embedding_dim) and decoder g (scaffolding). With a linear encoder
and ``decoder="linear"`` the optimum spans the top principal subspace (Eckart–Young–Mirsky; Baldi & Hornik 1989).

Example::

    encoder = build_encoder("mlp", (1, 28, 28), embedding_dim=64)
    loss = Autoencoder(encoder)(Batch(inputs=images))
"""

from __future__ import annotations

import math

import torch
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.objectives._common import make_decoder, reconstruction_error
from sslbench.ssl_models.objectives.base import Batch, Objective
from sslbench.ssl_models.objectives.registry import OBJECTIVES


@OBJECTIVES.register("autoencoder")
class Autoencoder(Objective):
    """Reconstruct the input from its embedding; mean squared error over all input entries."""

    family = "autoencoding"

    def __init__(self, encoder: Encoder, decoder: str = "mlp", hidden_dim: int = 512) -> None:
        super().__init__(encoder)
        self.decoder = make_decoder(encoder.embedding_dim, math.prod(encoder.sample_shape), decoder, hidden_dim)

    def reconstruct(self, inputs: torch.Tensor) -> torch.Tensor:
        """g(f(x)) reshaped like x."""
        return self.decoder(self.encoder(inputs)).view_as(inputs)

    def forward(self, batch: Batch) -> torch.Tensor:
        return reconstruction_error(self.reconstruct(batch.inputs), batch.inputs, self.encoder)
