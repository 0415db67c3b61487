"""Time-series augmentations of (B, C, T) batches, each applied per example with its own probability.

In order (Um et al. 2017; Iwana & Uchida 2021, "An empirical survey of data augmentation for time series"):

- crop: a random sub-series of ``crop_scale`` × T steps, linearly resampled back to T steps;
- time warp: positions p(t) = (T − 1)·S(t)/S(T−1), S the cumulative sum of a smooth random speed curve
  (``warp_knots`` knots of speed ~ N(1, warp_std²), linearly interpolated), resampled linearly;
- segment permutation: cut at 1..``max_segments`` − 1 random points and shuffle the segments (a draw that
  keeps their order is rotated by one);
- scaling: x · s with s ~ N(1, scaling_std²) per example and channel;
- jitter: x + ε with ε ~ N(0, (jitter_std · std_t x)²) per example and channel (scale-free);
- time masking: a random span of ``mask_ratio`` × T steps set to 0 (the mean of z-normalised series).

A ``*_probability`` of 0 disables that step. Everything is drawn from a ``torch.Generator`` seeded with ``seed``,
so (inputs, seed) fixes the views. With ``padded`` (set for zero-padded unequal-length sets, ``ucr_padded:``),
each series is augmented over its real steps only (``ssl_models.padding``) and its padding stays zero: series of
equal real length are augmented together with a generator seeded by (seed, length), so extra trailing zeros change
no view.

Example::

    augment = build_augmentation("sequence", (1, 150), {"permutation_probability": 0.0})
    views = augment(batch, seed=0)     # (B, 1, 150)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from sslbench.ssl_models.augment.registry import AUGMENTATIONS
from sslbench.ssl_models.padding import valid_lengths


def resample(inputs: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """Linear interpolation of (B, C, T) at fractional time positions (B, T') in [0, T − 1] → (B, C, T')."""
    length = inputs.shape[-1]
    positions = positions.clamp(0, length - 1)
    lower = positions.floor().long().clamp(max=length - 1)
    upper = (lower + 1).clamp(max=length - 1)
    weight = (positions - lower).unsqueeze(1)
    channels = inputs.shape[1]
    gather = lambda index: inputs.gather(2, index.unsqueeze(1).expand(-1, channels, -1))  # noqa: E731
    return gather(lower) * (1 - weight) + gather(upper) * weight


@dataclass
class SequenceAugmentation:
    """Random views of (B, C, T) series; see the module docstring for each step and its options."""

    sample_shape: tuple[int, ...]
    crop_probability: float = 0.5
    crop_scale: tuple[float, float] = (0.6, 1.0)
    time_warp_probability: float = 0.3
    warp_std: float = 0.2
    warp_knots: int = 4
    permutation_probability: float = 0.1
    max_segments: int = 4
    scaling_probability: float = 0.8
    scaling_std: float = 0.1
    jitter_probability: float = 0.8
    jitter_std: float = 0.05
    time_mask_probability: float = 0.3
    mask_ratio: float = 0.1
    padded: bool = False
    modality: str = "sequence"

    def __post_init__(self) -> None:
        if len(self.sample_shape) != 2 or self.sample_shape[1] < 2:
            raise ValueError(f"sequence augmentation needs (C, T) examples with T ≥ 2, got shape {self.sample_shape}")
        for name in (
            "crop_probability",
            "time_warp_probability",
            "permutation_probability",
            "scaling_probability",
            "jitter_probability",
            "time_mask_probability",
            "mask_ratio",
        ):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        low, high = self.crop_scale
        if not 0.0 < low <= high <= 1.0:
            raise ValueError(f"crop_scale must satisfy 0 < low ≤ high ≤ 1, got {self.crop_scale}")
        if self.max_segments < 2 or self.warp_knots < 2:
            raise ValueError(
                f"max_segments and warp_knots must be at least 2, got {self.max_segments}, {self.warp_knots}"
            )

    def __call__(self, inputs: torch.Tensor, seed: int) -> torch.Tensor:
        if not self.padded:
            return self._augment(inputs, seed)
        lengths = valid_lengths(inputs)
        views = torch.zeros_like(inputs, dtype=torch.float32, device="cpu")
        for length in lengths.unique().tolist():
            rows = (lengths == length).cpu()
            if length < 2:  # one real step: nothing to crop, warp or permute
                views[rows, :, :length] = inputs[rows, :, :length].float().cpu()
                continue
            group_seed = int.from_bytes(hashlib.sha256(f"{seed}:{length}".encode()).digest()[:8], "little") >> 1
            views[rows, :, :length] = self._augment(inputs[rows, :, :length], group_seed).cpu()
        return views.to(inputs.device)

    def _augment(self, inputs: torch.Tensor, seed: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(seed)
        views = inputs.float().cpu()
        steps = (
            (self.crop_probability, self._crop),
            (self.time_warp_probability, self._time_warp),
            (self.permutation_probability, self._permute),
            (self.scaling_probability, self._scale),
            (self.jitter_probability, self._jitter),
            (self.time_mask_probability, self._mask),
        )
        for probability, step in steps:
            chosen = torch.rand(len(views), generator=generator) < probability
            if probability > 0 and chosen.any():
                views = torch.where(chosen[:, None, None], step(views, generator), views)
        return views.to(inputs.device)

    def _crop(self, inputs: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        batch, _, length = inputs.shape
        low, high = self.crop_scale
        span = (low + (high - low) * torch.rand(batch, generator=generator)) * (length - 1)
        start = torch.rand(batch, generator=generator) * (length - 1 - span)
        grid = torch.linspace(0, 1, length)
        return resample(inputs, start[:, None] + span[:, None] * grid)

    def _time_warp(self, inputs: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        batch, _, length = inputs.shape
        knots = 1 + self.warp_std * torch.randn(batch, 1, self.warp_knots, generator=generator)
        speed = F.interpolate(knots.clamp(min=0.1), size=length, mode="linear", align_corners=True).squeeze(1)
        cumulative = torch.cumsum(speed, dim=1) - speed[:, :1]
        return resample(inputs, cumulative / cumulative[:, -1:] * (length - 1))

    def _permute(self, inputs: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        batch, _, length = inputs.shape
        most = min(self.max_segments, length)
        counts = torch.randint(2, most + 1, (batch, 1), generator=generator)
        cut_keys = torch.rand(batch, length - 1, generator=generator)
        cuts = torch.sort(cut_keys.argsort(dim=1)[:, : most - 1] + 1, dim=1).values
        cuts = torch.where(torch.arange(most - 1)[None, :] < counts - 1, cuts, length)
        segment_of_step = (cuts[:, None, :] <= torch.arange(length)[None, :, None]).sum(dim=2)
        order_keys = torch.rand(batch, most, generator=generator).masked_fill(
            torch.arange(most)[None, :] >= counts, 2.0
        )
        rank = order_keys.argsort(dim=1).argsort(dim=1)
        real = torch.arange(most)[None, :] < counts
        unchanged = ((rank == torch.arange(most)[None, :]) | ~real).all(dim=1, keepdim=True)
        rank = torch.where(unchanged & real, (rank + 1) % counts, rank)
        index = (rank.gather(1, segment_of_step) * length + torch.arange(length)[None, :]).argsort(dim=1)
        return inputs.gather(2, index.unsqueeze(1).expand(-1, inputs.shape[1], -1))

    def _scale(self, inputs: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return inputs * (1 + self.scaling_std * torch.randn(*inputs.shape[:2], 1, generator=generator))

    def _jitter(self, inputs: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        scale = inputs.std(dim=2, keepdim=True).clamp(min=1e-6)
        return inputs + self.jitter_std * scale * torch.randn(inputs.shape, generator=generator)

    def _mask(self, inputs: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        batch, _, length = inputs.shape
        span = max(1, round(self.mask_ratio * length))
        start = torch.randint(0, length - span + 1, (batch, 1), generator=generator)
        steps = torch.arange(length)[None, :]
        masked = (steps >= start) & (steps < start + span)
        return inputs.masked_fill(masked[:, None, :], 0.0)


@AUGMENTATIONS.register("sequence")
def sequence_augmentation(sample_shape: tuple[int, ...], **options: Any) -> SequenceAugmentation:
    """The default sequence augmentation: crop, warp, permute, scale, jitter, mask (TS-TCC / TS2Vec style)."""
    if "crop_scale" in options:
        options["crop_scale"] = tuple(options["crop_scale"])
    return SequenceAugmentation(tuple(sample_shape), **options)
