"""Property-based tests of the data contract (Hypothesis): any legal dataset goes through split → view bank →
baselines → probes without a traceback, and every metric is finite and within its range.

Shapes, lengths, class counts and sizes are drawn down to the smallest legal ones: two examples per class (a
stratified split needs one on each side), one channel, two time steps, a 1×2 image, one feature.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import evaluate_embeddings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sslbench.ssl_models import data
from sslbench.ssl_models.augment import DEFAULT_AUGMENTATION, generate_bank, open_bank
from sslbench.ssl_models.baselines import PCA, raw_features
from sslbench.ssl_models.evaluate import ProbeConfig

RANGES = {
    "linear_acc": (0, 1),
    "knn_acc": (0, 1),
    "kmeans_nmi": (0, 1),
    "kmeans_ari": (-1, 1),
    "linear_converged": (0, 1),
    "collapsed": (0, 1),
    "embedding_collapsed": (0, 1),
    "kmeans_silhouette": (-1, 1),
}


@st.composite
def datasets(draw: st.DrawFn) -> data.RawDataset:
    modality = draw(st.sampled_from(["vector", "sequence", "image"]))
    shape = {
        "vector": (draw(st.integers(1, 12)),),
        "sequence": (draw(st.integers(1, 3)), draw(st.integers(2, 40))),
        "image": (draw(st.integers(1, 2)), draw(st.integers(1, 9)), draw(st.integers(2, 9))),
    }[modality]
    n_classes = draw(st.integers(1, 5))
    per_class = draw(st.lists(st.integers(2, 9), min_size=n_classes, max_size=n_classes))
    labelled = n_classes > 1 or draw(st.booleans())
    labels = np.repeat(np.arange(n_classes), per_class)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([1e-3, 1.0, 255.0]))
    inputs = (scale * rng.standard_normal((len(labels), *shape)) + labels.reshape(-1, *[1] * len(shape))).astype(
        np.float32
    )
    if draw(st.booleans()):  # some constant features, as in images with blank borders
        inputs.reshape(len(inputs), -1)[:, : inputs[0].size // 2] = 0.0
    return data.RawDataset("drawn", modality, inputs, labels if labelled and n_classes > 1 else None)


def _check(metrics: dict[str, float]) -> None:
    for name, value in metrics.items():
        assert np.isfinite(value), (name, value)
        low, high = RANGES.get(name, (0, np.inf))
        assert low - 1e-9 <= value <= high + 1e-9, (name, value)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=datasets(), seed=st.integers(0, 3), test_fraction=st.sampled_from([0.2, 0.5]), k=st.integers(1, 16))
def test_any_legal_dataset_goes_through_split_bank_baselines_and_probes(
    tmp_path: Path, raw: data.RawDataset, seed: int, test_fraction: float, k: int
) -> None:
    n_test = int(np.ceil(test_fraction * len(raw.inputs)))
    n_classes = 1 if raw.labels is None else len(set(raw.labels.tolist()))
    if min(n_test, len(raw.inputs) - n_test) < n_classes:  # illegal: refused with one clear line
        with pytest.raises(ValueError, match=r"dataset 'drawn': test_fraction .* fewer than its \d+ classes"):
            data.split_dataset(raw, seed, test_fraction)
        return
    split = data.split_dataset(raw, seed, test_fraction)
    assert len(split.x_train) and len(split.x_test)
    assert set(split.train_index).isdisjoint(split.test_index)
    augmentation = DEFAULT_AUGMENTATION.get(raw.modality)
    if augmentation is not None:
        bank = open_bank(
            generate_bank(split.x_train, augmentation, {}, 2, seed, tmp_path / f"bank{seed}.npy"),
            expected_shape=split.x_train.shape,
        )
        assert np.isfinite(bank).all()
    config = ProbeConfig(linear_c_grid=(0.1, 1.0), cv_folds=2, kmeans_restarts=2, unlabelled_clusters=3)
    pca = PCA(k).fit(split.x_train)
    for train, test in (
        (raw_features(split.x_train), raw_features(split.x_test)),
        (pca.project(split.x_train), pca.project(split.x_test)),
        (pca.transform(split.x_train), pca.transform(split.x_test)),
    ):
        _check(evaluate_embeddings(train, split.y_train, test, split.y_test, split.n_classes, seed, config))


@pytest.mark.parametrize(
    "labels, fraction, message",
    [
        ([0, 0, 1], 0.5, "a class has a single example"),
        ([0, 1], 0.5, "a class has a single example"),
        ([0, 0], 0.99, "cannot be split into train and test"),
        ([0, 0, 1, 1, 2, 2], 0.2, "leaves 2 for test and 4 for training, fewer than its 3 classes"),
    ],
)
def test_an_impossible_split_is_one_clear_line(labels: list[int], fraction: float, message: str) -> None:
    raw = data.RawDataset("tiny", "vector", np.zeros((len(labels), 2), dtype=np.float32), np.array(labels))
    with pytest.raises(ValueError, match=message):
        data.split_dataset(raw, 0, fraction)
