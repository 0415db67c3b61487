"""The data contract between stages: a labelled dataset, and its fixed train/test split with a validation part."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sslbench.ssl_models.files import atomic_path
from sslbench.ssl_models.vocabulary import MODALITIES


@dataclass(frozen=True)
class RawDataset:
    """What a dataset loader returns: every example, its label, and optionally an official split.

    ``inputs`` is float32 of shape (N, *sample_shape): (N, C, H, W) for images, (N, C, T) for sequences,
    (N, F) for vectors. ``labels`` is int64 (N,) with classes 0..n_classes-1, or None when unlabelled.
    ``official_test`` is a boolean mask (N,) when the dataset comes with its own split.
    ``extras`` holds per-example arrays (N, ...) that follow the split (e.g. true hidden states);
    ``evaluators`` names dataset-specific evaluators (``ssl_models.evaluate.registry.EVALUATORS``) to run.
    """

    name: str
    modality: str
    inputs: np.ndarray
    labels: np.ndarray | None
    official_test: np.ndarray | None = None
    class_names: tuple[str, ...] = ()
    extras: dict[str, np.ndarray] = field(default_factory=dict)
    evaluators: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.modality not in MODALITIES:
            raise ValueError(f"unknown modality '{self.modality}'; valid modalities: {', '.join(MODALITIES)}")
        if self.labels is not None and len(self.labels) != len(self.inputs):
            raise ValueError(f"dataset '{self.name}': {len(self.inputs)} inputs but {len(self.labels)} labels")


@dataclass(frozen=True)
class SplitData:
    """A dataset split into train and test; the indices point into the loader's full example order.

    ``validation_rows`` are positions into the training rows: the validation part carved from the training split.
    Pretraining reads every training row without labels; anything *selected* (a best configuration, a probe
    setting) is chosen on the validation rows with a probe fitted on the other training rows (``fit_rows``),
    and test is scored once per final configuration.
    """

    name: str
    modality: str
    x_train: np.ndarray
    y_train: np.ndarray | None
    x_test: np.ndarray
    y_test: np.ndarray | None
    train_index: np.ndarray
    test_index: np.ndarray
    n_classes: int
    extras: dict[str, np.ndarray] = field(default_factory=dict)
    evaluators: tuple[str, ...] = ()
    validation_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def fit_rows(self) -> np.ndarray:
        """Positions of the training rows outside the validation part."""
        return np.setdiff1d(np.arange(len(self.train_index)), self.validation_rows)

    @property
    def validation_index(self) -> np.ndarray:
        """The validation part's positions in the loader's full example order (a subset of ``train_index``)."""
        return self.train_index[self.validation_rows]

    @property
    def sample_shape(self) -> tuple[int, ...]:
        """Shape of one example, without the batch axis."""
        return tuple(self.x_train.shape[1:])

    def extra_train(self, key: str) -> np.ndarray:
        """The training-split rows of extra array ``key`` (extras are stored train rows first, then test)."""
        return self.extras[key][: len(self.train_index)]

    def extra_test(self, key: str) -> np.ndarray:
        """The test-split rows of extra array ``key``."""
        return self.extras[key][len(self.train_index) :]

    @property
    def labelled(self) -> bool:
        """True when labels exist (probes need them; clustering metrics need them too)."""
        return self.y_train is not None

    def labels(self) -> tuple[np.ndarray, np.ndarray]:
        """(y_train, y_test); a ValueError naming the dataset when it has no labels."""
        if self.y_train is None or self.y_test is None:
            raise ValueError(f"dataset '{self.name}' has no labels")
        return self.y_train, self.y_test

    def fingerprint(self) -> str:
        """Content hash of the split: inputs, labels, indices and validation rows (used to key cached artefacts)."""
        digest = hashlib.sha256()
        for array in (
            self.x_train,
            self.y_train,
            self.x_test,
            self.y_test,
            self.train_index,
            self.test_index,
            self.validation_rows,
        ):
            if array is not None:
                digest.update(np.ascontiguousarray(array).tobytes())
        return digest.hexdigest()[:16]

    def save(self, path: Path) -> None:
        """Write the split to one ``.npz`` file atomically (temp file, then rename)."""
        arrays: dict[str, Any] = {
            "x_train": self.x_train,
            "x_test": self.x_test,
            "train_index": self.train_index,
            "test_index": self.test_index,
            "validation_rows": self.validation_rows,
            "meta": np.array([self.name, self.modality, str(self.n_classes), ",".join(self.evaluators)]),
        }
        if self.y_train is not None:
            arrays.update(y_train=self.y_train, y_test=self.y_test)
        arrays.update({f"extra__{key}": value for key, value in self.extras.items()})
        with atomic_path(path) as temp, open(temp, "wb") as handle:
            np.savez(handle, **arrays)

    @classmethod
    def load(cls, path: Path) -> SplitData:
        """Read a split written by :meth:`save` (no pickles are executed)."""
        with np.load(path, allow_pickle=False) as archive:
            name, modality, n_classes, evaluators = (str(v) for v in archive["meta"])
            return cls(
                name=name,
                modality=modality,
                x_train=archive["x_train"],
                x_test=archive["x_test"],
                y_train=archive["y_train"] if "y_train" in archive else None,
                y_test=archive["y_test"] if "y_test" in archive else None,
                train_index=archive["train_index"],
                test_index=archive["test_index"],
                n_classes=int(n_classes),
                extras={k.removeprefix("extra__"): archive[k] for k in archive.files if k.startswith("extra__")},
                evaluators=tuple(e for e in evaluators.split(",") if e),
                validation_rows=archive["validation_rows"]
                if "validation_rows" in archive
                else np.zeros(0, dtype=np.int64),
            )


DatasetLoader = Callable[[], RawDataset]
