"""Graph augmentations of dense graph batches (B, M, 1 + F + M) (You et al. 2020, "Graph Contrastive Learning
with Augmentations", GraphCL; Zhu et al. 2020, GRACE).

In order, each with a ratio (0 disables it):

- subgraph: GraphCL's random-walk-style sampler, in pure torch (torch_cluster is not a dependency): from a
  uniform root, repeatedly add a uniform neighbour of the nodes taken so far (a uniform untaken node once
  their component is exhausted) until ``subgraph_keep_ratio`` of the nodes are taken; the rest are removed.
  Unlike a plain walk it never revisits, so it takes exactly ⌈ratio·n⌉ nodes in as many steps;
- node dropping: each node removed with probability ``node_drop_ratio`` (``torch_geometric.utils.dropout_node``);
- edge dropping: each undirected edge removed with probability ``edge_drop_ratio`` (``dropout_edge``);
- feature masking: feature entries zeroed with probability ``feature_mask_ratio`` (``mask_feature``,
  ``feature_mask_mode`` "all", "row" or "col");
- edge adding: each graph gains about ``edge_add_ratio`` × its edge count new undirected edges between
  unconnected real nodes, weighted with the graph's mean edge weight (done per graph on the dense adjacency:
  ``add_random_edge`` would link nodes of different graphs of a batch).

Removed nodes are compacted away, so real nodes stay first and padding rows stay zero. With
``keep_first_node`` (default) row 0, the centre of an ego-graph, is never removed; without it a graph that
would lose every node keeps its first. Graphs are treated as
undirected. PyG's helpers draw from torch's global generator, so the call runs inside ``torch.random.fork_rng``
seeded with ``seed``: (inputs, seed) fixes the views and the caller's random state is untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from sslbench.ssl_models.augment.registry import AUGMENTATIONS
from sslbench.ssl_models.data.graph_format import node_feature_count, to_dense, to_sparse
from sslbench.ssl_models.pyg import pyg

FEATURE_MASK_MODES = ("all", "row", "col")


@dataclass
class GraphAugmentation:
    """Random views of dense graphs; see the module docstring for each step and its options."""

    sample_shape: tuple[int, ...]
    subgraph_keep_ratio: float = 0.9
    node_drop_ratio: float = 0.1
    edge_drop_ratio: float = 0.1
    feature_mask_ratio: float = 0.2
    feature_mask_mode: str = "all"
    edge_add_ratio: float = 0.05
    keep_first_node: bool = True
    modality: str = "graph"

    def __post_init__(self) -> None:
        self.n_features = node_feature_count(tuple(self.sample_shape))
        self.max_nodes = self.sample_shape[0]
        for name in ("subgraph_keep_ratio", "node_drop_ratio", "edge_drop_ratio", "feature_mask_ratio"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if self.edge_add_ratio < 0:
            raise ValueError(f"edge_add_ratio must be non-negative, got {self.edge_add_ratio}")
        if self.feature_mask_mode not in FEATURE_MASK_MODES:
            raise ValueError(
                f"unknown feature_mask_mode '{self.feature_mask_mode}'; valid: {', '.join(FEATURE_MASK_MODES)}"
            )

    def __call__(self, inputs: torch.Tensor, seed: int) -> torch.Tensor:
        utils = pyg("utils")

        graphs = inputs.float().cpu()
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            generator = torch.Generator().manual_seed(seed)
            keep_dense = (
                self._grow_subgraph(graphs, generator) if self.subgraph_keep_ratio < 1 else graphs[..., 0] > 0.5
            )
            x, edge_index, edge_weight, batch = to_sparse(graphs)
            n_nodes = x.shape[0]
            keep = keep_dense[graphs[..., 0] > 0.5]
            if self.node_drop_ratio > 0 and n_nodes:
                keep &= utils.dropout_node(edge_index, p=self.node_drop_ratio, num_nodes=n_nodes)[2]
            counts = torch.bincount(batch, minlength=len(graphs))
            emptied = torch.bincount(batch[keep], minlength=len(graphs)) == 0
            protect = (counts > 0) & (emptied | self.keep_first_node)
            keep[(torch.cumsum(counts, 0) - counts)[protect]] = True  # each graph's first node
            edge_index, edge_weight = utils.subgraph(
                keep, edge_index, edge_attr=edge_weight, relabel_nodes=True, num_nodes=n_nodes
            )
            x, batch = x[keep], batch[keep]
            if self.edge_drop_ratio > 0 and edge_index.shape[1]:
                edge_index, kept_edges = utils.dropout_edge(edge_index, p=self.edge_drop_ratio, force_undirected=True)
                edge_weight = edge_weight[kept_edges]
            if self.feature_mask_ratio > 0 and len(x):
                x, _ = utils.mask_feature(x, p=self.feature_mask_ratio, mode=self.feature_mask_mode)
            views = to_dense(x, edge_index, edge_weight, batch, len(graphs), self.max_nodes)
            if self.edge_add_ratio > 0:
                views = self._add_edges(views, generator)
        return views.to(inputs.device)

    def _grow_subgraph(self, graphs: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """(B, M) mask of a connected node set grown from a uniform root by uniform neighbours of the set."""
        mask = graphs[..., 0] > 0.5
        batch, max_nodes = mask.shape
        adjacency = (graphs[..., 1 + self.n_features :] != 0) & mask[:, :, None] & mask[:, None, :]
        rows_of_adjacency = adjacency.reshape(batch * max_nodes, max_nodes)
        offsets = torch.arange(batch) * max_nodes
        target = torch.ceil(self.subgraph_keep_ratio * mask.sum(1))
        root = self._uniform_choice(mask, generator)
        visited = torch.zeros_like(mask)
        visited.view(-1)[offsets + root] = True
        reached = rows_of_adjacency[offsets + root]
        for _ in range(int(target.max().item()) - 1):
            growing = visited.sum(1) < target
            if not growing.any():
                break
            frontier = reached & ~visited
            options = torch.where(frontier.any(1, keepdim=True), frontier, mask & ~visited)
            chosen = self._uniform_choice(options, generator)
            visited.view(-1)[offsets + chosen] |= growing
            reached |= rows_of_adjacency[offsets + chosen] & growing[:, None]
        return visited & mask

    @staticmethod
    def _uniform_choice(allowed: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """One index per row, uniform among the True entries of (B, M) ``allowed`` (argmax of masked uniforms)."""
        return (torch.rand(allowed.shape, generator=generator) * allowed).argmax(1)

    def _add_edges(self, graphs: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Add ~``edge_add_ratio`` × edges new undirected edges per graph between unlinked real nodes."""
        mask = graphs[..., 0] > 0.5
        adjacency = graphs[..., 1 + self.n_features :]
        upper = torch.triu(torch.ones(self.max_nodes, self.max_nodes, dtype=torch.bool), diagonal=1)
        linked = adjacency != 0
        candidates = mask[:, :, None] & mask[:, None, :] & ~linked & ~linked.transpose(1, 2) & upper
        n_edges = (linked & upper).sum((1, 2)).float()
        probability = (self.edge_add_ratio * n_edges / candidates.sum((1, 2)).clamp(min=1)).clamp(max=1)
        added = candidates & (torch.rand(candidates.shape, generator=generator) < probability[:, None, None])
        added = added | added.transpose(1, 2)
        mean_weight = adjacency.sum((1, 2)) / linked.sum((1, 2)).clamp(min=1)
        adjacency = torch.where(added, mean_weight[:, None, None].expand_as(adjacency), adjacency)
        return torch.cat([graphs[..., : 1 + self.n_features], adjacency], dim=-1)


@AUGMENTATIONS.register("graph")
def graph_augmentation(sample_shape: tuple[int, ...], **options: Any) -> GraphAugmentation:
    """The default graph augmentation: subgraph, node/edge dropping, feature masking, edge adding."""
    return GraphAugmentation(tuple(sample_shape), **options)
