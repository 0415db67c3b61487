"""The augmentation registry: name → factory(sample_shape, **options) → Augmentation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import torch
from sslbench.ssl_models.registry import Registry


class Augmentation(Protocol):
    """A seeded, batched augmentation: the same (inputs, seed) always gives the same views."""

    modality: str

    def __call__(self, inputs: torch.Tensor, seed: int) -> torch.Tensor:
        """Return one random view of each example in ``inputs`` (B, *sample_shape)."""


AugmentationFactory = Callable[..., Augmentation]
AUGMENTATIONS: Registry[AugmentationFactory] = Registry("augmentation")


def build_augmentation(name: str, sample_shape: tuple[int, ...], options: dict[str, Any] | None = None) -> Augmentation:
    """Instantiate augmentation ``name`` for examples of ``sample_shape``; unknown options are an error."""
    factory = AUGMENTATIONS.get(name)
    try:
        return factory(sample_shape, **(options or {}))
    except TypeError as error:
        raise ValueError(f"augmentation '{name}': bad options {sorted(options or {})}: {error}") from None
