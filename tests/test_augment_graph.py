"""Graph augmentations on dense graph batches: seeded, shape-keeping, and the dense format stays valid."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import torch
from sslbench.ssl_models import data
from sslbench.ssl_models.augment import AUGMENTATIONS, DEFAULT_AUGMENTATION, build_augmentation
from sslbench.ssl_models.augment.graph import GraphAugmentation

OFF = {
    "subgraph_keep_ratio": 1.0,
    "node_drop_ratio": 0.0,
    "edge_drop_ratio": 0.0,
    "feature_mask_ratio": 0.0,
    "edge_add_ratio": 0.0,
}


def assert_valid(views: torch.Tensor, n_features: int) -> None:
    """Mask in {0, 1} with real nodes first; padding all zero; adjacency symmetric, among real nodes, no loops."""
    mask = views[..., 0]
    counts = mask.sum(dim=1).long()
    expected = (torch.arange(views.shape[1])[None, :] < counts[:, None]).float()
    assert torch.equal(mask, expected)
    adjacency = views[..., 1 + n_features :]
    assert torch.equal(adjacency, adjacency.transpose(1, 2))
    assert not adjacency.diagonal(dim1=1, dim2=2).any()
    padding = mask == 0
    assert not views[padding].any() and not (adjacency * padding[:, None, :]).any()


def edge_count(views: torch.Tensor, n_features: int) -> int:
    return int((views[..., 1 + n_features :] != 0).sum())


@pytest.fixture(scope="module")
def families() -> torch.Tensor:
    raw = data.DATASETS.get("graph_families")()
    return torch.from_numpy(raw.inputs[:64].copy())


def test_default_graph_augmentation_is_registered_and_keeps_the_format(families: torch.Tensor) -> None:
    assert DEFAULT_AUGMENTATION["graph"] == "graph" and "graph" in AUGMENTATIONS
    augment = build_augmentation("graph", tuple(families.shape[1:]))
    views = augment(families, seed=0)
    assert views.shape == families.shape and views.dtype == torch.float32
    assert_valid(views, 2)
    assert torch.equal(views, augment(families, seed=0))
    assert not torch.equal(views, augment(families, seed=1))
    assert views[..., 0].sum() < families[..., 0].sum()


@pytest.mark.parametrize(
    "option, value",
    [
        ("subgraph_keep_ratio", 0.5),
        ("node_drop_ratio", 0.3),
        ("edge_drop_ratio", 0.3),
        ("feature_mask_ratio", 0.5),
        ("edge_add_ratio", 0.3),
    ],
)
def test_each_augmentation_alone_is_seeded_and_valid(families: torch.Tensor, option: str, value: float) -> None:
    augment = GraphAugmentation(tuple(families.shape[1:]), **{**OFF, option: value})
    views = augment(families, seed=3)
    assert_valid(views, 2)
    assert torch.equal(views, augment(families, seed=3)) and not torch.equal(views, augment(families, seed=4))
    nodes_before, nodes_after = families[..., 0].sum(), views[..., 0].sum()
    edges_before, edges_after = edge_count(families, 2), edge_count(views, 2)
    if option in ("subgraph_keep_ratio", "node_drop_ratio"):
        assert nodes_after < nodes_before
    elif option == "edge_drop_ratio":
        assert nodes_after == nodes_before and 0.5 * edges_before < edges_after < 0.9 * edges_before
    elif option == "edge_add_ratio":
        assert nodes_after == nodes_before and 1.15 * edges_before < edges_after < 1.45 * edges_before
    else:
        assert edges_after == edges_before and (views[..., 1:3] == 0).sum() > (families[..., 1:3] == 0).sum()


def test_everything_off_is_the_identity(families: torch.Tensor) -> None:
    assert torch.equal(GraphAugmentation(tuple(families.shape[1:]), **OFF)(families, seed=0), families)


def test_subgraph_keeps_the_requested_share_of_nodes_connected(families: torch.Tensor) -> None:
    views = GraphAugmentation(
        tuple(families.shape[1:]), **{**OFF, "subgraph_keep_ratio": 0.5, "keep_first_node": False}
    )(families, seed=0)
    kept, total = views[..., 0].sum(dim=1), families[..., 0].sum(dim=1)
    assert torch.equal(kept, torch.ceil(0.5 * total))

    def as_graph(dense: torch.Tensor) -> nx.Graph:
        n_nodes = int(dense[:, 0].sum())
        return nx.from_numpy_array(dense[:n_nodes, 3 : 3 + n_nodes].numpy())

    connected = [index for index in range(len(families)) if nx.is_connected(as_graph(families[index]))]
    assert len(connected) > 32
    assert all(nx.is_connected(as_graph(views[index])) for index in connected)


def test_ego_graph_centre_survives_node_removal() -> None:
    raw = data.DATASETS.get("karate_club")()
    graphs = torch.from_numpy(raw.inputs.copy())
    augment = GraphAugmentation(tuple(graphs.shape[1:]), **{**OFF, "node_drop_ratio": 0.9, "subgraph_keep_ratio": 0.3})
    views = augment(graphs, seed=0)
    assert_valid(views, 34)
    assert torch.equal(views[:, 0, 1:35], graphs[:, 0, 1:35])
    assert views[..., 0].sum() < 0.5 * graphs[..., 0].sum()


def test_weighted_superpixel_graphs_stay_valid_and_weights_are_kept() -> None:
    from sslbench.ssl_models.data.mnist5k_superpixels import images_to_graphs

    images = data.DATASETS.get("mnist5k")().inputs[:4]
    graphs = torch.from_numpy(images_to_graphs(images))
    views = build_augmentation("graph", tuple(graphs.shape[1:]), {"edge_add_ratio": 0.0})(graphs, seed=0)
    assert_valid(views, 3)
    original = set(np.round(graphs[..., 4:].numpy().ravel(), 6))
    assert set(np.round(views[..., 4:].numpy().ravel(), 6)) <= original


def test_caller_random_state_is_untouched(families: torch.Tensor) -> None:
    torch.manual_seed(5)
    before = torch.get_rng_state()
    build_augmentation("graph", tuple(families.shape[1:]))(families, seed=0)
    assert torch.equal(before, torch.get_rng_state())


def test_bad_graph_options_are_refused() -> None:
    with pytest.raises(ValueError, match="node_drop_ratio must be in"):
        build_augmentation("graph", (40, 43), {"node_drop_ratio": 2.0})
    with pytest.raises(ValueError, match="valid: all, row, col"):
        build_augmentation("graph", (40, 43), {"feature_mask_mode": "diagonal"})
    with pytest.raises(ValueError, match="not a dense graph shape"):
        build_augmentation("graph", (1, 28, 28))


def test_a_graph_never_loses_every_node(families: torch.Tensor) -> None:
    augment = GraphAugmentation(tuple(families.shape[1:]), **{**OFF, "node_drop_ratio": 1.0, "keep_first_node": False})
    views = augment(families, seed=0)
    assert_valid(views, 2)
    assert torch.equal(views[..., 0].sum(dim=1), torch.ones(len(families)))
