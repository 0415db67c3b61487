"""MNIST-5k as SLIC superpixel graphs (Dwivedi et al. 2020, "Benchmarking Graph Neural Networks"; Knyazev et al. 2019).

Per image: ``slic(image, n_segments=75, compactness=0.25, channel_axis=None)``, retried with one segment fewer
until it yields at most 75 superpixels (as the reference code does). Node features are
[mean intensity, x/28, y/28] (x, y the superpixel centroid's column and row); each node links to its 8 nearest
neighbours by centroid distance d, weighted w = exp(−(d/σ)²) with σ the mean 8-NN distance of the image, and
the kNN relation is symmetrised. Graphs are dense (75, 1 + 3 + 75) float32 arrays (see graph_format), in the
same order and with the same labels as ``mnist5k``.

SLIC on 5,000 images takes a few seconds, so the graphs are cached in ``$SSLBENCH_DATA/mnist5k_superpixels/``
as an .npz keyed by a hash of the images and the conversion parameters.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
from sslbench.ssl_models.data.base import RawDataset
from sslbench.ssl_models.data.graph_format import pack_graph
from sslbench.ssl_models.data.mnist5k import load_mnist5k
from sslbench.ssl_models.data.registry import register_dataset
from sslbench.ssl_models.data.storage import data_root
from sslbench.ssl_models.files import atomic_path

MAX_SUPERPIXELS = 75
N_NEIGHBOURS = 8
COMPACTNESS = 0.25
CONVERSION_VERSION = 1


def superpixels(image: np.ndarray, max_segments: int = MAX_SUPERPIXELS, compactness: float = COMPACTNESS) -> np.ndarray:
    """SLIC segment index per pixel (H, W), values 0..n−1 with n ≤ ``max_segments``."""
    from skimage.segmentation import slic

    n_segments = max_segments
    while True:
        segments = slic(image, n_segments=n_segments, compactness=compactness, channel_axis=None, start_label=0)
        _, dense = np.unique(segments, return_inverse=True)
        if dense.max() + 1 <= max_segments or n_segments <= 1:
            return dense.reshape(image.shape)
        n_segments -= 1


def knn_adjacency(coordinates: np.ndarray, n_neighbours: int = N_NEIGHBOURS) -> np.ndarray:
    """(n, n) symmetric weights exp(−(d/σ)²) on k-nearest-neighbour pairs, σ = mean kNN distance, zero diagonal."""
    n_nodes = len(coordinates)
    adjacency = np.zeros((n_nodes, n_nodes), dtype=np.float32)
    k = min(n_neighbours, n_nodes - 1)
    if k < 1:
        return adjacency
    distance = np.sqrt(((coordinates[:, None, :] - coordinates[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(distance, np.inf)
    neighbours = np.argpartition(distance, k - 1, axis=1)[:, :k]
    rows = np.repeat(np.arange(n_nodes), k)
    cols = neighbours.ravel()
    knn_distance = distance[rows, cols]
    sigma = max(float(knn_distance.mean()), 1e-8)
    weights = np.exp(-((knn_distance / sigma) ** 2)).astype(np.float32)
    adjacency[rows, cols] = weights
    adjacency[cols, rows] = weights
    return adjacency


def image_to_graph(image: np.ndarray, max_nodes: int = MAX_SUPERPIXELS, n_neighbours: int = N_NEIGHBOURS) -> np.ndarray:
    """One (H, W) image in [0, 1] → its dense superpixel graph (max_nodes, 1 + 3 + max_nodes)."""
    height, width = image.shape
    segments = superpixels(image.astype(np.float64), max_nodes).ravel()
    n_nodes = int(segments.max()) + 1
    rows, cols = np.divmod(np.arange(height * width), width)
    counts = np.bincount(segments, minlength=n_nodes).astype(np.float64)
    intensity = np.bincount(segments, weights=image.ravel(), minlength=n_nodes) / counts
    x = np.bincount(segments, weights=cols, minlength=n_nodes) / counts / width
    y = np.bincount(segments, weights=rows, minlength=n_nodes) / counts / height
    adjacency = knn_adjacency(np.stack([x, y], axis=1), n_neighbours)
    source, target = np.nonzero(adjacency)
    features = np.stack([intensity, x, y], axis=1).astype(np.float32)
    return pack_graph(features, np.stack([source, target]), max_nodes, adjacency[source, target])


def images_to_graphs(images: np.ndarray) -> np.ndarray:
    """(N, 1, H, W) or (N, H, W) images → (N, 75, 79) float32 superpixel graphs."""
    images = images.reshape(len(images), *images.shape[-2:])
    return (
        np.stack([image_to_graph(image) for image in images])
        if len(images)
        else np.zeros((0, MAX_SUPERPIXELS, 1 + 3 + MAX_SUPERPIXELS), dtype=np.float32)
    )


def _cache_key(images: np.ndarray) -> str:
    digest = hashlib.sha256(np.ascontiguousarray(images).tobytes())
    digest.update(
        json.dumps(
            {
                "max_nodes": MAX_SUPERPIXELS,
                "neighbours": N_NEIGHBOURS,
                "compactness": COMPACTNESS,
                "version": CONVERSION_VERSION,
            }
        ).encode()
    )
    return digest.hexdigest()[:20]


def cached_graphs(images: np.ndarray) -> np.ndarray:
    """:func:`images_to_graphs`, read from or written to the data root's cache (atomic write)."""
    path = data_root() / "mnist5k_superpixels" / f"{_cache_key(images)}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as archive:
                graphs = archive["graphs"]
            if graphs.shape == (len(images), MAX_SUPERPIXELS, 1 + 3 + MAX_SUPERPIXELS):
                return graphs
        except (OSError, ValueError, KeyError):
            pass
    graphs = images_to_graphs(images)
    with atomic_path(path) as temp, open(temp, "wb") as handle:
        np.savez(handle, graphs=graphs)
    return graphs


@register_dataset("mnist5k_superpixels", modality="graph")
def load_mnist5k_superpixels() -> RawDataset:
    """MNIST-5k as ≤75-node superpixel graphs, example order and labels as ``mnist5k``."""
    images = load_mnist5k()
    return RawDataset(
        "mnist5k_superpixels", "graph", cached_graphs(images.inputs), images.labels, class_names=images.class_names
    )
