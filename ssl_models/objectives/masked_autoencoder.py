"""Masked autoencoder: hide random units of the input behind a learned mask token and reconstruct the input.

He, Chen, Xie, Li, Dollár & Girshick (2022), "Masked autoencoders are scalable vision learners" (MAE);
Xie, Zhang, Cao, Lin, Bao, Yao, Dai & Hu (2022), "SimMIM: a simple framework for masked image modeling".

Masking happens in input space, as SimMIM's learned token replaces masked patches, so every encoder can be
trained (MAE proper drops masked patches, which only a token-set encoder can do). Units per layout:

    image (C, H, W)        non-overlapping p×p patches, p = ``patch_size``; token: one learned (C, p, p) patch
    sequence (C, T)        time steps; token: one learned (C,) step
    graph (M, 1 + F + M)   feature rows of real nodes (node mask, adjacency, padding untouched); token: (F,)
    vector (F,)            single features; token: one learned value per feature

Each example gets round(r · n_units) masked units, r = ``mask_ratio`` (n_units = its real nodes for graphs).
With m the entry mask, x̃ = (1 − m) ⊙ x + m ⊙ token, encoder f and decoder g (scaffolding, embedding → the
whole input):

    loss = Σ_e w_e (g(f(x̃))_e − x_e)² / Σ_e w_e
    w = data entries (``loss_on="all"``, default) or masked entries only (``loss_on="masked"``, as MAE/SimMIM)

The mask comes from the objective's own generator (``Objective.random_generator``), which
``ssl_models.train.pretrain`` seeds.

Example::

    encoder = build_encoder("cnn", (1, 28, 28), embedding_dim=64)
    mae = MaskedAutoencoder(encoder, mask_ratio=0.75, patch_size=4, loss_on="masked")
    loss = mae(Batch(inputs=images))
"""

from __future__ import annotations

import math

import torch
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.objectives._common import data_entries, graph_feature_count, infer_layout, make_decoder
from sslbench.ssl_models.objectives.base import Batch, Objective
from sslbench.ssl_models.objectives.registry import OBJECTIVES
from sslbench.ssl_models.search_space import FRACTION, Tunable
from sslbench.ssl_models.vocabulary import default_patch_size
from torch import nn

LOSS_ON = ("all", "masked")


