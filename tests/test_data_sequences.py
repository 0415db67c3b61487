"""UCR/UEA sets through aeon: official splits, z-normalisation, label coding, unequal lengths, the ucr: family."""

from __future__ import annotations

import socket
from pathlib import Path

import numpy as np
import pytest
from sslbench.ssl_models import data
from sslbench.ssl_models.data import DatasetUnavailableError
from sslbench.ssl_models.data.ucr import UnequalLengthError, label_order, load_aeon
from sslbench.ssl_models.registry import UnknownNameError


@pytest.mark.parametrize(
    "name, shape, n_train, n_classes",
    [
        ("gunpoint", (200, 1, 150), 50, 2),
        ("arrowhead", (211, 1, 251), 36, 3),
        ("italy_power_demand", (1096, 1, 24), 67, 2),
        ("basic_motions", (80, 6, 100), 40, 4),
    ],
)
def test_aeon_sets_load_with_official_split_and_z_normalised_channels(
    name: str, shape: tuple[int, ...], n_train: int, n_classes: int
) -> None:
    raw = data.DATASETS.get(name)()
    assert raw.modality == "sequence" and data.modality_of(name) == "sequence"
    assert raw.inputs.shape == shape and raw.inputs.dtype == np.float32
    assert raw.official_test.tolist() == [False] * n_train + [True] * (shape[0] - n_train)
    assert raw.labels.dtype == np.int64 and sorted(set(raw.labels.tolist())) == list(range(n_classes))
    if shape[1] == 1:  # univariate: per-series z-normalisation (the UCR convention)
        assert np.allclose(raw.inputs.mean(axis=2), 0, atol=1e-5)
        assert np.allclose(raw.inputs.std(axis=2), 1, atol=1e-4)
    else:  # multivariate: each channel standardised with the official training series' statistics
        train = raw.inputs[~raw.official_test]
        assert np.allclose(train.mean(axis=(0, 2)), 0, atol=1e-4) and np.allclose(train.std(axis=(0, 2)), 1, atol=1e-4)
        assert not np.allclose(raw.inputs.std(axis=2), 1, atol=1e-2)
    split = data.split_dataset(raw, seed=3)
    assert len(split.x_train) == n_train and np.array_equal(np.sort(split.test_index), np.arange(n_train, shape[0]))


def test_labels_follow_aeon_strings_in_sorted_order() -> None:
    from aeon.datasets import load_classification

    _, train_labels = load_classification("BasicMotions", split="train")
    raw = data.DATASETS.get("basic_motions")()
    assert raw.class_names == ("badminton", "running", "standing", "walking")
    assert [raw.class_names[k] for k in raw.labels[: len(train_labels)]] == list(train_labels)
    assert label_order(["1", "10", "2"]) == ["1", "2", "10"]
    assert label_order(["b", "a", "10"]) == ["10", "a", "b"]


def test_ucr_family_resolves_any_bundled_set_and_refuses_unknown_names() -> None:
    assert "ucr:UnitTest" in data.DATASETS and data.modality_of("ucr:UnitTest") == "sequence"
    raw = data.DATASETS.get("ucr:UnitTest")()
    assert raw.name == "ucr:UnitTest" and raw.inputs.shape == (42, 1, 24)
    assert "ucr:NoSuchSet" not in data.DATASETS
    with pytest.raises(UnknownNameError, match="'NoSuchSet' is not an aeon classification set"):
        data.DATASETS.get("ucr:NoSuchSet")
    with pytest.raises(UnknownNameError, match=r"families: .*ucr:<Name>"):
        data.DATASETS.get("no_such_dataset")


