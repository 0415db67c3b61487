"""Sequence augmentations: seeded, shape-keeping, and each step does what its docstring says."""

from __future__ import annotations

import pytest
import torch
from sslbench.ssl_models.augment import AUGMENTATIONS, DEFAULT_AUGMENTATION, build_augmentation
from sslbench.ssl_models.augment.sequence import SequenceAugmentation, resample

STEPS = ("crop", "time_warp", "permutation", "scaling", "jitter", "time_mask")


def only(step: str, shape: tuple[int, int] = (3, 64), **options: object) -> SequenceAugmentation:
    """An augmentation with every step off except ``step`` (always applied)."""
    probabilities = {f"{name}_probability": 1.0 if name == step else 0.0 for name in STEPS}
    return SequenceAugmentation(shape, **probabilities, **options)  # type: ignore[arg-type]


@pytest.fixture
def series() -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    return torch.cumsum(torch.randn(16, 3, 64, generator=generator), dim=2)


def test_default_sequence_augmentation_is_registered_for_the_modality(series: torch.Tensor) -> None:
    assert DEFAULT_AUGMENTATION["sequence"] == "sequence" and "sequence" in AUGMENTATIONS
    augment = build_augmentation("sequence", (3, 64))
    assert augment.modality == "sequence"
    views = augment(series, seed=1)
    assert views.shape == series.shape and views.dtype == torch.float32


@pytest.mark.parametrize("step", STEPS)
def test_each_step_is_deterministic_per_seed_and_differs_across_seeds(series: torch.Tensor, step: str) -> None:
    augment = only(step)
    first = augment(series, seed=7)
    assert first.shape == series.shape
    assert torch.equal(first, augment(series, seed=7))
    assert not torch.equal(first, augment(series, seed=8))
    assert not torch.equal(first, series)


def test_all_steps_off_is_the_identity(series: torch.Tensor) -> None:
    augment = SequenceAugmentation((3, 64), **{f"{name}_probability": 0.0 for name in STEPS})
    assert torch.equal(augment(series, seed=0), series)


def test_random_state_of_the_caller_is_untouched(series: torch.Tensor) -> None:
    torch.manual_seed(123)
    before = torch.get_rng_state()
    build_augmentation("sequence", (3, 64))(series, seed=0)
    assert torch.equal(before, torch.get_rng_state())


def test_full_crop_and_flat_warp_resample_to_the_same_series(series: torch.Tensor) -> None:
    assert torch.allclose(only("crop", crop_scale=(1.0, 1.0))(series, 0), series, atol=1e-4)
    assert torch.allclose(only("time_warp", warp_std=0.0)(series, 0), series, atol=1e-4)
    positions = torch.tensor([[0.0, 0.5, 63.0]])
    assert torch.allclose(resample(series[:1], positions)[0, :, 1], series[0, :, :2].mean(dim=1))


def test_crop_views_are_stretched_sub_series(series: torch.Tensor) -> None:
    views = only("crop", crop_scale=(0.5, 0.5))(series, 3)
    assert views[:, :, 0].sub(series[:, :, 0]).abs().max() > 0
    ramp = torch.arange(64.0).expand(4, 3, 64)
    cropped = only("crop", crop_scale=(0.5, 0.5))(ramp, 3)
    steps = cropped.diff(dim=2)
    assert torch.allclose(steps, torch.full_like(steps, 31.5 / 63), atol=1e-4)


def test_permutation_reorders_segments_without_changing_values(series: torch.Tensor) -> None:
    views = only("permutation", max_segments=5)(series, 2)
    assert torch.equal(views.sort(dim=2).values, series.sort(dim=2).values)
    ramp = torch.arange(64.0).expand(64, 1, 64)
    jumps = (only("permutation", (1, 64))(ramp, 5).diff(dim=2) != 1).sum(dim=2)
    assert (jumps >= 1).all() and (jumps <= 3).all()


def test_scaling_multiplies_each_channel_by_one_factor(series: torch.Tensor) -> None:
    ratio = only("scaling")(series, 4) / series
    assert torch.allclose(ratio, ratio[:, :, :1].expand_as(ratio), rtol=1e-4)


def test_time_mask_zeroes_one_span_of_the_requested_length(series: torch.Tensor) -> None:
    views = only("time_mask", mask_ratio=0.25)(series, 1)
    masked = (views == 0).all(dim=1)
    assert (masked.sum(dim=1) == 16).all()
    assert ((masked.int().diff(dim=1) != 0).sum(dim=1) <= 2).all()


def test_jitter_noise_scales_with_each_series_spread(series: torch.Tensor) -> None:
    loud = series * 100
    noise = only("jitter", jitter_std=0.1)(loud, 0) - loud
    assert 0.05 < (noise.std(dim=2) / loud.std(dim=2)).mean() < 0.15


@pytest.mark.parametrize(
    "options, message",
    [
        ({"crop_probability": 1.5}, "crop_probability must be in"),
        ({"crop_scale": (0.0, 1.0)}, "crop_scale"),
        ({"max_segments": 1}, "max_segments"),
    ],
)
def test_bad_options_are_refused_where_they_enter(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_augmentation("sequence", (3, 64), options)
    with pytest.raises(ValueError, match="needs \\(C, T\\) examples"):
        build_augmentation("sequence", (1, 28, 28))