@OBJECTIVES.register("masked_autoencoder")
class MaskedAutoencoder(Objective):
    """Replace a random ``mask_ratio`` of the input's units by a learned token; reconstruct the clean input.

    ``patch_size`` applies to images (default: ``default_patch_size``) and is ignored for other layouts, so one
    suite setting serves datasets of every modality; ``layout`` is inferred (see ``_common.infer_layout``).
    """

    family = "autoencoding"
    search_space = {"mask_ratio": Tunable(0.25, 0.9, limits=FRACTION)}

    def __init__(
        self,
        encoder: Encoder,
        mask_ratio: float = 0.75,
        patch_size: int | None = None,
        loss_on: str = "all",
        decoder: str = "mlp",
        hidden_dim: int = 512,
        layout: str | None = None,
    ) -> None:
        super().__init__(encoder)
        if not 0.0 < mask_ratio < 1.0:
            raise ValueError(f"mask_ratio must be in (0, 1), got {mask_ratio}")
        if loss_on not in LOSS_ON:
            raise ValueError(f"unknown loss_on '{loss_on}'; valid choices: {', '.join(LOSS_ON)}")
        self.mask_ratio = mask_ratio
        self.loss_on = loss_on
        self.layout = infer_layout(encoder, layout)
        shape = encoder.sample_shape
        self.patch_size: int | None = None
        if self.layout == "image":
            channels, height, width = shape
            self.patch_size = patch_size or default_patch_size(height, width)
            if height % self.patch_size or width % self.patch_size:
                raise ValueError(f"patch_size {self.patch_size} does not divide the {height}×{width} image")
            token_shape: tuple[int, ...] = (channels, self.patch_size, self.patch_size)
        elif self.layout == "sequence":
            token_shape = (shape[0],)
        elif self.layout == "graph":
            token_shape = (graph_feature_count(shape),)
        else:
            token_shape = shape
        self.mask_token = nn.Parameter(torch.zeros(token_shape))
        nn.init.normal_(self.mask_token, std=0.02)
        self.decoder = make_decoder(encoder.embedding_dim, math.prod(shape), decoder, hidden_dim)

    def _unit_grid(self, inputs: torch.Tensor) -> tuple[int, ...]:
        """Shape of the per-example grid of maskable units."""
        if self.layout == "image":
            assert self.patch_size is not None  # set for the image layout
            return (inputs.shape[2] // self.patch_size, inputs.shape[3] // self.patch_size)
        if self.layout == "sequence":
            return (inputs.shape[2],)
        return (inputs.shape[1],)

    def random_mask(self, inputs: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Boolean unit mask (B, *unit_grid): exactly round(mask_ratio · n_units) masked units per example.

        Draws from ``generator`` (on the inputs' device), by default the objective's own.
        """
        generator = self.random_generator(inputs.device) if generator is None else generator
        grid = self._unit_grid(inputs)
        scores = torch.rand((inputs.shape[0], math.prod(grid)), generator=generator, device=inputs.device)
        if self.layout == "graph":
            real = inputs[:, :, 0] > 0.5
            scores = scores.masked_fill(~real, 2.0)
            n_units = real.sum(dim=1)
        else:
            n_units = torch.full((inputs.shape[0],), scores.shape[1], device=inputs.device)
        n_masked = torch.round(self.mask_ratio * n_units)
        ranks = scores.argsort(dim=1).argsort(dim=1)
        return (ranks < n_masked[:, None]).view(inputs.shape[0], *grid)

    def entry_mask(self, unit_mask: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """The unit mask spread over the input's entries: (B, *sample_shape) boolean."""
        if self.layout == "image":
            assert self.patch_size is not None  # set for the image layout
            pixels = unit_mask.repeat_interleave(self.patch_size, 1).repeat_interleave(self.patch_size, 2)
            return pixels[:, None].expand_as(inputs)
        if self.layout == "sequence":
            return unit_mask[:, None, :].expand_as(inputs)
        if self.layout == "graph":
            return data_entries(inputs, "graph") & unit_mask[:, :, None]
        return unit_mask

    def token_canvas(self, inputs: torch.Tensor) -> torch.Tensor:
        """The mask token laid over a whole example: (*sample_shape), broadcastable against the batch."""
        if self.layout == "image":
            assert self.patch_size is not None  # set for the image layout
            rows, columns = inputs.shape[2] // self.patch_size, inputs.shape[3] // self.patch_size
            return self.mask_token.repeat(1, rows, columns)
        if self.layout == "sequence":
            return self.mask_token[:, None].expand(*inputs.shape[1:])
        if self.layout == "graph":
            n_features = self.mask_token.shape[0]
            before = inputs.new_zeros(inputs.shape[1], 1)
            after = inputs.new_zeros(inputs.shape[1], inputs.shape[2] - 1 - n_features)
            return torch.cat([before, self.mask_token.expand(inputs.shape[1], n_features), after], dim=1)
        return self.mask_token

    def apply_mask(self, inputs: torch.Tensor, entries: torch.Tensor) -> torch.Tensor:
        """x̃ = (1 − m) ⊙ x + m ⊙ token."""
        return torch.where(entries, self.token_canvas(inputs), inputs)

    def reconstruct(self, masked_inputs: torch.Tensor) -> torch.Tensor:
        """g(f(x̃)) reshaped like x."""
        return self.decoder(self.encoder(masked_inputs)).view_as(masked_inputs)

    def reconstruction_loss(
        self, reconstruction: torch.Tensor, inputs: torch.Tensor, entries: torch.Tensor
    ) -> torch.Tensor:
        """Mean squared error over the data entries (``loss_on="all"``) or the masked entries only."""
        real = data_entries(inputs, self.layout, self.encoder.padded)
        weight = entries & real if self.loss_on == "masked" else real
        return ((reconstruction - inputs) ** 2)[weight].mean()

    def forward(self, batch: Batch) -> torch.Tensor:
        entries = self.entry_mask(self.random_mask(batch.inputs), batch.inputs)
        return self.reconstruction_loss(self.reconstruct(self.apply_mask(batch.inputs, entries)), batch.inputs, entries)
