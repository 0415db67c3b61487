"""TS2Vec's dilated convolutional encoder (Yue et al. 2022, "TS2Vec: Towards Universal Representation of Time
Series", AAAI), as in its reference code (``models/encoder.py``, ``models/dilated_conv.py``).

    (B, C, T) → per step Linear(C → hidden) → timestamp mask (training only) → blocks → Dropout(0.1) → (B, T, D)
    block_i(x) = conv2(GELU(conv1(GELU(x)))) + residual(x),  conv = Conv1d(kernel 3, dilation 2^i, same length)

``depth`` blocks keep ``hidden_dim`` channels (dilations 1, 2, …, 2^(depth−1)); one last block, dilation 2^depth,
maps to ``embedding_dim`` channels with a 1×1 convolution as its residual path. The timestamp mask zeroes each
projected step with probability ``mask_probability`` (binomial mask, p = 0.5 in the paper); it draws from the
encoder's own generator, seeded when the encoder is built. The embedding is the max over time of the per-step
representations (TS2Vec's ``encoding_window='full_series'``): embedding_i = max_t tokens_{i,t}.
Defaults are the paper's: 64 hidden channels, depth 10, 320-d output.

Padded series (``honour_padding``): the projected input and every convolution's output are zeroed on the padding, so
each convolution reads there the zeros of its own "same" padding, and the max runs over the real steps only; extra
trailing zeros then change no representation of a real step (TS2Vec's code zeroes its NaN padding after the
input projection in the same way).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from sslbench.ssl_models.encoders._common import as_sequence, sequence_dims
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.encoders.registry import ENCODERS
from sslbench.ssl_models.padding import step_mask
from torch import nn


class SamePadConv(nn.Module):
    """Conv1d whose output has the input's length: padding ⌊r/2⌋ with r = (kernel − 1)·dilation + 1, and the last
    step dropped when r is even.

    When the dilation is at least the input's length, every tap but the centre one reads padding, so the convolution
    is computed exactly as the 1×1 convolution with the centre tap (the deep blocks on short series or crops).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int) -> None:
        super().__init__()
        receptive_field = (kernel_size - 1) * dilation + 1
        self.conv = nn.Conv1d(in_channels, out_channels, kernel_size, padding=receptive_field // 2, dilation=dilation)
        self.remove = 1 if receptive_field % 2 == 0 else 0
        self.centre = kernel_size // 2 if kernel_size % 2 == 1 and not self.remove else None

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.centre is not None and self.conv.dilation[0] >= inputs.shape[-1]:
            return F.conv1d(inputs, self.conv.weight[:, :, self.centre : self.centre + 1], self.conv.bias)
        out = self.conv(inputs)
        return out[:, :, : -self.remove] if self.remove else out


class DilatedBlock(nn.Module):
    """conv2(GELU(conv1(GELU(x)))) + residual(x); the residual is a 1×1 convolution when channels change or at the
    last block, the identity otherwise."""

    def __init__(self, in_channels: int, out_channels: int, dilation: int, final: bool) -> None:
        super().__init__()
        self.conv1 = SamePadConv(in_channels, out_channels, 3, dilation)
        self.conv2 = SamePadConv(out_channels, out_channels, 3, dilation)
        self.residual = (
            nn.Conv1d(in_channels, out_channels, 1) if in_channels != out_channels or final else nn.Identity()
        )

    def forward(self, inputs: torch.Tensor, real: torch.Tensor | None = None) -> torch.Tensor:
        """``real`` (B, 1, T): 1 on real steps, 0 on padding, which both convolutions' outputs are zeroed on."""
        if real is None:
            return self.conv2(F.gelu(self.conv1(F.gelu(inputs)))) + self.residual(inputs)
        inner = self.conv1(F.gelu(inputs)) * real
        return (self.conv2(F.gelu(inner)) + self.residual(inputs)) * real


@ENCODERS.register("ts2vec")
class TS2VecEncoder(Encoder):
    """Input projection → timestamp masking → dilated residual convolutions → per-step (B, T, embedding_dim);
    embedding = max over time.

    Options: ``hidden_dim`` (64), ``depth`` (10 hidden blocks), ``mask_probability`` (0.5; 0 disables masking),
    ``dropout`` on the representations (0.1).
    """

    modalities = ("sequence",)
    provides_tokens = True
    reads_padding = True

    def __init__(
        self,
        sample_shape: tuple[int, ...],
        embedding_dim: int = 320,
        hidden_dim: int = 64,
        depth: int = 10,
        mask_probability: float = 0.5,
        dropout: float = 0.1,
    ) -> None:
        super().__init__(sample_shape, embedding_dim)
        if len(self.sample_shape) != 2:
            raise ValueError(f"ts2vec reads (C, T) sequences, got examples of shape {self.sample_shape}")
        if hidden_dim < 1 or depth < 0:
            raise ValueError(
                f"ts2vec: hidden_dim must be positive and depth non-negative, got {hidden_dim} and {depth}"
            )
        if not 0.0 <= mask_probability < 1.0 or not 0.0 <= dropout < 1.0:
            raise ValueError(
                f"ts2vec: mask_probability and dropout must be in [0, 1), got {mask_probability} and {dropout}"
            )
        _, channels = sequence_dims(self.sample_shape, "ts2vec")
        self.mask_probability = mask_probability
        self.input_projection = nn.Linear(channels, hidden_dim)
        widths = [hidden_dim] * depth + [embedding_dim]
        self.blocks = nn.Sequential(
            *(
                DilatedBlock(widths[i - 1] if i > 0 else hidden_dim, widths[i], 2**i, final=i == len(widths) - 1)
                for i in range(len(widths))
            )
        )
        self.dropout = nn.Dropout(dropout)
        # The mask's seed comes from torch's global generator at construction, which the trainer seeds per job.
        self.mask_seed = int(torch.randint(0, 2**62, (1,)).item())
        self._mask_generator: torch.Generator | None = None

    def _timestamp_mask(self, batch: int, steps: int, device: torch.device) -> torch.Tensor:
        """(B, T, 1) with entries 0 with probability ``mask_probability``, 1 otherwise."""
        if self._mask_generator is None or self._mask_generator.device.type != device.type:
            self._mask_generator = torch.Generator(device=device).manual_seed(self.mask_seed)
        keep = torch.full((batch, steps, 1), 1.0 - self.mask_probability, device=device)
        return torch.bernoulli(keep, generator=self._mask_generator)

    def tokens(self, inputs: torch.Tensor) -> torch.Tensor:
        """Per-step representations (B, T, embedding_dim); masked projected input in training mode only."""
        return self._tokens(inputs, self.valid_lengths(inputs))

    def _tokens(self, inputs: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        hidden = self.input_projection(as_sequence(inputs))
        real = None if lengths is None else step_mask(lengths, hidden.shape[1])[:, None, :].to(hidden.dtype)
        if self.training and self.mask_probability > 0:
            hidden = hidden * self._timestamp_mask(hidden.shape[0], hidden.shape[1], hidden.device)
        hidden = hidden.transpose(1, 2)
        if real is None:
            hidden = self.blocks(hidden)
        else:  # zero the padding before and after every block (see the module docstring)
            hidden = hidden * real
            for block in self.blocks:
                hidden = block(hidden, real)
        return self.dropout(hidden).transpose(1, 2)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        lengths = self.valid_lengths(inputs)
        tokens = self._tokens(inputs, lengths)
        if lengths is not None:
            tokens = tokens.masked_fill(~step_mask(lengths, tokens.shape[1])[:, :, None], float("-inf"))
        return tokens.amax(dim=1)
