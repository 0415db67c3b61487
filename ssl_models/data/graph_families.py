"""Synthetic graph classification: which random-graph family generated a graph?

Four families, 150 graphs each (seed 0), 20–40 nodes, all tuned to a mean degree of about 4 so density alone
does not give the answer:

- Erdős–Rényi G(n, p), p = 4 / (n − 1);
- Barabási–Albert preferential attachment, m = 2;
- Watts–Strogatz small world, k = 4 neighbours, rewiring p = 0.1;
- stochastic block model, 2–4 equal blocks, expected within-block degree 3.4 and between-block degree 0.6.

Node order is shuffled per graph (generators number nodes in a family-revealing order: ring lattices,
blocks, hubs first). Node features are [1, degree / 10]. Graphs are dense (40, 1 + 2 + 40) float32 arrays (see
graph_format).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from sslbench.ssl_models.data.base import RawDataset
from sslbench.ssl_models.data.graph_format import pack_graph
from sslbench.ssl_models.data.registry import register_dataset

if TYPE_CHECKING:
    import networkx

FAMILIES = ("erdos_renyi", "barabasi_albert", "watts_strogatz", "stochastic_block_model")
MIN_NODES, MAX_NODES = 20, 40


def family_graph(family: str, n_nodes: int, rng: np.random.Generator) -> networkx.Graph:
    """One graph of ``family`` with ``n_nodes`` nodes, drawn with ``rng``."""
    import networkx as nx

    seed = int(rng.integers(2**31))
    if family == "erdos_renyi":
        return nx.gnp_random_graph(n_nodes, 4.0 / (n_nodes - 1), seed=seed)
    if family == "barabasi_albert":
        return nx.barabasi_albert_graph(n_nodes, 2, seed=seed)
    if family == "watts_strogatz":
        return nx.watts_strogatz_graph(n_nodes, 4, 0.1, seed=seed)
    if family == "stochastic_block_model":
        n_blocks = int(rng.integers(2, 5))
        sizes = [n_nodes // n_blocks + (1 if b < n_nodes % n_blocks else 0) for b in range(n_blocks)]
        block = n_nodes / n_blocks
        p_in, p_out = 3.4 / (block - 1), 0.6 / (n_nodes - block)
        probabilities = [[p_in if a == b else p_out for b in range(n_blocks)] for a in range(n_blocks)]
        return nx.stochastic_block_model(sizes, probabilities, seed=seed)
    raise ValueError(f"unknown graph family '{family}'; valid families: {', '.join(FAMILIES)}")


def load_graph_families(per_family: int = 150, seed: int = 0) -> RawDataset:
    """``per_family`` graphs of each family, interleaved family by family, label = family index."""
    rng = np.random.default_rng(seed)
    graphs, labels = [], []
    for _ in range(per_family):
        for label, family in enumerate(FAMILIES):
            graph = family_graph(family, int(rng.integers(MIN_NODES, MAX_NODES + 1)), rng)
            relabel = rng.permutation(graph.number_of_nodes())
            edges = relabel[np.array(list(graph.edges()), dtype=np.int64).reshape(-1, 2).T]
            edge_index = np.concatenate([edges, edges[::-1]], axis=1)
            node_degree = np.bincount(edge_index[0], minlength=graph.number_of_nodes())
            features = np.stack([np.ones(len(node_degree)), node_degree / 10.0], axis=1).astype(np.float32)
            graphs.append(pack_graph(features, edge_index, MAX_NODES))
            labels.append(label)
    return RawDataset(
        "graph_families", "graph", np.stack(graphs), np.array(labels, dtype=np.int64), class_names=FAMILIES
    )


@register_dataset("graph_families", modality="graph")
def load_graph_families_default() -> RawDataset:
    """600 synthetic graphs (150 per family) from seed 0."""
    return load_graph_families()
