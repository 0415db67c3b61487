"""TU graph-classification benchmarks (Morris et al. 2020, "TUDataset") through PyG's ``TUDataset``.

Files live in ``$SSLBENCH_DATA/TUDataset/<NAME>/raw/`` in the TU text format (NAME_A.txt,
NAME_graph_indicator.txt, NAME_graph_labels.txt, NAME_node_labels.txt, ...) and are downloaded there on first
use. Node features are PyG's one-hot node labels (degree / 10 when a set has none); edges are undirected,
unweighted. Graphs with more than ``max_nodes`` nodes are dropped (a warning says how many), so the dense
(N, M, 1 + F + M) array stays small: PROTEINS has a few graphs of up to 620 nodes among 1,113 of ~39.

Safe loading: PyG unpickles files it finds under ``processed/`` (``pre_transform.pt`` and ``pre_filter.pt`` with
``weights_only=False``, ``data.pt`` falling back to it), so a tampered data folder would run code. The
processed files are therefore never read as found: they are rebuilt from the raw text files on every load
(``force_reload``; a second or two for these sets), and only files written by this load are read back.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import numpy as np
from sslbench.ssl_models.data.base import RawDataset
from sslbench.ssl_models.data.graph_format import pack_graph
from sslbench.ssl_models.data.registry import register_dataset
from sslbench.ssl_models.data.storage import DatasetUnavailableError, data_root, first_line
from sslbench.ssl_models.pyg import pyg

if TYPE_CHECKING:
    from torch_geometric.datasets import TUDataset

log = logging.getLogger(__name__)


def open_tu(tu_name: str) -> TUDataset:
    """PyG's TUDataset ``tu_name`` under the data root; DatasetUnavailableError when absent and not downloadable."""
    TUDataset = pyg("datasets").TUDataset

    root = data_root() / "TUDataset"
    raw = root / tu_name / "raw"
    try:
        return TUDataset(str(root), tu_name, force_reload=True)
    except Exception as error:  # noqa: BLE001 - PyG/fsspec raise many types for a failed download
        if all((raw / f"{tu_name}_{part}.txt").is_file() for part in ("A", "graph_indicator")):
            raise
        raise DatasetUnavailableError(
            f"TU dataset {tu_name} is not under {raw} and could not be downloaded ({first_line(error)}); "
            f"put {tu_name}_A.txt, {tu_name}_graph_indicator.txt, {tu_name}_graph_labels.txt and "
            f"{tu_name}_node_labels.txt there (from https://chrsmrrs.github.io/datasets/), or set SSLBENCH_DATA"
        ) from None


def load_tu(tu_name: str, registry_name: str, max_nodes: int | None = None) -> RawDataset:
    """Every graph of TU set ``tu_name`` with at most ``max_nodes`` nodes (None: keep all), densely packed."""
    dataset = open_tu(tu_name)
    sizes = np.array([int(graph.num_nodes) for graph in dataset])
    limit = int(sizes.max()) if max_nodes is None else max_nodes
    keep = np.flatnonzero(sizes <= limit)
    if len(keep) < len(dataset):
        log.warning(
            "%s: dropped %d of %d graphs with more than %d nodes",
            registry_name,
            len(dataset) - len(keep),
            len(dataset),
            limit,
        )
    width = int(min(limit, sizes[keep].max()))
    graphs, labels = [], []
    for index in keep:
        graph = dataset[int(index)]
        edge_index = graph.edge_index.numpy()
        if graph.x is not None and graph.x.shape[1] > 0:
            features = graph.x.numpy().astype(np.float32)
        else:
            features = (np.bincount(edge_index[0], minlength=graph.num_nodes) / 10.0).astype(np.float32)[:, None]
        graphs.append(pack_graph(features, edge_index, width))
        labels.append(int(graph.y))
    labels_array = np.array(labels, dtype=np.int64)
    return RawDataset(
        registry_name,
        "graph",
        np.stack(graphs),
        labels_array,
        class_names=tuple(str(c) for c in range(int(labels_array.max()) + 1)),
    )


@register_dataset("mutag", modality="graph")
def load_mutag() -> RawDataset:
    """MUTAG: 188 nitroaromatic compounds (≤28 atoms, 7 atom types), mutagenic or not."""
    return load_tu("MUTAG", "mutag")


@register_dataset("proteins", modality="graph")
def load_proteins() -> RawDataset:
    """PROTEINS: 1,113 protein graphs (3 node types), enzyme or not; graphs over 128 nodes are dropped."""
    return load_tu("PROTEINS", "proteins", max_nodes=128)
