"""Fixed, seeded, stratified train/test splits, each with a validation part carved from its training part."""

from __future__ import annotations

import math

import numpy as np
from sklearn.model_selection import train_test_split
from sslbench.ssl_models.data.base import RawDataset, SplitData


def _check_stratifiable(raw: RawDataset, test_fraction: float) -> None:
    """Raise ValueError, naming the dataset, when a stratified split with ``test_fraction`` is impossible."""
    n_examples = len(raw.inputs)
    n_test = math.ceil(test_fraction * n_examples)
    if n_examples < 2 or n_test >= n_examples:
        raise ValueError(
            f"dataset '{raw.name}': {n_examples} example(s) cannot be split into train and test "
            f"(test_fraction {test_fraction:g}); it needs at least 2, and a smaller test_fraction"
        )
    if raw.labels is None:
        return
    counts = np.bincount(raw.labels)
    counts = counts[counts > 0]
    if counts.min() < 2:
        raise ValueError(
            f"dataset '{raw.name}': a class has a single example, but a stratified split needs at "
            f"least 2 per class (one on each side)"
        )
    if min(n_test, n_examples - n_test) < len(counts):
        raise ValueError(
            f"dataset '{raw.name}': test_fraction {test_fraction:g} of {n_examples} examples leaves "
            f"{n_test} for test and {n_examples - n_test} for training, fewer than its {len(counts)} "
            f"classes; a stratified split needs at least one example of each class on each side"
        )


VALIDATION_FRACTION = 0.2
VALIDATION_STREAM = 1  # the validation carve's own random stream: numpy.random.default_rng([seed, VALIDATION_STREAM])


def validation_rows(labels: np.ndarray | None, n_train: int, fraction: float, seed: int) -> np.ndarray:
    """Sorted positions (into the training rows) of the validation part: stratified, seeded by ``seed``.

    Class c with n_c ≥ 2 training examples gives v_c = min(n_c − 1, max(1, round(fraction · n_c))) of them, so
    every such class is on both sides; a class with a single training example keeps it for fitting. Without
    labels, round(fraction · N) rows (at most N − 1) are drawn.
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation_fraction must be in (0, 1), got {fraction}")
    rng = np.random.default_rng([seed, VALIDATION_STREAM])
    if labels is None:
        return np.sort(rng.permutation(n_train)[: min(max(n_train - 1, 0), round(fraction * n_train))])
    rows = []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        if len(members) >= 2:
            rows.append(members[: min(len(members) - 1, max(1, round(fraction * len(members))))])
    return np.sort(np.concatenate(rows)).astype(np.int64) if rows else np.zeros(0, dtype=np.int64)


def split_dataset(
    raw: RawDataset, seed: int, test_fraction: float = 0.2, validation_fraction: float = VALIDATION_FRACTION
) -> SplitData:
    """Split ``raw`` into train/test: its official split when it has one, else stratified by label and shuffled;
    then carve ``validation_fraction`` of the training part as its validation part (:func:`validation_rows`).

    The seed fixes the split; the index arrays are kept so a run can be reproduced from its tables.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    n_examples = len(raw.inputs)
    order = np.arange(n_examples)
    if raw.official_test is not None:
        rng = np.random.default_rng(seed)
        train_index = rng.permutation(order[~raw.official_test])
        test_index = order[raw.official_test]
    else:
        _check_stratifiable(raw, test_fraction)
        train_index, test_index = train_test_split(
            order,
            test_size=test_fraction,
            random_state=seed,
            stratify=raw.labels if raw.labels is not None else None,
            shuffle=True,
        )
    labels = raw.labels
    n_classes = int(labels.max()) + 1 if labels is not None else 0
    extras = {key: value[np.concatenate([train_index, test_index])] for key, value in raw.extras.items()}
    return SplitData(
        name=raw.name,
        modality=raw.modality,
        x_train=raw.inputs[train_index],
        x_test=raw.inputs[test_index],
        y_train=labels[train_index] if labels is not None else None,
        y_test=labels[test_index] if labels is not None else None,
        train_index=np.asarray(train_index, dtype=np.int64),
        test_index=np.asarray(test_index, dtype=np.int64),
        n_classes=n_classes,
        extras=extras,
        evaluators=raw.evaluators,
        validation_rows=validation_rows(
            labels[train_index] if labels is not None else None, len(train_index), validation_fraction, seed
        ),
    )
