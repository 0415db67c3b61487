"""Diagonal state-space encoder (S4D): a stack of per-channel linear recurrences, run as causal FFT convolutions.

Gu, Gupta, Goel & Ré (2022), "On the parameterization and initialization of diagonal state space models" (S4D).

Each of the d_model channels is an independent SSM with N/2 complex modes (N = ``state_dim``; the conjugate
modes are implicit in the factor 2·Re):

    A = −exp(log_A_real) + i·A_imag          S4D-Lin init: real part −½, imaginary part π·n, n = 0 … N/2 − 1
    Δ = exp(log_dt)                          log Δ ~ U[log dt_min, log dt_max] = U[log 1e-3, log 1e-1]
    Ā = exp(Δ·A),  B̄ = (exp(Δ·A) − 1) / A    zero-order hold, B = 1 absorbed into C
    x_k = Ā x_{k−1} + B̄ u_k,   y_k = 2·Re(C·x_k) + D·u_k

which unrolls into a causal convolution y = K ∗ u + D·u with

    K[l] = 2·Re Σ_n C̃_n exp(Δ·A_n·l),   C̃ = C·(exp(Δ·A) − 1) / A

computed by a Vandermonde product and applied, for sequences of at most ``DIRECT_MAX_STEPS`` steps, as one
product with its lower-triangular Toeplitz matrix T[t, s] = K[t − s] (t ≥ s), otherwise by FFT with zero padding
to 2L (no wrap-around, so causal). Both are the same convolution, equal within float32 rounding.
A layer is SSM → GELU → Linear(d_model → 2·d_model) → GLU; layers are stacked with pre-LayerNorm residuals
(``ResidualSequenceEncoder``). Δ, log_A_real and A_imag get no weight decay (``param._no_weight_decay``).

Example::

    encoder = build_encoder("ssm", (1, 28, 28), embedding_dim=64)      # an image as a sequence of 28 rows
    tokens = encoder.tokens(images)                                   # (B, 28, d_model), causal in the rows
"""

from __future__ import annotations

import math
from functools import partial

import torch
from sslbench.ssl_models.encoders._common import ResidualSequenceEncoder
from sslbench.ssl_models.encoders.registry import ENCODERS
from torch import nn

# Longest sequence convolved by the Toeplitz product rather than FFT. Measured (CPU-seconds of forward + backward,
# batch 256, d_model 64, one thread, interleaved): the product is 1.96× faster at 28 steps, 1.63× at 64, 1.14× at
# 128, and slower beyond; ``python -m sslbench.benchmarks.perf.ssm_convolution`` repeats the measurement.
DIRECT_MAX_STEPS = 128


def causal_toeplitz(kernel: torch.Tensor) -> torch.Tensor:
    """(H, L) kernels → (H, L, L) lower-triangular Toeplitz matrices T[h, t, s] = K[h, t − s] for t ≥ s, else 0."""
    steps = torch.arange(kernel.shape[1], device=kernel.device)
    lag = steps[:, None] - steps[None, :]
    return kernel[:, lag.clamp(min=0)] * (lag >= 0)