def test_unequal_lengths_are_refused_by_name_unless_padding_is_asked_for() -> None:
    with pytest.raises(UnequalLengthError, match="dataset 'ucr:JapaneseVowels' has unequal-length series.*ucr_padded"):
        data.DATASETS.get("ucr:JapaneseVowels")()
    raw = data.DATASETS.get("japanese_vowels")()
    mask = raw.extras["mask"]
    assert raw.inputs.shape == (640, 12, 29) and mask.shape == (640, 29)
    lengths = mask.sum(axis=1).astype(int)
    assert lengths.min() < lengths.max() == 29
    assert all(mask[row, :length].all() and not mask[row, length:].any() for row, length in enumerate(lengths))
    short = int(np.argmin(lengths))
    assert not raw.inputs[short, :, lengths[short] :].any()
    real_steps = np.concatenate(
        [raw.inputs[row, :, :length] for row, length in enumerate(lengths) if not raw.official_test[row]], axis=1
    )
    assert np.allclose(real_steps.mean(axis=1), 0, atol=1e-4) and np.allclose(real_steps.std(axis=1), 1, atol=1e-4)


def test_padded_family_keeps_every_step_of_every_series() -> None:
    from aeon.datasets import load_classification

    series, _ = load_classification("PickupGestureWiimoteZ", split="train")
    raw = load_aeon("PickupGestureWiimoteZ", pad_unequal=True)
    assert raw.inputs.shape[2] >= max(example.shape[1] for example in series)
    assert raw.extras["mask"][: len(series)].sum(axis=1).tolist() == [example.shape[1] for example in series]


def test_unbundled_set_offline_gives_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("SSLBENCH_DATA", str(tmp_path))
    with pytest.raises(DatasetUnavailableError) as error:
        data.DATASETS.get("ucr:Adiac")()
    assert "\n" not in str(error.value) and str(tmp_path / "ucr" / "Adiac") in str(error.value)


@pytest.mark.parametrize("normalisation", ["per_series", "train_channel", "none"])
def test_normalisation_is_a_declared_option_whose_statistics_never_see_the_test_series(normalisation: str) -> None:
    """Changing every test series leaves the training inputs unchanged under each normalisation (no test statistics)."""
    from aeon.datasets import load_classification

    raw = data.DATASETS.get("basic_motions")(normalisation=normalisation)
    stored, _ = load_classification("BasicMotions", split="train")
    train = raw.inputs[~raw.official_test]
    if normalisation == "none":
        assert np.allclose(train, stored, atol=1e-5)
    elif normalisation == "per_series":
        assert np.allclose(train.std(axis=2), 1, atol=1e-4)
    else:
        flat = stored.transpose(1, 0, 2).reshape(6, -1)
        expected = (stored - flat.mean(axis=1)[None, :, None]) / flat.std(axis=1)[None, :, None]
        assert np.allclose(train, expected, atol=1e-4)
    from sslbench.ssl_models.data.ucr import normalise

    series = [np.asarray(example, dtype=np.float64) for example in stored] * 2
    scrambled = series[:40] + [100 * example + 7 for example in series[40:]]
    assert all(
        np.array_equal(a, b)
        for a, b in zip(normalise(series, 40, normalisation)[:40], normalise(scrambled, 40, normalisation)[:40])
    )


def test_dataset_options_are_checked_against_the_loader_before_anything_loads() -> None:
    from sslbench.ssl_models.data import check_loader_options

    check_loader_options("gunpoint", {"normalisation": "none"})
    with pytest.raises(
        ValueError,
        match=r"dataset_options.gunpoint.normalisation: 'zscore' is not a valid choice; "
        r"valid: per_series, train_channel, none",
    ):
        check_loader_options("gunpoint", {"normalisation": "zscore"})
    with pytest.raises(
        ValueError, match=r"dataset_options.ucr:UnitTest.normalise: unknown option; valid: normalisation"
    ):
        check_loader_options("ucr:UnitTest", {"normalise": "none"})
    with pytest.raises(ValueError, match=r"dataset_options.digits.normalisation: unknown option; valid: none"):
        check_loader_options("digits", {"normalisation": "none"})
