"""Zachary's karate club as node classification: each of the 34 members is one example, stored as its k-hop
ego-graph with the member first (row 0), labelled with PyG's 4 communities (13/12/4/5 members).

Node features are the dataset's one-hot identities (34 columns) or, with ``features="degree"``, the node
degree / max degree. With only 34 examples the split is the usual stratified one (20% → 7 test nodes);
treat scores as a smoke test, not a benchmark.
"""

from __future__ import annotations

import numpy as np
import torch
from sslbench.ssl_models.data.base import RawDataset
from sslbench.ssl_models.data.graph_format import pack_graph
from sslbench.ssl_models.data.registry import register_dataset
from sslbench.ssl_models.pyg import pyg

FEATURE_KINDS = ("one_hot", "degree")


def ego_graphs(node_features: torch.Tensor, edge_index: torch.Tensor, hops: int, max_nodes: int) -> np.ndarray:
    """Every node's ``hops``-hop ego-graph, centre first, as dense graphs (N, max_nodes, 1 + F + max_nodes)."""
    k_hop_subgraph = pyg("utils").k_hop_subgraph

    n_nodes = node_features.shape[0]
    graphs = []
    for centre in range(n_nodes):
        subset, sub_edges, mapping, _ = k_hop_subgraph(centre, hops, edge_index, relabel_nodes=True, num_nodes=n_nodes)
        order = torch.cat(
            [mapping, torch.tensor([i for i in range(len(subset)) if i != int(mapping)], dtype=torch.long)]
        )
        position = torch.empty_like(order)
        position[order] = torch.arange(len(order))
        graphs.append(pack_graph(node_features[subset[order]].numpy(), position[sub_edges].numpy(), max_nodes))
    return np.stack(graphs)


def load_karate_club(hops: int = 2, features: str = "one_hot") -> RawDataset:
    """The 34 members as ``hops``-hop ego-graphs with ``features`` ("one_hot" or "degree")."""
    KarateClub, degree = pyg("datasets").KarateClub, pyg("utils").degree

    if features not in FEATURE_KINDS:
        raise ValueError(f"unknown karate_club features '{features}'; valid: {', '.join(FEATURE_KINDS)}")
    graph = KarateClub()[0]
    if features == "one_hot":
        node_features = graph.x.float()
    else:
        node_degree = degree(graph.edge_index[0], graph.num_nodes)
        node_features = (node_degree / node_degree.max()).unsqueeze(1)
    inputs = ego_graphs(node_features, graph.edge_index, hops, graph.num_nodes)
    labels = graph.y.numpy().astype(np.int64)
    return RawDataset("karate_club", "graph", inputs, labels, class_names=tuple(f"community {c}" for c in range(4)))


@register_dataset("karate_club", modality="graph")
def load_karate_club_default() -> RawDataset:
    """Karate club members as 2-hop ego-graphs with one-hot node features."""
    return load_karate_club()
