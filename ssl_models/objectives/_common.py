"""Small pieces shared by objectives: projector MLPs, view selection, off-diagonal, EMA."""

from __future__ import annotations

import torch
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
