"""Batched image augmentation: seeded, shape- and range-keeping, and each step does what it says."""

from __future__ import annotations

import pytest
import torch
from helpers import STILL
from sslbench.ssl_models import data
from sslbench.ssl_models.augment import build_augmentation
from sslbench.ssl_models.augment.image import ImageAugmentation


@pytest.fixture(scope="module")
def digits() -> torch.Tensor:
    return torch.from_numpy(data.DATASETS.get("mnist5k")().inputs[::100].copy())


def test_views_are_seeded_in_range_and_keep_the_shape(digits: torch.Tensor) -> None:
    augment = build_augmentation("image", (1, 28, 28))
    views = augment(digits, seed=0)
    assert views.shape == digits.shape and views.dtype == torch.float32
    assert 0.0 <= views.min() and views.max() <= 1.0
    assert torch.equal(views, augment(digits, seed=0)) and not torch.equal(views, augment(digits, seed=1))
    torch.manual_seed(3)
    before = torch.get_rng_state()
    augment(digits, seed=2)
    assert torch.equal(before, torch.get_rng_state())


def test_no_crop_no_affine_no_noise_no_erasing_is_the_identity(digits: torch.Tensor) -> None:
    assert torch.allclose(ImageAugmentation((1, 28, 28), **STILL)(digits, seed=0), digits, atol=1e-5)


def test_translation_moves_the_centre_of_mass_by_at_most_the_limit(digits: torch.Tensor) -> None:
    views = ImageAugmentation((1, 28, 28), **{**STILL, "translate": 0.1})(digits, seed=0)
    grid = torch.arange(28.0)

    def centre(images: torch.Tensor) -> torch.Tensor:
        mass = images[:, 0]
        return torch.stack([(mass.sum(1) * grid).sum(1), (mass.sum(2) * grid).sum(1)], 1) / mass.sum((1, 2))[:, None]

    moved = (centre(views) - centre(digits)).abs()
    assert moved.max() <= 2.8 + 0.3 and moved.mean() > 0.5


def test_a_quarter_area_crop_zooms_in_twice(digits: torch.Tensor) -> None:
    views = ImageAugmentation((1, 28, 28), **{**STILL, "crop_scale": (0.25, 0.25)})(digits, seed=0)
    assert views.sum() > 1.3 * digits.sum()


def test_erasing_blanks_one_rectangle_of_two_to_ten_percent() -> None:
    white = torch.ones(32, 1, 28, 28)
    views = ImageAugmentation((1, 28, 28), **{**STILL, "erase_probability": 1.0})(white, seed=0)
    erased = (views == 0).sum(dim=(1, 2, 3)).float() / (28 * 28)
    assert (erased >= 0.015).all() and (erased <= 0.12).all()
    rows, cols = (views[:, 0] == 0).any(2), (views[:, 0] == 0).any(1)
    assert torch.equal(rows.sum(1) * cols.sum(1), (views == 0).sum(dim=(1, 2, 3)))


def test_bad_image_options_are_refused() -> None:
    with pytest.raises(ValueError, match="crop_scale"):
        build_augmentation("image", (1, 28, 28), {"crop_scale": (0.0, 1.0)})
    with pytest.raises(ValueError, match="needs \\(C, H, W\\)"):
        build_augmentation("image", (3, 64))
