"""UCR/UEA time-series classification sets through aeon, with their official train/test split.

Normalisation is a declared option of every such dataset (``[dataset_options.NAME] normalisation = ...``):

- ``per_series``: each series z-normalised per example and channel, x ← (x − mean_t x) / std_t x (a constant
  channel becomes zeros) — the UCR archive's own convention, the default for univariate sets;
- ``train_channel``: each channel standardised with the mean and std over every step of the official training
  series (TS2Vec's preprocessing of the UEA archive), the default for multivariate sets: per-series
  normalisation removes class information there (JapaneseVowels, 12 channels of 7–29 steps: raw linear probe
  97.6 % → 70.3 %, raw 1-NN 91.6 % → 56.2 %);
- ``none``: the values as stored.

String labels become 0..K−1 in sorted order (numeric when every label is a number), and inputs are float32
(N, C, T). Unequal-length sets are refused unless padding is asked for: then series are
zero-padded at the end to the longest length and ``extras["mask"]`` (N, T) is 1 on the real steps. Series
are never truncated.

Sets bundled with aeon load offline; any other name in aeon's list is downloaded into
``$SSLBENCH_DATA/ucr`` on first use. Adding a named dataset is one line, ``register_aeon("Name", "name")``;
any set is also reachable as ``ucr:<Name>`` (``ucr_padded:<Name>`` to pad unequal lengths).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal, get_args

import numpy as np
from sslbench.ssl_models.data.base import DatasetLoader, RawDataset
from sslbench.ssl_models.data.registry import register_dataset, register_dataset_family
from sslbench.ssl_models.data.storage import DatasetUnavailableError, data_root, first_line
from sslbench.ssl_models.registry import UnknownNameError

# Evaluators every archive set names: TS2Vec's RBF-SVM protocol (ssl_models.evaluate.svm_protocol), beside the probes.
ARCHIVE_EVALUATORS = ("svm_protocol",)


class UnequalLengthError(ValueError):
    """A dataset whose series differ in length, loaded without asking for padding."""


def _bundled_root() -> Path:
    import aeon.datasets

    return Path(aeon.datasets.__file__).parent / "data"


def _cache_root() -> Path:
    return data_root() / "ucr"


def _has_files(root: Path, name: str) -> bool:
    return all((root / name / f"{name}_{split}.ts").is_file() for split in ("TRAIN", "TEST"))


def _header(path: Path) -> dict[str, str]:
    """The ``@key value`` lines of a ``.ts`` file before ``@data``, keys lower-cased."""
    header: dict[str, str] = {}
    with path.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            if line.lower().startswith("@data"):
                break
            if line.startswith("@"):
                key, _, value = line[1:].strip().partition(" ")
                header[key.lower()] = value.strip()
    return header


def bundled_sets() -> list[tuple[str, bool]]:
    """(name, equal length) of every classification set bundled with aeon (readable offline), by name."""
    sets = []
    for folder in sorted(_bundled_root().iterdir()):
        if _has_files(_bundled_root(), folder.name):
            header = _header(folder / f"{folder.name}_TRAIN.ts")
            if header.get("classlabel", "").startswith("true"):
                sets.append((folder.name, header.get("equallength", "true") == "true"))
    return sets


def archive_sets() -> dict[str, list[str]]:
    """The sets of each archive in aeon's lists: "UCR" (128 univariate) and "UEA" (30 multivariate)."""
    from aeon.datasets.tsc_datasets import multivariate, univariate

    return {"UCR": sorted(univariate), "UEA": sorted(multivariate)}


def known_name(name: str) -> bool:
    """True when aeon can load ``name``: bundled, already downloaded, or in aeon's list of downloadable sets."""
    from aeon.datasets.tsc_datasets import tsc_zenodo

    return name in tsc_zenodo or _has_files(_bundled_root(), name) or _has_files(_cache_root(), name)


def _read_split(name: str, split: str) -> tuple[list[np.ndarray], np.ndarray]:
    """The series (each (C, T_i)) and string labels of one official split, never the truncated ``_eq`` files."""
    from aeon.datasets import load_classification

    bundled = _has_files(_bundled_root(), name)
    extract_path = None if bundled else str(_cache_root())
    try:
        series, labels = load_classification(
            name, split=split, extract_path=extract_path, load_equal_length=False, load_no_missing=False
        )
    except ValueError as error:
        if bundled or _has_files(_cache_root(), name):
            raise
        raise DatasetUnavailableError(
            f"time-series dataset '{name}' is not bundled with aeon and could not be downloaded "
            f"({first_line(error)}); on a machine with internet load it once with SSLBENCH_DATA set, or copy "
            f"{name}_TRAIN.ts and {name}_TEST.ts into {_cache_root() / name}"
        ) from None
    return [np.asarray(example, dtype=np.float64) for example in series], np.asarray(labels).astype(str)


def label_order(labels: Sequence[str]) -> list[str]:
    """The distinct labels sorted: numerically when all are numbers ('2' before '10'), else as strings."""
    distinct = sorted(set(labels))
    try:
        return sorted(distinct, key=float)
    except ValueError:
        return distinct


def z_normalise(series: np.ndarray) -> np.ndarray:
    """(C, T) → per-channel (x − mean) / std over time; constant channels become zeros."""
    centred = series - series.mean(axis=1, keepdims=True)
    scale = series.std(axis=1, keepdims=True)
    return centred / np.where(scale > 0, scale, 1.0)


Normalisation = Literal["per_series", "train_channel", "none"]


