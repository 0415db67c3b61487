"""Graph neural network: GIN or GCN message passing with BatchNorm, then a graph-level (or centre-node) readout.

Xu, Hu, Leskovec & Jegelka (2019), "How powerful are graph neural networks?" (GIN):

    h_v ← MLP((1 + ε)·h_v + Σ_{u ∈ N(v)} h_u),   ε = 0 (GIN-0)

Kipf & Welling (2017), "Semi-supervised classification with graph convolutional networks" (GCN):

    H ← D̂^{-1/2} Â D̂^{-1/2} H W,   Â = A + I (edge weights enter A)

Each of ``depth`` layers is conv → BatchNorm → ReLU, with a residual connection once the width is
``hidden_dim``. GIN sums unweighted neighbours (structure only); GCN uses the edge weights. The embedding is
Linear(pool(h)) with pool the mean, sum or max over a graph's nodes, or, with ``readout="center"``, the
centre node's features (node-level datasets store each node as its ego-graph, centre first).

Views: dense graphs (B, M, 1 + F + M) (``ssl_models.data.graph_format``) go through ``to_sparse``; an image
(B, C, H, W) becomes its pixel-grid graph: one node per pixel with features [C intensities, x/W, y/H] and
edges to the 4 or 8 neighbouring pixels (``neighbours``). On that grid, message passing runs densely: each
node's neighbourhood sum Σ_{u ∈ N(v) ∪ {v}} h_u is a sum of shifted copies of the (B, H, W, F) feature grid
(``grid_neighbourhood_sum``), with the same parameters and, within fp32 rounding, the same values as PyG's
scatter/gather (1.5–1.8× faster; ``dense_grid=False`` runs PyG's path).
"""

from __future__ import annotations

from typing import Any

import torch
from sslbench.ssl_models.data.graph_format import node_feature_count, to_sparse
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.encoders.registry import ENCODERS
from sslbench.ssl_models.pyg import pyg
from torch import nn

LAYERS = ("gin", "gcn")
READOUTS = ("mean", "sum", "max", "center")
NEIGHBOURS = (4, 8)
# Readouts over the (B, nodes, F) node features of equal-sized pixel-grid graphs: PyG's pools without the scatter.
GRID_POOLS = {
    "mean": lambda nodes: nodes.mean(dim=1),
    "sum": lambda nodes: nodes.sum(dim=1),
    "max": lambda nodes: nodes.amax(dim=1),
}


def grid_edge_index(height: int, width: int, neighbours: int = 8) -> torch.Tensor:
    """Edges (2, E), both directions, between each pixel of an H×W grid (index r·W + c) and its 4 or 8 neighbours."""
    if neighbours not in NEIGHBOURS:
        raise ValueError(f"unknown neighbours {neighbours}; valid choices: 4, 8")
    offsets = [(0, 1), (1, 0)] + ([(1, 1), (1, -1)] if neighbours == 8 else [])
    rows, cols = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    sources, targets = [], []
    for d_row, d_col in offsets:
        valid = (rows + d_row < height) & (cols + d_col >= 0) & (cols + d_col < width)
        source = (rows * width + cols)[valid]
        target = ((rows + d_row) * width + cols + d_col)[valid]
        sources += [source, target]
        targets += [target, source]
    return torch.stack([torch.cat(sources), torch.cat(targets)])


def grid_offsets(neighbours: int) -> list[tuple[int, int]]:
    """(row, column) offsets of a pixel's neighbourhood, itself included: 3×3 for 8 neighbours, a cross for 4."""
    if neighbours not in NEIGHBOURS:
        raise ValueError(f"unknown neighbours {neighbours}; valid choices: 4, 8")
    if neighbours == 8:
        return [(d_row, d_col) for d_row in (-1, 0, 1) for d_col in (-1, 0, 1)]
    return [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)]


def grid_neighbourhood_sum(grid: torch.Tensor, neighbours: int) -> torch.Tensor:
    """s_v = Σ_{u ∈ N(v) ∪ {v}} h_u on a pixel grid (B, H, W, F), pixels outside the image counting as 0.

    A depthwise 3×3 convolution whose kernel is 1 on the neighbourhood's offsets, run channels-last.
    """
    n_features = grid.shape[3]
    kernel = grid.new_zeros(n_features, 1, 3, 3)
    for d_row, d_col in grid_offsets(neighbours):
        kernel[:, :, 1 + d_row, 1 + d_col] = 1.0
    summed = torch.nn.functional.conv2d(grid.permute(0, 3, 1, 2), kernel, padding=1, groups=n_features)
    return summed.permute(0, 2, 3, 1)


