"""Denoising autoencoder: reconstruct the clean input from a corrupted copy.

Vincent, Larochelle, Bengio & Manzagol (2008), "Extracting and composing robust features with denoising
autoencoders"; Vincent et al. (2010), "Stacked denoising autoencoders".

With corruption x̃ ~ q(x̃ | x), encoder f and decoder g (scaffolding), over the data entries E of x (every
entry; for dense graphs the feature columns of real nodes, see ``_common.data_entries``):

    loss = (1 / |E|) Σ_{(i,e) ∈ E} (g(f(x̃_i))_e − x_ie)²
    masking noise:   x̃_e = 0 with probability ``mask_fraction`` (each data entry independently), else x_e
    gaussian noise:  x̃_e = x_e + ε_e,  ε_e ~ N(0, ``noise_std``²)

The noise comes from the objective's own generator (``Objective.random_generator``), which
``ssl_models.train.pretrain`` seeds.

Example::

    encoder = build_encoder("mlp", (1, 28, 28), embedding_dim=64)
    loss = DenoisingAutoencoder(encoder, noise="gaussian", noise_std=0.3)(Batch(inputs=images))
"""

from __future__ import annotations

import math

import torch
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.objectives._common import data_entries, infer_layout, make_decoder
from sslbench.ssl_models.objectives.base import Batch, Objective
from sslbench.ssl_models.objectives.registry import OBJECTIVES
from sslbench.ssl_models.search_space import FRACTION, Tunable

NOISES = ("masking", "gaussian")


@OBJECTIVES.register("denoising_autoencoder")
class DenoisingAutoencoder(Objective):
    """Corrupt (masking or Gaussian noise) → encode → decode → squared error against the clean input."""

    family = "autoencoding"
    search_space = {"mask_fraction": Tunable(0.05, 0.75, limits=FRACTION)}

    def __init__(
        self,
        encoder: Encoder,
        noise: str = "masking",
        mask_fraction: float = 0.25,
        noise_std: float = 0.3,
        decoder: str = "mlp",
        hidden_dim: int = 512,
        layout: str | None = None,
    ) -> None:
        super().__init__(encoder)
        if noise not in NOISES:
            raise ValueError(f"unknown noise '{noise}'; valid noises: {', '.join(NOISES)}")
        if not 0.0 <= mask_fraction < 1.0:
            raise ValueError(f"mask_fraction must be in [0, 1), got {mask_fraction}")
        if noise_std < 0:
            raise ValueError(f"noise_std must be non-negative, got {noise_std}")
        self.noise = noise
        self.mask_fraction = mask_fraction
        self.noise_std = noise_std
        self.layout = infer_layout(encoder, layout)
        self.decoder = make_decoder(encoder.embedding_dim, math.prod(encoder.sample_shape), decoder, hidden_dim)

    def corrupt(self, inputs: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """x̃: the inputs with their data entries zeroed at random (masking) or perturbed (gaussian).

        Draws from ``generator`` (on the inputs' device), by default the objective's own.
        """
        generator = self.random_generator(inputs.device) if generator is None else generator
        entries = data_entries(inputs, self.layout, self.encoder.padded)
        if self.noise == "masking":
            draws = torch.rand(inputs.shape, generator=generator, device=inputs.device)
            return inputs.masked_fill(entries & (draws < self.mask_fraction), 0.0)
        noise = torch.randn(inputs.shape, generator=generator, device=inputs.device, dtype=inputs.dtype)
        return inputs + self.noise_std * noise * entries

    def reconstruction_loss(self, corrupted: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
        """Mean squared error of g(f(x̃)) against the clean x over its data entries."""
        reconstruction = self.decoder(self.encoder(corrupted)).view_as(clean)
        entries = data_entries(clean, self.layout, self.encoder.padded)
        return ((reconstruction - clean) ** 2)[entries].mean()

    def forward(self, batch: Batch) -> torch.Tensor:
        return self.reconstruction_loss(self.corrupt(batch.inputs), batch.inputs)
