"""Image augmentations, batched: random resized crop and small affine in one resampling, blur, solarisation,
noise, erasing.

The same steps as torchvision's ``RandomResizedCrop`` → ``RandomAffine`` → ``GaussianBlur`` →
``RandomSolarize`` → ``GaussianNoise(clip=True)`` → ``RandomErasing`` (SimCLR-style, scaled down for small
grey-scale digits; blur and solarisation are off unless a view group asks for them, as BYOL's asymmetric views
do), drawn per example but applied to the whole batch at once: crop and affine compose into one 2×3 matrix per
image for ``F.affine_grid`` / ``F.grid_sample`` (bilinear, zero fill), which is two orders of magnitude faster
than a per-image loop.

With D = diag(W/2, H/2), rotation R(θ), translation t (pixels), crop centre c and size (w, h) (normalised
centre c_n, scale S = diag(w/W, h/H)), an output point p ∈ [−1, 1]² samples the input at

    x = c_n + S D⁻¹ R(θ) (D p − t)

The output grid has (round(f·H), round(f·W)) points for ``output_fraction`` f (multi-crop's small local views;
f = 1 keeps the size). Blur convolves with a normalised Gaussian of σ ~ U(blur_sigma) pixels (kernel radius
⌈3·max σ⌉, reflected borders); solarisation maps x ↦ 1 − x where x ≥ 0.5. A step whose probability is 0 draws
nothing, so adding a step changes no earlier view.

Everything is drawn from a ``torch.Generator`` seeded with ``seed``, so (inputs, seed) fixes the views.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from sslbench.ssl_models.augment.registry import AUGMENTATIONS

ERASE_SCALE = (0.02, 0.1)
ERASE_RATIO = (0.3, 3.3)


def _uniform(low: float, high: float, size: int, generator: torch.Generator) -> torch.Tensor:
    return low + (high - low) * torch.rand(size, generator=generator)


@dataclass
class ImageAugmentation:
    """Per-example random view of (B, C, H, W) images in [0, 1].

    Crop area fraction ~ U(crop_scale), aspect ratio log-uniform in ``crop_ratio``; rotation ~ U(±rotation_degrees);
    translation ~ U(±translate) of the image size; additive noise N(0, noise_std²) then clip to [0, 1]; with
    probability erase_probability one rectangle of 2–10% of the image (aspect 0.3–3.3) is set to 0.
    """

    sample_shape: tuple[int, ...]
    crop_scale: tuple[float, float] = (0.5, 1.0)
    crop_ratio: tuple[float, float] = (0.8, 1.25)
    rotation_degrees: float = 15.0
    translate: float = 0.1
    noise_std: float = 0.05
    erase_probability: float = 0.25
    output_fraction: float = 1.0
    blur_probability: float = 0.0
    blur_sigma: tuple[float, float] = (0.1, 1.0)
    solarize_probability: float = 0.0
    modality: str = "image"

    def __post_init__(self) -> None:
        if len(self.sample_shape) != 3:
            raise ValueError(f"image augmentation needs (C, H, W) examples, got shape {self.sample_shape}")
        self.crop_scale = tuple(self.crop_scale)  # type: ignore[assignment]
        self.crop_ratio = tuple(self.crop_ratio)  # type: ignore[assignment]
        self.blur_sigma = tuple(self.blur_sigma)  # type: ignore[assignment]
        low, high = self.crop_scale
        if not 0.0 < low <= high <= 1.0:
            raise ValueError(f"crop_scale must satisfy 0 < low ≤ high ≤ 1, got {self.crop_scale}")
        if not 0.0 < self.crop_ratio[0] <= self.crop_ratio[1]:
            raise ValueError(f"crop_ratio must satisfy 0 < low ≤ high, got {self.crop_ratio}")
        for name in ("erase_probability", "blur_probability", "solarize_probability"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if not 0.0 < self.blur_sigma[0] <= self.blur_sigma[1]:
            raise ValueError(f"blur_sigma must satisfy 0 < low ≤ high, got {self.blur_sigma}")
        if not 0.0 < self.output_fraction <= 1.0 or min(self.output_shape[1:]) < 1:
            raise ValueError(
                f"output_fraction must be in (0, 1] and leave at least one pixel of the "
                f"{self.sample_shape[1]}×{self.sample_shape[2]} image, "
                f"got {self.output_fraction}"
            )
        if self.translate < 0 or self.noise_std < 0:
            raise ValueError(f"translate and noise_std must be non-negative, got {self.translate}, {self.noise_std}")

    @property
    def output_shape(self) -> tuple[int, int, int]:
        """(C, round(f·H), round(f·W)) for ``output_fraction`` f."""
        channels, height, width = self.sample_shape
        return channels, round(self.output_fraction * height), round(self.output_fraction * width)

    def __call__(self, inputs: torch.Tensor, seed: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(seed)
        images = inputs.float().cpu()
        views = self._crop_and_affine(images, generator)
        if self.blur_probability:
            views = self._blur(views, generator)
        if self.solarize_probability:
            chosen = torch.rand(len(views), generator=generator) < self.solarize_probability
            views = torch.where(chosen[:, None, None, None] & (views >= 0.5), 1.0 - views, views)
        if self.noise_std:
            views = (views + self.noise_std * torch.randn(views.shape, generator=generator)).clamp(0.0, 1.0)
        if self.erase_probability:
            views = self._erase(views, generator)
        return views.to(inputs.device)

    def _crop_and_affine(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        batch, _, height, width = images.shape
        area = _uniform(*self.crop_scale, batch, generator)
        ratio = torch.exp(_uniform(math.log(self.crop_ratio[0]), math.log(self.crop_ratio[1]), batch, generator))
        crop_width = torch.sqrt(area * ratio).clamp(max=1.0)
        crop_height = torch.sqrt(area / ratio).clamp(max=1.0)
        centre_x = (1 - crop_width) * (2 * torch.rand(batch, generator=generator) - 1)
        centre_y = (1 - crop_height) * (2 * torch.rand(batch, generator=generator) - 1)
        angle = torch.deg2rad(_uniform(-self.rotation_degrees, self.rotation_degrees, batch, generator))
        shift_x = _uniform(-self.translate, self.translate, batch, generator) * width
        shift_y = _uniform(-self.translate, self.translate, batch, generator) * height
        half = torch.tensor([width / 2, height / 2])
        cos, sin = torch.cos(angle), torch.sin(angle)
        rotation = torch.stack([torch.stack([cos, -sin], 1), torch.stack([sin, cos], 1)], 1)
        scale = torch.stack([crop_width, crop_height], 1)
        linear = scale[:, :, None] / half[None, :, None] * rotation * half[None, None, :]
        shift = torch.stack([shift_x, shift_y], 1)
        offset = torch.stack([centre_x, centre_y], 1) - scale / half * torch.einsum("bij,bj->bi", rotation, shift)
        theta = torch.cat([linear, offset[:, :, None]], dim=2)
        grid = F.affine_grid(theta, [batch, images.shape[1], *self.output_shape[1:]], align_corners=False)
        return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)

    def _blur(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Separable Gaussian blur, σ ~ U(blur_sigma) per example, on the chosen examples only."""
        batch, channels, height, width = images.shape
        sigma = _uniform(*self.blur_sigma, batch, generator)
        chosen = torch.rand(batch, generator=generator) < self.blur_probability
        radius = math.ceil(3 * self.blur_sigma[1])
        offsets = torch.arange(-radius, radius + 1, dtype=torch.float32)
        kernel = torch.exp(-(offsets[None, :] ** 2) / (2 * sigma[:, None] ** 2))
        kernel = (kernel / kernel.sum(1, keepdim=True)).repeat_interleave(channels, dim=0)
        planes = images.reshape(1, batch * channels, height, width)
        planes = F.pad(planes, (0, 0, radius, radius), mode="replicate" if radius >= height else "reflect")
        planes = F.conv2d(planes, kernel[:, None, :, None], groups=batch * channels)
        planes = F.pad(planes, (radius, radius, 0, 0), mode="replicate" if radius >= width else "reflect")
        blurred = F.conv2d(planes, kernel[:, None, None, :], groups=batch * channels).reshape(images.shape)
        return torch.where(chosen[:, None, None, None], blurred, images)

    def _erase(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        batch, _, height, width = images.shape
        area = _uniform(*ERASE_SCALE, batch, generator) * height * width
        ratio = torch.exp(_uniform(math.log(ERASE_RATIO[0]), math.log(ERASE_RATIO[1]), batch, generator))
        box_height = torch.sqrt(area * ratio).round().clamp(1, height).long()
        box_width = torch.sqrt(area / ratio).round().clamp(1, width).long()
        top = (torch.rand(batch, generator=generator) * (height - box_height + 1)).long()
        left = (torch.rand(batch, generator=generator) * (width - box_width + 1)).long()
        chosen = torch.rand(batch, generator=generator) < self.erase_probability
        rows = torch.arange(height)[None, :, None]
        cols = torch.arange(width)[None, None, :]
        box = (
            (rows >= top[:, None, None])
            & (rows < (top + box_height)[:, None, None])
            & (cols >= left[:, None, None])
            & (cols < (left + box_width)[:, None, None])
        )
        return images.masked_fill((box & chosen[:, None, None])[:, None], 0.0)


@AUGMENTATIONS.register("image")
def image_augmentation(sample_shape: tuple[int, ...], **options: Any) -> ImageAugmentation:
    """The default image augmentation (SimCLR-style, scaled down for small grey-scale digits)."""
    return ImageAugmentation(tuple(sample_shape), **options)