class NodeLinear(nn.Linear):
    """``nn.Linear`` on (nodes, F) features whose weight enters the product as a contiguous (F, out) matrix, so
    autograd forms its gradient as Xᵀ·G; with few input features (pixel nodes: 3) BLAS runs that ~7× faster than
    the (Gᵀ·X)ᵀ it forms for ``nn.Linear``'s transposed weight. Same parameters, same values within fp32 rounding."""

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.addmm(self.bias, inputs, self.weight.t().contiguous())


def _conv(layer: str, in_dim: int, out_dim: int) -> nn.Module:
    if layer == "gcn":
        return pyg("nn").GCNConv(in_dim, out_dim)
    mlp = nn.Sequential(
        NodeLinear(in_dim, out_dim), nn.BatchNorm1d(out_dim), nn.ReLU(inplace=True), nn.Linear(out_dim, out_dim)
    )
    return pyg("nn").GINConv(mlp, eps=0.0, train_eps=False)


@ENCODERS.register("gnn")
class GNNEncoder(Encoder):
    """[GIN or GCN conv → BatchNorm → ReLU (+ residual)] × depth → pool over nodes (or centre node) → Linear.

    Options: ``layer`` "gin" (default) | "gcn"; ``hidden_dim`` 64; ``depth`` 3; ``readout`` "mean" (default) |
    "sum" | "max" | "center"; ``neighbours`` 8 (default) | 4, pixel-grid edges when reading images; ``dense_grid``
    True (default): message passing on the pixel grid by shifted sums, False: by PyG's scatter/gather.
    """

    modalities = ("graph", "image")
    grid_edges: torch.Tensor  # buffers, when reading images
    coordinates: torch.Tensor

    def __init__(
        self,
        sample_shape: tuple[int, ...],
        embedding_dim: int,
        layer: str = "gin",
        hidden_dim: int = 64,
        depth: int = 3,
        readout: str = "mean",
        neighbours: int = 8,
        dense_grid: bool = True,
    ) -> None:
        super().__init__(sample_shape, embedding_dim)
        if layer not in LAYERS:
            raise ValueError(f"gnn: unknown layer '{layer}'; valid choices: {', '.join(LAYERS)}")
        if readout not in READOUTS:
            raise ValueError(f"gnn: unknown readout '{readout}'; valid choices: {', '.join(READOUTS)}")
        if hidden_dim < 1 or depth < 1:
            raise ValueError(f"gnn: hidden_dim and depth must be positive, got {hidden_dim} and {depth}")
        self.layer, self.readout, self.neighbours = layer, readout, neighbours
        self.reads_images = len(self.sample_shape) == 3
        self.dense_grid = self.reads_images and bool(dense_grid)
        if self.reads_images:
            if readout == "center":
                raise ValueError(
                    "gnn: readout 'center' reads the centre node of ego-graphs; images have none "
                    f"(valid for images: {', '.join(READOUTS[:-1])})"
                )
            channels, height, width = self.sample_shape
            in_dim = channels + 2
            self.register_buffer("grid_edges", grid_edge_index(height, width, neighbours), persistent=False)
            rows, cols = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
            coordinates = torch.stack([cols.flatten() / width, rows.flatten() / height], dim=1).float()
            self.register_buffer("coordinates", coordinates, persistent=False)
        elif len(self.sample_shape) == 2:
            in_dim = node_feature_count(self.sample_shape)
        else:
            raise ValueError(
                f"gnn reads dense graphs (M, 1 + F + M) or (C, H, W) images, got examples of shape {self.sample_shape}"
            )
        self.convs = nn.ModuleList(_conv(layer, in_dim if i == 0 else hidden_dim, hidden_dim) for i in range(depth))
        self.norms = nn.ModuleList(nn.BatchNorm1d(hidden_dim) for _ in range(depth))
        self.head = nn.Linear(hidden_dim, embedding_dim)
        self.residual_from = 0 if in_dim == hidden_dim else 1
        pyg_nn = pyg("nn")
        self.pool = {
            "mean": pyg_nn.global_mean_pool,
            "sum": pyg_nn.global_add_pool,
            "max": pyg_nn.global_max_pool,
            "center": None,
        }[readout]

    def sparse_graph(
        self, inputs: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor]:
        """The batch as PyG tensors: node features (n, F), edge_index (2, E), edge weights (E,) or None, and the
        graph of each node (n,)."""
        if not self.reads_images:
            return to_sparse(inputs)
        features, graph_of_node = self.pixel_nodes(inputs)
        batch_size, n_pixels = inputs.shape[0], inputs.shape[2] * inputs.shape[3]
        offsets = torch.arange(batch_size, device=inputs.device) * n_pixels
        edge_index = (self.grid_edges[:, None, :] + offsets[None, :, None]).reshape(2, -1)
        return features, edge_index, None, graph_of_node

    def pixel_nodes(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Pixel-node features (B·H·W, C + 2) = [intensities, x/W, y/H], row-major, and the graph of each node."""
        batch_size, channels, height, width = inputs.shape
        n_pixels = height * width
        intensities = inputs.permute(0, 2, 3, 1).reshape(batch_size, n_pixels, channels)
        features = torch.cat([intensities, self.coordinates.expand(batch_size, -1, -1).to(inputs.dtype)], dim=2)
        graph_of_node = torch.arange(batch_size, device=inputs.device).repeat_interleave(n_pixels)
        return features.reshape(batch_size * n_pixels, channels + 2), graph_of_node

    def _grid_conv(self, conv: Any, hidden: torch.Tensor, grid_shape: tuple[int, int, int]) -> torch.Tensor:
        """One GIN or GCN layer on pixel-grid node features (B·H·W, F), by neighbourhood sums.

        GIN: MLP((1 + ε)·h_v + Σ_{u ∈ N(v)} h_u); GCN: d_v^{-1/2} Σ_{u ∈ N(v) ∪ {v}} d_u^{-1/2} (W h_u) + b with
        d_v = |N(v)| + 1, as PyG's ``GINConv`` and ``GCNConv`` (self-loops, symmetric normalisation) compute.
        """

        def neighbourhood(values: torch.Tensor) -> torch.Tensor:
            return grid_neighbourhood_sum(values.reshape(*grid_shape, -1), self.neighbours).reshape(values.shape[0], -1)

        if self.layer == "gin":  # ε = 0 (GIN-0): the neighbourhood sum already holds h_v once
            return conv.nn(neighbourhood(hidden) if not conv.eps.item() else neighbourhood(hidden) + conv.eps * hidden)
        ones = hidden.new_ones(1, *grid_shape[1:], 1)
        scale = grid_neighbourhood_sum(ones, self.neighbours).rsqrt().expand(grid_shape[0], -1, -1, -1).reshape(-1, 1)
        return scale * neighbourhood(scale * conv.lin(hidden)) + conv.bias

    def node_features(self, inputs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Final-layer node features (n, hidden_dim) and the graph of each node (n,)."""
        if self.dense_grid:
            hidden, graph_of_node = self.pixel_nodes(inputs)
        else:
            hidden, edge_index, edge_weight, graph_of_node = self.sparse_graph(inputs)
        for index, (conv, norm) in enumerate(zip(self.convs, self.norms)):
            if self.dense_grid:
                update = self._grid_conv(conv, hidden, (inputs.shape[0], *inputs.shape[2:]))
            elif self.layer == "gcn":
                update = conv(hidden, edge_index, edge_weight)
            else:
                update = conv(hidden, edge_index)
            update = norm(update).relu_()  # in place: batch norm's backward reads its input, not its output
            hidden = hidden + update if index >= self.residual_from else update
        return hidden, graph_of_node

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        hidden, graph_of_node = self.node_features(inputs)
        batch_size = inputs.shape[0]
        if self.pool is None:
            counts = torch.bincount(graph_of_node, minlength=batch_size)
            pooled = hidden[torch.cumsum(counts, 0) - counts]
        elif self.dense_grid:  # every graph is the same grid: pool each image's block of rows
            pooled = GRID_POOLS[self.readout](hidden.reshape(batch_size, -1, hidden.shape[1]))
        else:
            pooled = self.pool(hidden, graph_of_node, size=batch_size)
        return self.head(pooled)
