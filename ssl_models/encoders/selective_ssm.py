"""Selective state-space encoder (Mamba-style): an SSM whose step size Δ, input map B and output map C depend
on the input, run as a sequential scan in plain PyTorch (the ``mamba-ssm`` kernels need CUDA).

Gu & Dao (2023), "Mamba: linear-time sequence modeling with selective state spaces".

A block on u (B, L, d_model), with d_inner = expand·d_model and N = ``state_dim``:

    (v, z) = Linear(u)                                   each (B, L, d_inner)
    v      = SiLU(causal depthwise Conv1d(v))            kernel ``conv_width``
    Δ_t    = softplus(W_Δ · (W_r v_t) + b_Δ)             (d_inner,), rank-r bottleneck
    B_t, C_t = W_B v_t, W_C v_t                          (N,) each
    A      = −exp(A_log)                                 S4D-Real init: A_log[:, n] = log(n + 1)
    h_t    = exp(Δ_t A) ⊙ h_{t−1} + Δ_t B_t v_t          (d_inner, N); ZOH for A, Euler for B, as Mamba
    y_t    = h_t C_t + D ⊙ v_t
    out    = Linear(y ⊙ SiLU(z))

b_Δ is initialised so that softplus(b_Δ) is log-uniform in [dt_min, dt_max]. A_log and D get no weight decay.
Blocks are stacked with pre-LayerNorm residuals (``ResidualSequenceEncoder``); everything is causal. The scan
has a hand-written backward (fused CPU kernels in ``selective_scan_cpu``; ``_SelectiveScan`` on a GPU) and the
convolution runs as shifted multiply-adds (``causal_depthwise_conv``): equal within fp32 rounding to autograd
through Conv1d and a step loop.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import torch
import torch.nn.functional as F
from sslbench.ssl_models.encoders._common import ResidualSequenceEncoder
from sslbench.ssl_models.encoders.registry import ENCODERS
from sslbench.ssl_models.encoders.selective_scan_cpu import FusedCPUScan
from torch import nn


class _SelectiveScan(torch.autograd.Function):
    """Σ_n C_t[n]·h_t[:, n] with h_t = a_t ⊙ h_{t−1} + (Δ_t v_t) ⊗ B_t, a_t = exp(Δ_t A), and its hand-written
    backward: the reverse scan g_t = ∂y_t ⊗ C_t + a_{t+1} ⊙ g_{t+1}, then ∂B_t = (Δ_t v_t)ᵀ g_t, ∂C_t = ∂y_tᵀ h_t,
    ∂(Δ_t v_t) = g_t B_t and ∂(Δ_t A) = g_t ⊙ h_{t−1} ⊙ a_t.

    Each scan updates one preallocated (batch, L, d, N) tensor in place, one fused ``addcmul_`` per step: no
    per-step tensors, no autograd graph of L nodes, no concatenation of per-step gradients.
    """

    @staticmethod
    def forward(
        ctx: Any, values: torch.Tensor, dt: torch.Tensor, A: torch.Tensor, B: torch.Tensor, C: torch.Tensor
    ) -> torch.Tensor:
        decay = torch.mul(dt[..., None], A).exp_()
        weighted = dt * values
        states = weighted[..., None] * B[:, :, None, :]
        for step in range(1, states.shape[1]):
            states[:, step].addcmul_(decay[:, step], states[:, step - 1])
        ctx.save_for_backward(values, dt, A, B, C, decay, states, weighted)
        return (states @ C[..., None]).squeeze(-1)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx: Any, grad_output: torch.Tensor) -> tuple[torch.Tensor, ...]:
        values, dt, A, B, C, decay, states, weighted = ctx.saved_tensors
        grad_states = grad_output[..., None] * C[:, :, None, :]
        for step in range(states.shape[1] - 2, -1, -1):
            grad_states[:, step].addcmul_(decay[:, step + 1], grad_states[:, step + 1])
        grad_C = (grad_output[:, :, None, :] @ states).squeeze(2)
        grad_B = (weighted[:, :, None, :] @ grad_states).squeeze(2)
        grad_weighted = (grad_states @ B[..., None]).squeeze(-1)
        grad_exponent = torch.mul(decay[:, 1:], states[:, :-1]).mul_(grad_states[:, 1:])  # h_{−1} = 0: none at t = 0
        grad_dt = grad_weighted * values
        grad_dt[:, 1:] += (grad_exponent * A).sum(-1)
        grad_A = (grad_exponent * dt[:, 1:, :, None]).sum((0, 1))
        return grad_weighted * dt, grad_dt, grad_A, grad_B, grad_C


def causal_depthwise_conv(values: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """u_t = b + Σ_k w_k ⊙ v_{t−K+1+k}, v_{<0} = 0 (b = 0 without a bias): a causal depthwise convolution of
    (batch, L, d) values with kernels (d, 1, K), as ``Conv1d(groups=d, padding=K − 1)`` cut to the first L steps
    computes it; as K shifted multiply-adds along time, with no transposes to (batch, d, L) (Conv1d's backward
    was most of the block's convolution time).
    """
    width, length = weight.shape[-1], values.shape[1]
    padded = F.pad(values, (0, 0, width - 1, 0))
    taps = weight[:, 0, :].t()
    outputs = padded[:, :length] * taps[0] if bias is None else torch.addcmul(bias, padded[:, :length], taps[0])
    for tap in range(1, width):
        outputs = outputs.addcmul(padded[:, tap : tap + length], taps[tap])
    return outputs


def selective_scan(
    inputs: torch.Tensor, dt: torch.Tensor, A: torch.Tensor, B: torch.Tensor, C: torch.Tensor, D: torch.Tensor
) -> torch.Tensor:
    """y_t = C_t·h_t + D ⊙ v_t with h_t = exp(Δ_t A) ⊙ h_{t−1} + Δ_t B_t v_t, h_{−1} = 0.

    Shapes: inputs v and dt (batch, L, d); A (d, N); B and C (batch, L, N); D (d,). Returns (batch, L, d).
    On the CPU the scan runs in the fused kernels of ``selective_scan_cpu``; elsewhere (a GPU) in ``_SelectiveScan``
    (in-place steps, hand-written backward). Both equal autograd through a step-by-step loop within fp32 rounding,
    in values and gradients.
    """
    on_cpu = all(t.device.type == "cpu" for t in (inputs, dt, A, B, C))
    scan = FusedCPUScan if on_cpu else _SelectiveScan
    return scan.apply(inputs, dt, A, B, C) + inputs * D


class SelectiveSSMBlock(nn.Module):
    """One Mamba block, (B, L, d_model) → (B, L, d_model)."""

    def __init__(
        self,
        d_model: int,
        state_dim: int = 16,
        expand: int = 2,
        conv_width: int = 4,
        dt_min: float = 1e-3,
        dt_max: float = 1e-1,
    ) -> None:
        super().__init__()
        if state_dim < 1 or expand < 1 or conv_width < 1:
            raise ValueError(
                "selective_ssm: state_dim, expand and conv_width must be positive, "
                f"got {state_dim}, {expand}, {conv_width}"
            )
        if not 0 < dt_min <= dt_max:
            raise ValueError(f"selective_ssm: need 0 < dt_min ≤ dt_max, got {dt_min} and {dt_max}")
        inner = expand * d_model
        self.dt_rank = math.ceil(d_model / 16)
        self.state_dim = state_dim
        self.in_projection = nn.Linear(d_model, 2 * inner, bias=False)
        self.conv = nn.Conv1d(inner, inner, conv_width, groups=inner, padding=conv_width - 1)
        self.selection = nn.Linear(inner, self.dt_rank + 2 * state_dim, bias=False)
        self.dt_projection = nn.Linear(self.dt_rank, inner)
        nn.init.uniform_(self.dt_projection.weight, -(self.dt_rank**-0.5), self.dt_rank**-0.5)
        dt = torch.exp(torch.rand(inner) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min)).clamp(min=1e-4)
        with torch.no_grad():
            self.dt_projection.bias.copy_(dt + torch.log(-torch.expm1(-dt)))
        self.A_log = nn.Parameter(torch.log(torch.arange(1, state_dim + 1, dtype=torch.float32)).repeat(inner, 1))
        self.D = nn.Parameter(torch.ones(inner))
        for dynamics in (self.A_log, self.D):
            dynamics._no_weight_decay = True  # type: ignore[attr-defined]  # a marker the optimizer setup reads
        self.out_projection = nn.Linear(inner, d_model, bias=False)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        values, gate = self.in_projection(inputs).chunk(2, dim=-1)
        values = F.silu(causal_depthwise_conv(values, self.conv.weight, self.conv.bias))
        dt, B, C = self.selection(values).split([self.dt_rank, self.state_dim, self.state_dim], dim=-1)
        dt = F.softplus(self.dt_projection(dt))
        scanned = selective_scan(values, dt, -torch.exp(self.A_log), B, C, self.D)
        return self.out_projection(scanned * F.silu(gate))


@ENCODERS.register("selective_ssm")
class SelectiveSSMEncoder(ResidualSequenceEncoder):
    """Mamba-style selective SSM stack over the sequence view; causal, with per-step tokens.

    Options: ``d_model`` 64; ``n_layers`` 2; ``state_dim`` 16; ``expand`` 2; ``conv_width`` 4; ``dt_min`` 1e-3,
    ``dt_max`` 1e-1; ``dropout`` 0.0; ``pooling`` "last" (default, causal) | "mean".
    """

    def __init__(
        self,
        sample_shape: tuple[int, ...],
        embedding_dim: int,
        d_model: int = 64,
        n_layers: int = 2,
        state_dim: int = 16,
        expand: int = 2,
        conv_width: int = 4,
        dt_min: float = 1e-3,
        dt_max: float = 1e-1,
        dropout: float = 0.0,
        pooling: str = "last",
    ) -> None:
        block = partial(SelectiveSSMBlock, d_model, state_dim, expand, conv_width, dt_min, dt_max)
        super().__init__(sample_shape, embedding_dim, block, d_model, n_layers, pooling, dropout, "selective_ssm")