class S4DKernel(nn.Module):
    """The convolution kernels K (channels, L) of ``channels`` independent diagonal SSMs."""

    def __init__(self, channels: int, state_dim: int = 64, dt_min: float = 1e-3, dt_max: float = 1e-1) -> None:
        super().__init__()
        if state_dim < 2 or state_dim % 2:
            raise ValueError(f"ssm: state_dim must be an even number ≥ 2 (N/2 complex modes), got {state_dim}")
        if not 0 < dt_min <= dt_max:
            raise ValueError(f"ssm: need 0 < dt_min ≤ dt_max, got {dt_min} and {dt_max}")
        modes = state_dim // 2
        log_dt = torch.rand(channels) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min)
        self.log_dt = nn.Parameter(log_dt)
        self.log_A_real = nn.Parameter(torch.full((channels, modes), math.log(0.5)))
        self.A_imag = nn.Parameter(math.pi * torch.arange(modes, dtype=torch.float32).repeat(channels, 1))
        self.C = nn.Parameter(torch.view_as_real(torch.randn(channels, modes, dtype=torch.cfloat)))
        for dynamics in (self.log_dt, self.log_A_real, self.A_imag):
            dynamics._no_weight_decay = True  # type: ignore[attr-defined]  # a marker the optimizer setup reads

    def _dt_A(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(A, Δ·A), complex (channels, N/2)."""
        A = torch.complex(-torch.exp(self.log_A_real), self.A_imag)
        return A, A * torch.exp(self.log_dt)[:, None]

    def discrete(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(Ā, B̄, C), each complex (channels, N/2): Ā = exp(Δ·A), B̄ = (exp(Δ·A) − 1) / A."""
        A, dtA = self._dt_A()
        A_bar = torch.exp(dtA)
        return A_bar, (A_bar - 1) / A, torch.view_as_complex(self.C)

    def forward(self, length: int) -> torch.Tensor:
        """K (channels, length): K[l] = 2·Re Σ_n C̃_n exp(Δ·A_n·l), C̃ = C·B̄ (a Vandermonde product)."""
        A, dtA = self._dt_A()
        C_tilde = torch.view_as_complex(self.C) * (torch.exp(dtA) - 1) / A
        steps = torch.arange(length, device=dtA.device, dtype=dtA.real.dtype)
        vandermonde = torch.exp(dtA[:, :, None] * steps)
        return 2 * torch.einsum("hn,hnl->hl", C_tilde, vandermonde).real


class S4DLayer(nn.Module):
    """(B, L, H) → (B, L, H): y = K ∗ u + D·u per channel, then GELU → Linear(H → 2H) → GLU."""

    def __init__(self, d_model: int, state_dim: int = 64, dt_min: float = 1e-3, dt_max: float = 1e-1) -> None:
        super().__init__()
        self.kernel = S4DKernel(d_model, state_dim, dt_min, dt_max)
        self.D = nn.Parameter(torch.randn(d_model))
        self.activation = nn.GELU()
        self.output = nn.Sequential(nn.Linear(d_model, 2 * d_model), nn.GLU(dim=-1))

    def convolve(self, inputs: torch.Tensor) -> torch.Tensor:
        """The SSM alone: y = K ∗ u + D·u, causal (Toeplitz product or FFT padded to 2L); (B, L, H) → (B, L, H)."""
        length = inputs.shape[1]
        if length <= DIRECT_MAX_STEPS:
            convolved = torch.einsum("hts,bsh->bth", causal_toeplitz(self.kernel(length)), inputs)
            return convolved + inputs * self.D
        return self.convolve_fft(inputs)

    def convolve_fft(self, inputs: torch.Tensor) -> torch.Tensor:
        """The same convolution by FFT at any length (the reference the Toeplitz path is tested against)."""
        length = inputs.shape[1]
        signal = inputs.transpose(1, 2)
        kernel_f = torch.fft.rfft(self.kernel(length), n=2 * length)
        output = torch.fft.irfft(torch.fft.rfft(signal, n=2 * length) * kernel_f, n=2 * length)[..., :length]
        return (output + signal * self.D[:, None]).transpose(1, 2)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.output(self.activation(self.convolve(inputs)))


@ENCODERS.register("ssm")
class SSMEncoder(ResidualSequenceEncoder):
    """S4D stack over the sequence view (time steps, or image rows); causal, with per-step tokens.

    Options: ``d_model`` 64; ``n_layers`` 4; ``state_dim`` N = 64 (N/2 complex modes per channel);
    ``dt_min`` 1e-3, ``dt_max`` 1e-1; ``dropout`` 0.0; ``pooling`` "last" (default, causal) | "mean".
    """

    def __init__(
        self,
        sample_shape: tuple[int, ...],
        embedding_dim: int,
        d_model: int = 64,
        n_layers: int = 4,
        state_dim: int = 64,
        dt_min: float = 1e-3,
        dt_max: float = 1e-1,
        dropout: float = 0.0,
        pooling: str = "last",
    ) -> None:
        block = partial(S4DLayer, d_model, state_dim, dt_min, dt_max)
        super().__init__(sample_shape, embedding_dim, block, d_model, n_layers, pooling, dropout, "ssm")
