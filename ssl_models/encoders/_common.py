"""Pieces shared by encoder families: the sequence view of a dataset, readout of per-step tokens, the traits of
a causal sequence encoder, and the residual stack that the state-space encoders share.

The sequence view (SSM, selective SSM, GRU, transformer over time steps):

    sequence (B, C, T)    → (B, T, C)       one step per time point, its C channels as features
    image    (B, C, H, W) → (B, H, C·W)     one step per row, the row's C·W pixels as features
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.padding import step_mask
from torch import nn

POOLINGS = ("last", "mean")


def sequence_dims(sample_shape: tuple[int, ...], family: str) -> tuple[int, int]:
    """(steps, features per step) of the sequence view of examples of ``sample_shape``."""
    if len(sample_shape) == 2:
        channels, steps = sample_shape
        return steps, channels
    if len(sample_shape) == 3:
        channels, height, width = sample_shape
        return height, channels * width
    raise ValueError(
        f"{family} reads (C, T) sequences or (C, H, W) images, got examples of shape {tuple(sample_shape)}"
    )


def as_sequence(inputs: torch.Tensor) -> torch.Tensor:
    """(B, C, T) → (B, T, C); (B, C, H, W) → (B, H, C·W) (an image as a sequence of rows)."""
    if inputs.dim() == 3:
        return inputs.transpose(1, 2)
    if inputs.dim() == 4:
        batch, channels, height, width = inputs.shape
        return inputs.permute(0, 2, 1, 3).reshape(batch, height, channels * width)
    raise ValueError(f"expected a (B, C, T) or (B, C, H, W) batch, got shape {tuple(inputs.shape)}")


def check_pooling(pooling: str, family: str) -> str:
    """``pooling`` if it is one of POOLINGS; a ValueError naming the choices otherwise."""
    if pooling not in POOLINGS:
        raise ValueError(f"{family}: unknown pooling '{pooling}'; valid choices: {', '.join(POOLINGS)}")
    return pooling


def pool_tokens(tokens: torch.Tensor, pooling: str, lengths: torch.Tensor | None = None) -> torch.Tensor:
    """(B, T, D) → (B, D): the last step's token (causal: sees every step) or the mean over steps; with ``lengths``
    (B,), over each example's first ``lengths[b]`` steps only (the rest is padding)."""
    if lengths is None:
        return tokens[:, -1] if pooling == "last" else tokens.mean(dim=1)
    if pooling == "last":
        return tokens[torch.arange(len(tokens), device=tokens.device), lengths - 1]
    weights = step_mask(lengths, tokens.shape[1]).to(tokens.dtype)[:, :, None]
    return (tokens * weights).sum(dim=1) / lengths[:, None].to(tokens.dtype)


class CausalSequenceEncoder(Encoder):
    """A causal encoder of the sequence view with per-step ``tokens`` (B, T, D) whose embedding is
    head(pool(tokens)) over each example's unpadded steps: ``pooling`` "last" (the last step, which has seen the
    whole input; keeps the embedding causal) or "mean"."""

    modalities = ("image", "sequence")
    causal = True
    provides_tokens = True
    reads_padding = True
    pooling: str
    head: nn.Module

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.head(pool_tokens(self.tokens(inputs), self.pooling, self.valid_lengths(inputs)))


class ResidualSequenceEncoder(CausalSequenceEncoder):
    """Sequence view → Linear(features → d_model) → [x + Dropout(block(LayerNorm(x)))] × n_layers → LayerNorm.

    ``tokens`` are the final per-step features (B, T, d_model); the embedding is Linear(pool(tokens)). The norms
    act per step, so the stack is causal whenever each block is.
    """

    def __init__(
        self,
        sample_shape: tuple[int, ...],
        embedding_dim: int,
        make_block: Callable[[], nn.Module],
        d_model: int,
        n_layers: int,
        pooling: str,
        dropout: float,
        family: str,
    ) -> None:
        super().__init__(sample_shape, embedding_dim)
        if d_model < 1 or n_layers < 1:
            raise ValueError(f"{family}: d_model and n_layers must be positive, got {d_model} and {n_layers}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"{family}: dropout must be in [0, 1), got {dropout}")
        _, features = sequence_dims(self.sample_shape, family)
        self.pooling = check_pooling(pooling, family)
        self.input_projection = nn.Linear(features, d_model)
        self.blocks = nn.ModuleList(make_block() for _ in range(n_layers))
        self.norms = nn.ModuleList(nn.LayerNorm(d_model) for _ in range(n_layers))
        self.dropout = nn.Dropout(dropout)
        self.final_norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, embedding_dim)

    def tokens(self, inputs: torch.Tensor) -> torch.Tensor:
        """Per-step features (B, T, d_model); token t depends on steps 0..t only."""
        hidden = self.input_projection(as_sequence(inputs))
        for block, norm in zip(self.blocks, self.norms):
            hidden = hidden + self.dropout(block(norm(hidden)))
        return self.final_norm(hidden)
