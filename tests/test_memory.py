"""Memory of the data path: PCA without an n × d factor, kNN without a test × train matrix, one split per process.

NumPy reports its allocations to ``tracemalloc``, so a peak measured there counts every NumPy array a step makes
(scikit-learn's compiled nearest-neighbour search allocates outside it and is bounded by its own chunking).
"""

from __future__ import annotations

import os
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sklearn.metrics.pairwise import cosine_distances
from sklearn.neighbors import KNeighborsClassifier
from sslbench.ssl_models.baselines.pca import PCA
from sslbench.ssl_models.configs import ProbeConfig
from sslbench.ssl_models.data import SplitData
from sslbench.ssl_models.evaluate.probes import cosine_points, knn_accuracy
from sslbench.ssl_models.host_tensors import release_mapped_pages
from sslbench.tasks import data as data_tasks


def numpy_peak(function: Callable[[], Any]) -> tuple[int, Any]:
    """(peak bytes NumPy allocated while ``function`` ran, its result)."""
    tracemalloc.start()
    try:
        result = function()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, result


@pytest.mark.parametrize("n_train, n_features, true_rank", [(400, 40, 7), (300, 60, 60), (25, 80, 24)])
def test_pca_subspace_and_rank_match_the_svd_of_the_centred_data(n_train: int, n_features: int, true_rank: int) -> None:
    """Gram route (n ≥ d) and thin SVD (n < d) agree with numpy's SVD: singular values, rank, top-k subspace."""
    rng = np.random.default_rng(n_features)
    train = (rng.standard_normal((n_train, true_rank)) @ rng.standard_normal((true_rank, n_features))).astype(
        np.float32
    )
    pca = PCA(12).fit(train)
    centred = train.astype(np.float64) - train.astype(np.float64).mean(axis=0)
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    expected_rank = min(true_rank, n_train - 1)
    assert len(pca.singular_values_) == expected_rank
    assert np.allclose(pca.singular_values_, singular[:expected_rank], rtol=1e-6)
    k = min(12, expected_rank)
    assert pca.components_.shape == (k, n_features)
    # the same subspace: the projector onto it is unique even where the basis vectors' signs differ
    assert np.allclose(pca.components_.T @ pca.components_, vt[:k].T @ vt[:k], atol=1e-6)


def test_pca_fit_and_projection_allocate_no_n_by_d_factor() -> None:
    """A 6,000 × 300 float32 training part: fitting allocates about one float64 copy of it (the centred data), no
    U factor; the rank-k reconstruction allocates its float32 output and one block of float64 temporaries."""
    train = np.random.default_rng(0).standard_normal((6000, 300)).astype(np.float32)
    copy_bytes = train.size * 8
    fit_peak, pca = numpy_peak(lambda: PCA(32).fit(train))
    assert fit_peak < 1.3 * copy_bytes, fit_peak / copy_bytes
    project_peak, projected = numpy_peak(lambda: pca.project(train))
    assert project_peak < 1.3 * projected.nbytes + 6 * 2048 * 300 * 8, project_peak / projected.nbytes


def test_knn_on_unit_vectors_matches_cosine_knn_and_allocates_no_distance_matrix() -> None:
    """Euclidean neighbours of unit vectors are cosine neighbours (a zero vector included), found without the
    n_test × n_train distance matrix (here 6 MB) that metric="cosine" makes."""
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((4, 40))
    labels = rng.integers(0, 4, 2000)
    points = (centres[labels] + 1.5 * rng.standard_normal((2000, 40))).astype(np.float32)
    points[[5, 1700]] = 0.0  # a zero training row and a zero test row: cosine distance 1 to everything
    train, test, y_train, y_test = points[:1500], points[1500:], labels[:1500], labels[1500:]
    config = ProbeConfig(knn_neighbours=5)
    reference = KNeighborsClassifier(n_neighbors=5, metric="cosine").fit(train, y_train)
    # Where the 5th and 6th nearest are equally far, any choice among the tied is right, and scikit-learn's own
    # choice has changed between releases: the zero test row is tied with every training row (distance 1).
    distances = cosine_distances(test, train)
    assert np.allclose(distances[200], 1.0)
    fifth, sixth = np.sort(distances, axis=1)[:, 4:6].T
    untied = sixth - fifth > 1e-5
    assert not untied[200] and (~untied).sum() <= 5  # 3 here: the zero row and two float32 near-ties
    peak, ours = numpy_peak(lambda: knn_accuracy(train, y_train, test, y_test, config))
    assert knn_accuracy(train, y_train, test[untied], y_test[untied], config) == reference.score(
        test[untied], y_test[untied]
    )
    assert abs(ours - reference.score(test, y_test)) <= (~untied).sum() / len(test)
    distance_matrix_bytes = len(test) * len(train) * 8
    assert peak < 0.3 * distance_matrix_bytes, peak / distance_matrix_bytes  # measured 0.18; cosine's ≥ 1


