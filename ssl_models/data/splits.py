"""Fixed, seeded, stratified train/test splits."""

from __future__ import annotations

import math

import numpy as np
from sklearn.model_selection import train_test_split

from ssl_models.data.base import RawDataset, SplitData


def _check_stratifiable(raw: RawDataset, test_fraction: float) -> None:
    """Raise ValueError, naming the dataset, when a stratified split with ``test_fraction`` is impossible."""
    n_examples = len(raw.inputs)
    n_test = math.ceil(test_fraction * n_examples)
    if n_examples < 2 or n_test >= n_examples:
        raise ValueError(f"dataset '{raw.name}': {n_examples} example(s) cannot be split into train and test "
                         f"(test_fraction {test_fraction:g}); it needs at least 2, and a smaller test_fraction")
    if raw.labels is None:
        return
    counts = np.bincount(raw.labels)
    counts = counts[counts > 0]
    if counts.min() < 2:
        raise ValueError(f"dataset '{raw.name}': a class has a single example, but a stratified split needs at "
                         f"least 2 per class (one on each side)")
    if min(n_test, n_examples - n_test) < len(counts):
        raise ValueError(f"dataset '{raw.name}': test_fraction {test_fraction:g} of {n_examples} examples leaves "
                         f"{n_test} for test and {n_examples - n_test} for training, fewer than its {len(counts)} "
                         f"classes; a stratified split needs at least one example of each class on each side")


def split_dataset(raw: RawDataset, seed: int, test_fraction: float = 0.2) -> SplitData:
    """Split ``raw`` into train/test: its official split when it has one, else stratified by label and shuffled.

    The seed fixes the split; both index arrays are kept so a run can be reproduced from its tables.
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
            order, test_size=test_fraction, random_state=seed,
            stratify=raw.labels if raw.labels is not None else None, shuffle=True,
        )
    labels = raw.labels
    n_classes = int(labels.max()) + 1 if labels is not None else 0
    extras = {key: value[np.concatenate([train_index, test_index])] for key, value in raw.extras.items()}
    return SplitData(
        name=raw.name, modality=raw.modality,
        x_train=raw.inputs[train_index], x_test=raw.inputs[test_index],
        y_train=labels[train_index] if labels is not None else None,
        y_test=labels[test_index] if labels is not None else None,
        train_index=np.asarray(train_index, dtype=np.int64), test_index=np.asarray(test_index, dtype=np.int64),
        n_classes=n_classes, extras=extras, evaluators=raw.evaluators,
    )
