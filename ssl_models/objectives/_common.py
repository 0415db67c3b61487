"""Small pieces shared by objectives: projector MLPs, decoders, view selection, off-diagonal, EMA and its
momentum schedule, and the input layout (which entries of a native-modality example hold data)."""

from __future__ import annotations

import copy
import math

import torch
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.padding import step_mask, valid_lengths
from sslbench.ssl_models.vocabulary import MODALITIES as LAYOUTS
from torch import nn


def projector(in_dim: int, hidden_dim: int, out_dim: int, depth: int = 2, final_norm: bool = False) -> nn.Sequential:
    """[Linear → BatchNorm → ReLU] × (depth − 1) → Linear (→ BatchNorm without affine when ``final_norm``)."""
    layers: list[nn.Module] = []
    width = in_dim
    for _ in range(depth - 1):
        layers += [nn.Linear(width, hidden_dim), nn.BatchNorm1d(hidden_dim), nn.ReLU(inplace=True)]
        width = hidden_dim
    layers.append(nn.Linear(width, out_dim))
    if final_norm:
        layers.append(nn.BatchNorm1d(out_dim, affine=False))
    return nn.Sequential(*layers)


def make_decoder(embedding_dim: int, output_size: int, kind: str, hidden_dim: int) -> nn.Module:
    """A linear decoder, or an MLP decoder with one hidden layer: (B, embedding_dim) → (B, output_size)."""
    if kind == "linear":
        return nn.Linear(embedding_dim, output_size)
    if kind == "mlp":
        return nn.Sequential(
            nn.Linear(embedding_dim, hidden_dim), nn.ReLU(inplace=True), nn.Linear(hidden_dim, output_size)
        )
    raise ValueError(f"unknown decoder '{kind}'; valid decoders: linear, mlp")


def two_views(views: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a (B, 2, *shape) view tensor into its two (B, *shape) views."""
    if views is None or views.shape[1] < 2:
        raise ValueError("this objective needs two augmented views per example")
    return views[:, 0], views[:, 1]


def off_diagonal(matrix: torch.Tensor) -> torch.Tensor:
    """The off-diagonal entries of a square matrix, flattened."""
    n = matrix.shape[0]
    return matrix.flatten()[:-1].view(n - 1, n + 1)[:, 1:].flatten()


@torch.no_grad()
def ema_update(target: nn.Module, online: nn.Module, momentum: float) -> None:
    """θ_target ← m·θ_target + (1 − m)·θ_online for every parameter; buffers are copied."""
    for target_param, online_param in zip(target.parameters(), online.parameters()):
        target_param.mul_(momentum).add_(online_param.detach(), alpha=1.0 - momentum)
    for target_buffer, online_buffer in zip(target.buffers(), online.buffers()):
        target_buffer.copy_(online_buffer)


def frozen_copy(module: nn.Module) -> nn.Module:
    """A deep copy of ``module`` whose parameters get no gradient (an EMA target / teacher)."""
    target = copy.deepcopy(module)
    for parameter in target.parameters():
        parameter.requires_grad_(False)
    return target


def cosine_momentum_schedule(base: float, step: int, total_steps: int) -> float:
    """τ_k = 1 − (1 − τ_base)(cos(π k / K) + 1) / 2: τ_base at k = 0, 1 at k = K."""
    progress = min(step, total_steps) / total_steps
    return 1.0 - (1.0 - base) * (math.cos(math.pi * progress) + 1.0) / 2.0


class MomentumSchedule:
    """Mixin for objectives with an EMA target: τ rises from ``base_momentum`` to 1 on a cosine over the
    run's K steps (``cosine_momentum``; K from ``start_training``), or stays ``base_momentum``."""

    base_momentum: float
    cosine_momentum: bool
    total_steps: int | None
    step: int

    def init_momentum(self, momentum: float, cosine_momentum: bool) -> None:
        """Set τ_base and the schedule; τ_base must be in [0, 1]."""
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"momentum must be in [0, 1], got {momentum}")
        self.base_momentum, self.cosine_momentum = momentum, cosine_momentum
        self.total_steps, self.step = None, 0

    @property
    def momentum(self) -> float:
        """τ for the next target update."""
        if not self.cosine_momentum or not self.total_steps:
            return self.base_momentum
        return cosine_momentum_schedule(self.base_momentum, self.step, self.total_steps)

    def start_training(self, total_steps: int) -> None:
        """Start the schedule over ``total_steps`` optimiser steps."""
        self.total_steps = total_steps
        self.step = 0


def infer_layout(encoder: Encoder, layout: str | None = None) -> str:
    """How an example of ``encoder.sample_shape`` is laid out: one of LAYOUTS.

    (C, H, W) is an image and (F,) a vector; a 2-D shape is a (C, T) sequence or an (M, 1 + F + M) dense
    graph, told apart by the encoder's modalities. Pass ``layout`` when the encoder reads both.
    """
    if layout is not None:
        if layout not in LAYOUTS:
            raise ValueError(f"unknown layout '{layout}'; valid layouts: {', '.join(LAYOUTS)}")
        return layout
    rank = len(encoder.sample_shape)
    if rank == 3:
        return "image"
    if rank == 1:
        return "vector"
    if rank == 2:
        readable = [name for name in ("sequence", "graph") if name in encoder.modalities]
        if len(readable) == 1:
            return readable[0]
    raise ValueError(
        f"cannot tell the layout of examples of shape {encoder.sample_shape} for {type(encoder).__name__} "
        f"(modalities {', '.join(encoder.modalities) or 'none'}); pass layout= one of {', '.join(LAYOUTS)}"
    )


def graph_feature_count(sample_shape: tuple[int, ...]) -> int:
    """F of a dense graph (M, 1 + F + M), as ``ssl_models.data.graph_format.node_feature_count`` (which would
    import torch_geometric into every objective)."""
    max_nodes, width = sample_shape
    if width - 1 - max_nodes < 1:
        raise ValueError(f"not a dense graph shape (M, 1 + F + M): {tuple(sample_shape)}")
    return width - 1 - max_nodes


def data_entries(inputs: torch.Tensor, layout: str, padded: bool = False) -> torch.Tensor:
    """Boolean mask (B, *shape) of the entries that carry signal: every entry, except for dense graphs, where
    only the feature columns 1..F of real nodes do (the node-mask column, padding rows and adjacency do not), and
    for zero-padded (B, C, T) series (``padded``), where only the real steps do (``ssl_models.padding``)."""
    if padded and inputs.dim() == 3:
        return step_mask(valid_lengths(inputs), inputs.shape[2])[:, None, :].expand_as(inputs)
    if layout != "graph":
        return torch.ones_like(inputs, dtype=torch.bool)
    n_features = graph_feature_count(tuple(inputs.shape[1:]))
    entries = torch.zeros_like(inputs, dtype=torch.bool)
    entries[..., 1 : 1 + n_features] = (inputs[..., :1] > 0.5).expand(*inputs.shape[:-1], n_features)
    return entries


def reconstruction_error(prediction: torch.Tensor, target: torch.Tensor, encoder: Encoder) -> torch.Tensor:
    """mean (x̂ − x)² over the target's entries, only its real steps when the encoder reads zero-padded series."""
    error = (prediction - target) ** 2
    if not (encoder.padded and target.dim() == 3):
        return error.mean()
    return error[data_entries(target, "sequence", padded=True)].mean()