def default_normalisation(n_channels: int) -> str:
    """The literature's default: ``per_series`` for univariate (UCR) sets, ``train_channel`` for multivariate (UEA)."""
    return "per_series" if n_channels == 1 else "train_channel"


def normalise(series: list[np.ndarray], n_train: int, normalisation: str) -> list[np.ndarray]:
    """The series (each (C, T_i)) normalised as ``normalisation`` says; statistics never use the test series."""
    if normalisation == "per_series":
        return [z_normalise(example) for example in series]
    if normalisation == "train_channel":
        steps = np.concatenate(series[:n_train], axis=1)
        mean, std = steps.mean(axis=1, keepdims=True), steps.std(axis=1, keepdims=True)
        return [(example - mean) / np.where(std > 0, std, 1.0) for example in series]
    if normalisation == "none":
        return series
    raise ValueError(f"unknown normalisation '{normalisation}'; valid: {', '.join(get_args(Normalisation))}")


def load_aeon(
    name: str, registry_name: str | None = None, pad_unequal: bool = False, normalisation: str | None = None
) -> RawDataset:
    """Both official splits of aeon classification set ``name``, normalised (default: the literature's for its
    channel count), as one RawDataset."""
    registry_name = registry_name or name
    train, train_labels = _read_split(name, "train")
    test, test_labels = _read_split(name, "test")
    series = train + test
    if any(np.isnan(example).any() for example in series):
        raise ValueError(f"dataset '{registry_name}' has missing values (NaN); sslbench needs complete series")
    lengths = np.array([example.shape[1] for example in series])
    channels = {example.shape[0] for example in series}
    if len(channels) != 1:
        raise ValueError(f"dataset '{registry_name}' mixes channel counts {sorted(channels)}")
    extras: dict[str, np.ndarray] = {}
    n_channels = next(iter(channels))
    series = normalise(series, len(train), normalisation or default_normalisation(n_channels))
    if lengths.min() == lengths.max():
        inputs = np.stack(series).astype(np.float32)
    elif not pad_unequal:
        raise _unequal_length_error(name, registry_name, f" ({lengths.min()}–{lengths.max()} steps)")
    else:
        inputs = np.zeros((len(series), channels.pop(), lengths.max()), dtype=np.float32)
        mask = np.zeros((len(series), lengths.max()), dtype=np.float32)
        for row, example in enumerate(series):
            inputs[row, :, : example.shape[1]] = example
            mask[row, : example.shape[1]] = 1.0
        extras["mask"] = mask
    classes = label_order(list(train_labels) + list(test_labels))
    index = {label: position for position, label in enumerate(classes)}
    labels = np.array([index[label] for label in np.concatenate([train_labels, test_labels])], dtype=np.int64)
    official_test = np.arange(len(series)) >= len(train)
    return RawDataset(
        registry_name,
        "sequence",
        inputs,
        labels,
        official_test=official_test,
        class_names=tuple(classes),
        extras=extras,
        evaluators=ARCHIVE_EVALUATORS,
    )


SHORT_NAMES: dict[str, str] = {}  # aeon name → the dataset name ``register_aeon`` gave it


def register_aeon(name: str, registry_name: str, pad_unequal: bool = False) -> DatasetLoader:
    """Register aeon set ``name`` as dataset ``registry_name`` (one line per dataset)."""
    SHORT_NAMES[name] = registry_name

    def loader(normalisation: Normalisation | None = None) -> RawDataset:
        return load_aeon(name, registry_name, pad_unequal, normalisation)

    loader.__doc__ = f"Load aeon's {name} with its official split (normalisation: see the module docstring)."
    return register_dataset(registry_name, modality="sequence")(loader)


def declared_unequal_length(name: str) -> bool:
    """True when the local ``.ts`` files of ``name`` (bundled or downloaded) declare ``@equalLength false``.

    Reads only the header, so the planner can refuse such a set before anything runs; False when the files are not
    here yet (the loader then checks the lengths it reads).
    """
    for root in (_bundled_root(), _cache_root()):
        if _has_files(root, name):
            return _header(root / name / f"{name}_TRAIN.ts").get("equallength", "true").lower() == "false"
    return False


def _unequal_length_error(name: str, registry_name: str, detail: str = "") -> UnequalLengthError:
    return UnequalLengthError(
        f"dataset '{registry_name}' has unequal-length series{detail}; use 'ucr_padded:{name}' "
        f"(or register_aeon(..., pad_unequal=True)) to zero-pad them with a mask"
    )


def _family(prefix: str, pad_unequal: bool) -> None:
    @register_dataset_family(prefix, modality="sequence")
    def make_loader(name: str) -> DatasetLoader:
        if not name or not known_name(name):
            raise UnknownNameError(
                f"unknown dataset '{prefix}:{name}': '{name}' is not an aeon classification set "
                f"(see aeon.datasets.tsc_datasets.tsc_zenodo)"
            )
        if not pad_unequal and declared_unequal_length(name):
            raise _unequal_length_error(name, f"{prefix}:{name}")

        def loader(normalisation: Normalisation | None = None) -> RawDataset:
            return load_aeon(name, f"{prefix}:{name}", pad_unequal, normalisation)

        return loader


_family("ucr", pad_unequal=False)
_family("ucr_padded", pad_unequal=True)

register_aeon("GunPoint", "gunpoint")
register_aeon("ArrowHead", "arrowhead")
register_aeon("ItalyPowerDemand", "italy_power_demand")
register_aeon("BasicMotions", "basic_motions")
register_aeon("JapaneseVowels", "japanese_vowels", pad_unequal=True)
