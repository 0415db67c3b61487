"""Image augmentations with torchvision.transforms.v2: random resized crop, small affine, noise, erasing."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torchvision.transforms import v2

from ssl_models.augment.registry import AUGMENTATIONS
from ssl_models.device import seeded_global_rng


@dataclass
class ImageAugmentation:
    """Per-example random view of (B, C, H, W) images in [0, 1].

    Each example gets its own crop/affine/noise/erasing draw; ``seed`` fixes them all.
    """

    sample_shape: tuple[int, ...]
    crop_scale: tuple[float, float] = (0.5, 1.0)
    rotation_degrees: float = 15.0
    translate: float = 0.1
    noise_std: float = 0.05
    erase_probability: float = 0.25
    modality: str = "image"

    def __post_init__(self) -> None:
        if len(self.sample_shape) != 3:
            raise ValueError(f"image augmentation needs (C, H, W) examples, got shape {self.sample_shape}")
        height, width = self.sample_shape[1:]
        steps = [v2.RandomResizedCrop((height, width), scale=tuple(self.crop_scale), ratio=(0.8, 1.25), antialias=True)]
        if self.rotation_degrees or self.translate:
            steps.append(v2.RandomAffine(degrees=self.rotation_degrees, translate=(self.translate, self.translate)))
        if self.noise_std:
            steps.append(v2.GaussianNoise(sigma=self.noise_std, clip=True))
        if self.erase_probability:
            steps.append(v2.RandomErasing(p=self.erase_probability, scale=(0.02, 0.1), value=0.0))
        self._transform = v2.Compose(steps)

    def __call__(self, inputs: torch.Tensor, seed: int) -> torch.Tensor:
        with seeded_global_rng(seed):
            return torch.stack([self._transform(image) for image in inputs])


@AUGMENTATIONS.register("image")
def image_augmentation(sample_shape: tuple[int, ...], **options: object) -> ImageAugmentation:
    """The default image augmentation (SimCLR-style, scaled down for small grey-scale digits)."""
    return ImageAugmentation(tuple(sample_shape), **options)  # type: ignore[arg-type]
