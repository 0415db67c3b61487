"""Graphs as dense, fixed-size arrays, so graph datasets share the (N, *sample_shape) contract of every stage
(splits, view banks, memory-mapping) with images and sequences.

One graph with at most M nodes and F node features is a float32 array of shape (M, 1 + F + M):

    column 0          node mask (1 for a real node, 0 for padding)
    columns 1..F      node features
    columns F+1..F+M  adjacency row (edge weight, 0 = no edge)

Node-level datasets store each node as its k-hop ego-graph with the centre node first (row 0).
``to_sparse`` turns a batch into PyG's (x, edge_index, edge_weight, batch) so GNN layers and
``torch_geometric.utils`` augmentations work on it, and ``to_dense`` packs it back.
"""

from __future__ import annotations

import numpy as np
import torch
from sslbench.ssl_models.pyg import pyg


def node_feature_count(sample_shape: tuple[int, ...]) -> int:
    """F for graphs of sample shape (M, 1 + F + M)."""
    max_nodes, width = sample_shape[-2], sample_shape[-1]
    features = width - 1 - max_nodes
    if len(sample_shape) != 2 or features < 1:
        raise ValueError(f"not a dense graph shape (M, 1 + F + M): {sample_shape}")
    return features


def pack_graph(
    node_features: np.ndarray, edge_index: np.ndarray, max_nodes: int, edge_weight: np.ndarray | None = None
) -> np.ndarray:
    """One graph (n, F) features + (2, E) edges → (max_nodes, 1 + F + max_nodes) float32."""
    n_nodes, n_features = node_features.shape
    if n_nodes > max_nodes:
        raise ValueError(f"graph has {n_nodes} nodes, more than max_nodes={max_nodes}")
    packed = np.zeros((max_nodes, 1 + n_features + max_nodes), dtype=np.float32)
    packed[:n_nodes, 0] = 1.0
    packed[:n_nodes, 1 : 1 + n_features] = node_features
    weights = np.ones(edge_index.shape[1], dtype=np.float32) if edge_weight is None else edge_weight
    packed[edge_index[0], 1 + n_features + edge_index[1]] = weights
    return packed


def to_sparse(batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """(B, M, 1 + F + M) → node features (n, F), edge_index (2, E), edge_weight (E,), batch vector (n,)."""
    n_features = node_feature_count(tuple(batch.shape[1:]))
    mask = batch[..., 0] > 0.5
    features = batch[..., 1 : 1 + n_features]
    adjacency = batch[..., 1 + n_features :] * (mask[:, :, None] & mask[:, None, :])
    graph, row, col = adjacency.nonzero(as_tuple=True)
    offsets = torch.cumsum(mask.sum(1), 0) - mask.sum(1)
    position = torch.cumsum(mask.long(), 1) - 1
    edge_index = torch.stack([offsets[graph] + position[graph, row], offsets[graph] + position[graph, col]])
    graph_of_node = torch.arange(batch.shape[0], device=batch.device).repeat_interleave(mask.sum(1))
    return features[mask], edge_index, adjacency[graph, row, col], graph_of_node


def to_dense(
    x: torch.Tensor,
    edge_index: torch.Tensor,
    edge_weight: torch.Tensor | None,
    batch: torch.Tensor,
    batch_size: int,
    max_nodes: int,
) -> torch.Tensor:
    """Inverse of :func:`to_sparse`: pack PyG tensors back into (B, M, 1 + F + M)."""
    utils = pyg("utils")

    features, mask = utils.to_dense_batch(x, batch, max_num_nodes=max_nodes, batch_size=batch_size)
    adjacency = utils.to_dense_adj(
        edge_index, batch, edge_attr=edge_weight, max_num_nodes=max_nodes, batch_size=batch_size
    )
    return torch.cat([mask.unsqueeze(-1).to(features.dtype), features, adjacency.to(features.dtype)], dim=-1)