def test_cosine_points_turn_cosine_distances_into_half_squared_distances() -> None:
    rng = np.random.default_rng(5)
    train, test = rng.standard_normal((30, 6)), rng.standard_normal((20, 6))
    train[[0, 7]], test[3] = 0.0, 0.0
    train_points, test_points = cosine_points(train, test)
    squared = ((test_points[:, None, :] - train_points[None, :, :]) ** 2).sum(axis=2)
    assert np.allclose(squared / 2, cosine_distances(test, train))


def _write_split(path: Path, offset: float) -> None:
    x = np.arange(24, dtype=np.float32).reshape(12, 2) + offset
    y = np.arange(12) % 2
    SplitData(
        name="tiny",
        modality="vector",
        x_train=x[:8],
        y_train=y[:8],
        x_test=x[8:],
        y_test=y[8:],
        train_index=np.arange(8),
        test_index=np.arange(8, 12),
        n_classes=2,
    ).save(path)


def test_a_split_file_is_loaded_once_per_process_read_only_and_again_when_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "split.npz"
    _write_split(path, 0.0)
    first = data_tasks.open_split(path)
    assert data_tasks.open_split(str(path)) is first
    with pytest.raises(ValueError, match="read-only"):
        first.x_train[0, 0] = 1.0
    _write_split(path, 100.0)
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000))
    again = data_tasks.open_split(path)
    assert again is not first and again.x_train[0, 0] == 100.0


def test_only_the_last_splits_stay_in_memory(tmp_path: Path) -> None:
    paths = [tmp_path / f"split{i}.npz" for i in range(data_tasks.OPEN_SPLITS_KEPT + 1)]
    for path in paths:
        _write_split(path, 0.0)
    opened = [data_tasks.open_split(path) for path in paths]
    assert data_tasks.open_split(paths[-1]) is opened[-1]
    assert data_tasks.open_split(paths[0]) is not opened[0]  # the oldest was dropped, then read again


def test_read_only_shared_rows_embed_and_make_banks_without_a_warning(tmp_path: Path) -> None:
    """The open split's arrays are read-only; batching them for torch copies a batch instead of warning."""
    from sslbench.ssl_models.augment import generate_bank
    from sslbench.ssl_models.encoders import build_encoder
    from sslbench.ssl_models.evaluate import embed
    from sslbench.ssl_models.host_tensors import host_tensor

    rows = np.random.default_rng(0).standard_normal((10, 1, 8, 8)).astype(np.float32)
    rows.setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.array_equal(host_tensor(rows).numpy(), rows)
        assert embed(build_encoder("mlp", (1, 8, 8), 4), rows).shape == (10, 4)
        generate_bank(rows, "image", {}, 2, 0, tmp_path / "bank.npy")
    writable = np.zeros((3, 2), dtype=np.float32)
    assert host_tensor(writable).data_ptr() == writable.ctypes.data  # writable rows are not copied


def test_reading_a_bank_for_training_leaves_its_pages_to_the_page_cache(tmp_path: Path) -> None:
    """A 64 MB memory-mapped bank read row by row, as training reads it: its pages leave this process's resident
    set after each batch (the rows read are exactly the bank's)."""
    import psutil
    from sslbench.ssl_models.train import _take

    path = tmp_path / "bank.npy"
    np.save(path, np.arange(16 * 2**20, dtype=np.float32).reshape(4096, 4, 1024))
    bank = np.load(path, mmap_mode="r")
    process = psutil.Process()
    before = process.memory_info().rss
    for start in range(0, 4096, 512):
        index = np.arange(start, start + 512)
        assert np.array_equal(_take(bank, index).numpy(), np.asarray(bank[index]))
    grown = process.memory_info().rss - before
    assert grown < 16 * 2**20, grown / 2**20  # without the release: ≥ 64 MB of mapped pages
    ordinary = np.zeros((8, 2), dtype=np.float32)
    release_mapped_pages(ordinary)  # an array that maps no file: nothing to release
