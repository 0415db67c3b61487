"""Graph datasets in the dense format: superpixels, karate-club ego-graphs, graph families, TU files."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from sslbench.ssl_models import data
from sslbench.ssl_models.data import DatasetUnavailableError, RawDataset
from sslbench.ssl_models.data import mnist5k_superpixels as superpixels
from sslbench.ssl_models.data.graph_format import to_dense, to_sparse


def assert_valid_dense_graphs(graphs: np.ndarray, n_features: int) -> None:
    """Real nodes first, zero padding, symmetric adjacency only among real nodes, no self-loops."""
    mask = graphs[..., 0]
    assert set(np.unique(mask)) <= {0.0, 1.0}
    counts = mask.sum(axis=1).astype(int)
    positions = np.arange(graphs.shape[1])
    assert np.array_equal(mask, (positions[None, :] < counts[:, None]).astype(np.float32))
    adjacency = graphs[..., 1 + n_features :]
    assert np.array_equal(adjacency, adjacency.transpose(0, 2, 1))
    assert not np.diagonal(adjacency, axis1=1, axis2=2).any()
    padding = mask == 0
    assert not graphs[padding].any() and not (adjacency * padding[:, None, :]).any()


def round_trips(graphs: np.ndarray) -> bool:
    batch = torch.from_numpy(graphs)
    x, edge_index, weight, graph_of_node = to_sparse(batch)
    return torch.equal(to_dense(x, edge_index, weight, graph_of_node, len(batch), batch.shape[1]), batch)


def test_superpixel_graphs_follow_the_reference_construction() -> None:
    images = data.DATASETS.get("mnist5k")().inputs[::500][:6]
    graphs = superpixels.images_to_graphs(images)
    assert graphs.shape == (6, 75, 79) and graphs.dtype == np.float32
    assert_valid_dense_graphs(graphs, 3)
    assert round_trips(graphs)
    for image, graph in zip(images[:, 0], graphs):
        n_nodes = int(graph[:, 0].sum())
        segments = superpixels.superpixels(image.astype(np.float64))
        assert 40 <= n_nodes <= 75 and n_nodes == segments.max() + 1
        first = segments == 0
        rows, cols = np.nonzero(first)
        assert graph[0, 1:4] == pytest.approx([image[first].mean(), cols.mean() / 28, rows.mean() / 28], abs=1e-5)
        weights = graph[:n_nodes, 4 : 4 + n_nodes]
        assert ((weights > 0).sum(axis=1) >= 8).all() and weights.max() <= 1.0


def test_knn_weights_are_gaussian_in_distance_over_mean_knn_distance() -> None:
    coordinates = np.array([[0.0, 0.0], [1.0, 0.0], [3.0, 0.0]])
    adjacency = superpixels.knn_adjacency(coordinates, n_neighbours=1)
    sigma = np.mean([1.0, 1.0, 2.0])
    assert adjacency[0, 1] == pytest.approx(np.exp(-((1 / sigma) ** 2)))
    assert adjacency[2, 1] == adjacency[1, 2] == pytest.approx(np.exp(-((2 / sigma) ** 2)))
    assert adjacency[0, 2] == 0


def test_superpixel_dataset_keeps_mnist5k_order_labels_and_caches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = data.DATASETS.get("mnist5k")()
    small = RawDataset("mnist5k", "image", full.inputs[::1000], full.labels[::1000], class_names=full.class_names)
    monkeypatch.setattr(superpixels, "load_mnist5k", lambda: small)
    monkeypatch.setenv("SSLBENCH_DATA", str(tmp_path))
    raw = data.DATASETS.get("mnist5k_superpixels")()
    assert raw.modality == "graph" and raw.inputs.shape == (5, 75, 79)
    assert np.array_equal(raw.labels, small.labels)
    assert len(list((tmp_path / "mnist5k_superpixels").glob("*.npz"))) == 1

    def must_not_recompute(images: np.ndarray) -> np.ndarray:
        raise AssertionError("the cached graphs should have been used")

    monkeypatch.setattr(superpixels, "images_to_graphs", must_not_recompute)
    assert np.array_equal(data.DATASETS.get("mnist5k_superpixels")().inputs, raw.inputs)


def test_karate_club_nodes_are_ego_graphs_with_the_centre_first() -> None:
    raw = data.DATASETS.get("karate_club")()
    assert raw.modality == "graph" and raw.inputs.shape == (34, 34, 1 + 34 + 34)
    assert np.bincount(raw.labels).tolist() == [13, 12, 4, 5]
    assert_valid_dense_graphs(raw.inputs, 34)
    centres = raw.inputs[:, 0, 1:35].argmax(axis=1)
    assert centres.tolist() == list(range(34))
    one_hop = raw.inputs[:, 0, 35:]
    assert one_hop[0].sum() == 16 and one_hop[33].sum() == 17
    split = data.split_dataset(raw, seed=0)
    assert len(split.x_test) == 7 and set(split.y_test.tolist()) == {0, 1, 2, 3}


def test_karate_club_degree_features() -> None:
    from sslbench.ssl_models.data.karate_club import load_karate_club

    raw = load_karate_club(hops=1, features="degree")
    assert raw.inputs.shape == (34, 34, 1 + 1 + 34)
    assert raw.inputs[33, 0, 1] == 1.0 and raw.inputs[:, 0, 1].min() > 0
    with pytest.raises(ValueError, match="valid: one_hot, degree"):
        load_karate_club(features="pagerank")


def test_graph_families_are_balanced_seeded_and_of_similar_density() -> None:
    raw = data.DATASETS.get("graph_families")()
    again = data.DATASETS.get("graph_families")()
    assert raw.inputs.shape == (600, 40, 43) and np.array_equal(raw.inputs, again.inputs)
    assert np.bincount(raw.labels).tolist() == [150] * 4
    assert_valid_dense_graphs(raw.inputs, 2)
    nodes = raw.inputs[..., 0].sum(axis=1)
    assert nodes.min() >= 20 and nodes.max() <= 40
    mean_degree = (raw.inputs[..., 3:] > 0).sum(axis=(1, 2)) / nodes
    per_family = [mean_degree[raw.labels == k].mean() for k in range(4)]
    assert max(per_family) - min(per_family) < 0.6 and 3.4 < min(per_family)
    assert np.allclose(raw.inputs[..., 2] * 10, (raw.inputs[..., 3:] > 0).sum(axis=2))


def write_tu_folder(raw_dir: Path, name: str) -> None:
    """Three graphs in the TU text format: a triangle, a path of 4 and an edge (1-based node ids)."""
    raw_dir.mkdir(parents=True)
    undirected = [(1, 2), (2, 3), (1, 3), (4, 5), (5, 6), (6, 7), (8, 9)]
    edges = undirected + [(b, a) for a, b in undirected]
    (raw_dir / f"{name}_A.txt").write_text("".join(f"{a}, {b}\n" for a, b in edges))
    (raw_dir / f"{name}_graph_indicator.txt").write_text("1\n1\n1\n2\n2\n2\n2\n3\n3\n")
    (raw_dir / f"{name}_graph_labels.txt").write_text("1\n-1\n1\n")
    (raw_dir / f"{name}_node_labels.txt").write_text("0\n1\n2\n0\n0\n1\n1\n2\n0\n")


def test_tu_loader_reads_the_tu_text_format_through_pyg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tu_folder(tmp_path / "TUDataset" / "MUTAG" / "raw", "MUTAG")
    monkeypatch.setenv("SSLBENCH_DATA", str(tmp_path))
    raw = data.DATASETS.get("mutag")()
    assert raw.modality == "graph" and raw.inputs.shape == (3, 4, 1 + 3 + 4)
    assert raw.labels.tolist() == [1, 0, 1]
    assert_valid_dense_graphs(raw.inputs, 3)
    assert raw.inputs[:, :, 0].sum(axis=1).tolist() == [3, 4, 2]
    assert (raw.inputs[1, :, 4:] > 0).sum() == 6
    assert raw.inputs[0, :3, 1:4].argmax(axis=1).tolist() == [0, 1, 2]


def test_tu_loader_drops_graphs_over_the_node_cap_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from sslbench.ssl_models.data.tu_graphs import load_tu

    write_tu_folder(tmp_path / "TUDataset" / "TINY" / "raw", "TINY")
    monkeypatch.setenv("SSLBENCH_DATA", str(tmp_path))
    raw = load_tu("TINY", "tiny", max_nodes=3)
    assert raw.inputs.shape == (2, 3, 1 + 3 + 3) and "dropped 1 of 3 graphs" in caplog.text


def test_tu_loader_offline_gives_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network disabled in tests")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("SSLBENCH_DATA", str(tmp_path))
    with pytest.raises(DatasetUnavailableError) as error:
        data.DATASETS.get("proteins")()
    assert "\n" not in str(error.value) and "PROTEINS_A.txt" in str(error.value)


def test_graph_data_encoders_and_augmentations_import_pyg_without_its_warning() -> None:
    """PyG's import-time FutureWarning (torch.jit.script) must not reach a user's run, in a fresh interpreter."""
    code = (
        "import torch\n"
        "from sslbench.ssl_models import data\n"
        "from sslbench.ssl_models.augment.registry import build_augmentation\n"
        "from sslbench.ssl_models.encoders.registry import build_encoder\n"
        "split = data.load('karate_club', seed=0)\n"
        "build_augmentation('graph', split.x_train.shape[1:])(torch.tensor(split.x_train[:4]), 0)\n"
        "build_encoder('gnn', split.x_train.shape[1:], 8)\n"
    )
    result = subprocess.run([sys.executable, "-W", "error::FutureWarning", "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


class _Hostile:
    """Unpickling this object creates a marker file: proof that code from the data folder ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (Path.touch, (self.marker,))


def test_a_hostile_processed_pyg_file_never_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle

    write_tu_folder(tmp_path / "TUDataset" / "MUTAG" / "raw", "MUTAG")
    monkeypatch.setenv("SSLBENCH_DATA", str(tmp_path))
    data.DATASETS.get("mutag")()  # PyG writes processed/
    processed = tmp_path / "TUDataset" / "MUTAG" / "processed"
    marker = tmp_path / "code-ran"
    for name in ("data.pt", "pre_transform.pt", "pre_filter.pt"):
        (processed / name).write_bytes(pickle.dumps(_Hostile(marker)))
    raw = data.DATASETS.get("mutag")()
    assert not marker.exists() and raw.labels.tolist() == [1, 0, 1]
