"""Augmentations of plain feature vectors (B, F), for users' tabular data.

Per example: each feature is masked to 0 with probability ``mask_probability`` (SCARF-style corruption,
Bahri et al. 2022, simplified to zero-masking), then jittered: x + ε, ε ~ N(0, (noise_std · σ_f)²) with σ_f
the batch standard deviation of feature f (scale-free). Drawn from a ``torch.Generator`` seeded with ``seed``.

Example::

    views = build_augmentation("vector", (20,))(batch, seed=0)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from sslbench.ssl_models.augment.registry import AUGMENTATIONS


@dataclass
class VectorAugmentation:
    """Feature masking plus scale-free Gaussian jitter."""

    sample_shape: tuple[int, ...]
    mask_probability: float = 0.2
    noise_std: float = 0.1
    modality: str = "vector"

    def __call__(self, inputs: torch.Tensor, seed: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(seed)
        keep = torch.rand(inputs.shape, generator=generator) >= self.mask_probability
        scale = inputs.std(dim=0, keepdim=True) if len(inputs) > 1 else torch.ones_like(inputs[:1])
        noise = torch.randn(inputs.shape, generator=generator) * self.noise_std * scale
        return inputs * keep + noise


@AUGMENTATIONS.register("vector")
def vector_augmentation(sample_shape: tuple[int, ...], **options: Any) -> VectorAugmentation:
    """The default augmentation of vector data."""
    return VectorAugmentation(tuple(sample_shape), **options)
