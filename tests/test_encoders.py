"""Encoders: shapes on every declared modality, causality of the causal families, the S4D kernel against its
recurrence, GNN permutation invariance, and that every family pretrains for an epoch."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sslbench.ssl_models.data.graph_format import pack_graph
from sslbench.ssl_models.encoders import ENCODERS, build_encoder
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.encoders.gnn import NodeLinear, grid_edge_index
from sslbench.ssl_models.encoders.selective_ssm import (
    SelectiveSSMBlock,
    _SelectiveScan,
    causal_depthwise_conv,
    selective_scan,
)
from sslbench.ssl_models.encoders.ssm import DIRECT_MAX_STEPS, S4DLayer
from sslbench.ssl_models.objectives import build_objective
from sslbench.ssl_models.train import TrainConfig, _optimizer, pretrain

CPU = torch.device("cpu")
EMBEDDING_DIM = 8
BATCH = 3
CAUSAL = ["causal_transformer", "gru", "selective_ssm", "ssm"]


def random_graphs(n_graphs: int, max_nodes: int = 7, n_features: int = 3, seed: int = 0) -> np.ndarray:
    """Dense graphs (n_graphs, max_nodes, 1 + F + max_nodes) with 3..max_nodes nodes, weighted undirected edges."""
    rng = np.random.default_rng(seed)
    graphs = []
    for _ in range(n_graphs):
        n_nodes = int(rng.integers(3, max_nodes + 1))
        upper = np.triu(rng.random((n_nodes, n_nodes)) < 0.5, k=1)
        upper[np.arange(n_nodes - 1), np.arange(1, n_nodes)] = True  # a path keeps the graph connected
        source, target = np.nonzero(upper | upper.T)
        weights = rng.uniform(0.5, 1.5, size=(n_nodes, n_nodes))
        weights = (weights + weights.T)[source, target].astype(np.float32)
        graphs.append(
            pack_graph(
                rng.normal(size=(n_nodes, n_features)).astype(np.float32),
                np.stack([source, target]),
                max_nodes,
                weights,
            )
        )
    return np.stack(graphs)


SAMPLES = {
    "image_28": ("image", lambda n: np.random.default_rng(0).random((n, 1, 28, 28), dtype=np.float32)),
    "image_8": ("image", lambda n: np.random.default_rng(1).random((n, 1, 8, 8), dtype=np.float32)),
    "sequence_uni": ("sequence", lambda n: np.random.default_rng(2).normal(size=(n, 1, 24)).astype(np.float32)),
    "sequence_multi": ("sequence", lambda n: np.random.default_rng(3).normal(size=(n, 3, 10)).astype(np.float32)),
    "graph": ("graph", lambda n: random_graphs(n)),
}
CASES = [
    (name, sample)
    for name, cls in ENCODERS.items()
    for sample, (modality, _) in SAMPLES.items()
    if modality in cls.modalities
]


def sample_batch(sample: str, n: int = BATCH) -> torch.Tensor:
    return torch.from_numpy(SAMPLES[sample][1](n))


def expected_steps(encoder: Encoder) -> int:
    """Token count: one per time step or image row, or one per patch for transformers on images."""
    shape = encoder.sample_shape
    if len(shape) == 2:
        return shape[1]
    if "transformer" in type(encoder).__name__.lower():
        return encoder.position.shape[1] - (encoder.cls_token is not None)
    return shape[1]


def test_every_family_is_registered() -> None:
    families = {"mlp", "linear", "cnn", "gnn", "ssm", "selective_ssm", "transformer", "causal_transformer", "gru"}
    assert families <= set(ENCODERS.names())


@pytest.mark.parametrize("name, sample", CASES)
def test_embedding_and_token_shapes_on_every_declared_modality(name: str, sample: str) -> None:
    inputs = sample_batch(sample)
    torch.manual_seed(0)
    encoder = build_encoder(name, tuple(inputs.shape[1:]), EMBEDDING_DIM)
    assert encoder.parameter_count() > 0
    embedding = encoder(inputs)
    assert embedding.shape == (BATCH, EMBEDDING_DIM) and torch.isfinite(embedding).all()
    if encoder.provides_tokens:
        tokens = encoder.tokens(inputs)
        assert tokens.dim() == 3 and tokens.shape[:2] == (BATCH, expected_steps(encoder))
        assert torch.isfinite(tokens).all()


def test_causal_transformer_reads_images_as_raster_patches() -> None:
    encoder = build_encoder("causal_transformer", (1, 28, 28), EMBEDDING_DIM, {"patch_size": 7})
    assert encoder.tokens(sample_batch("image_28")).shape[1] == 16


def test_cnn_dispatches_on_rank_to_2d_and_1d_convolutions() -> None:
    images = build_encoder("cnn", (1, 8, 8), EMBEDDING_DIM)
    sequences = build_encoder("cnn", (3, 10), EMBEDDING_DIM)
    assert any(isinstance(m, torch.nn.Conv2d) for m in images.modules())
    assert any(isinstance(m, torch.nn.Conv1d) for m in sequences.modules())
    assert not any(isinstance(m, torch.nn.Conv2d) for m in sequences.modules())
    assert build_encoder("cnn", (2, 1), EMBEDDING_DIM)(torch.zeros(4, 2, 1)).shape == (4, EMBEDDING_DIM)


@pytest.mark.parametrize("name", CAUSAL)
@pytest.mark.parametrize("sample", ["sequence_multi", "image_8"])
def test_causal_encoders_tokens_ignore_the_future(name: str, sample: str) -> None:
    inputs = sample_batch(sample)
    torch.manual_seed(0)
    encoder = build_encoder(name, tuple(inputs.shape[1:]), EMBEDDING_DIM).eval()
    assert ENCODERS.get(name).causal and ENCODERS.get(name).provides_tokens
    cut = 4  # steps (or rows / patches) 0..cut are kept
    changed = inputs.clone()
    if sample.startswith("sequence"):
        changed[..., cut + 1 :] = torch.randn_like(changed[..., cut + 1 :])
        first_changed = cut + 1
    else:
        changed[:, :, cut + 1 :, :] = torch.rand_like(changed[:, :, cut + 1 :, :])
        first_changed = cut + 1 if name != "causal_transformer" else (cut + 1) * inputs.shape[-1]  # 1×1 patches
    with torch.no_grad():
        before, after = encoder.tokens(inputs), encoder.tokens(changed)
    torch.testing.assert_close(before[:, :first_changed], after[:, :first_changed], rtol=1e-5, atol=1e-5)
    assert not torch.allclose(before[:, first_changed:], after[:, first_changed:])


def test_bidirectional_transformer_is_not_causal() -> None:
    inputs = sample_batch("sequence_multi")
    encoder = build_encoder("transformer", tuple(inputs.shape[1:]), EMBEDDING_DIM).eval()
    changed = inputs.clone()
    changed[..., -1] += 1.0
    with torch.no_grad():
        assert not torch.allclose(encoder.tokens(inputs)[:, 0], encoder.tokens(changed)[:, 0])


@pytest.mark.parametrize("steps", [20, DIRECT_MAX_STEPS, DIRECT_MAX_STEPS + 3])
def test_s4d_convolutions_match_the_zero_order_hold_recurrence(steps: int) -> None:
    """x_k = Ā x_{k−1} + B̄ u_k, y_k = 2·Re(C x_k) + D u_k with Ā = exp(Δ·A), B̄ = (exp(Δ·A) − 1)/A; the Toeplitz
    product (short sequences) and the FFT (any length) both compute it."""
    torch.manual_seed(steps)
    layer = S4DLayer(d_model=3, state_dim=8).double()
    with torch.no_grad():
        layer.kernel.log_dt.copy_(torch.log(torch.tensor([0.05, 0.2, 0.5])))  # fast dynamics: a non-trivial kernel
    inputs = torch.randn(2, steps, 3, dtype=torch.float64)
    A_bar, B_bar, C = layer.kernel.discrete()
    state = torch.zeros(2, 3, 4, dtype=torch.complex128)
    expected = []
    for step in range(inputs.shape[1]):
        state = A_bar * state + B_bar * inputs[:, step, :, None]
        expected.append(2 * (C * state).sum(-1).real + layer.D * inputs[:, step])
    expected = torch.stack(expected, dim=1)
    torch.testing.assert_close(layer.convolve(inputs), expected, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(layer.convolve_fft(inputs), expected, rtol=1e-9, atol=1e-9)


def test_s4d_initialisation_follows_s4d_lin() -> None:
    layer = S4DLayer(d_model=5, state_dim=8)
    kernel = layer.kernel
    torch.testing.assert_close(-torch.exp(kernel.log_A_real), torch.full((5, 4), -0.5))
    torch.testing.assert_close(kernel.A_imag, math.pi * torch.arange(4.0).repeat(5, 1))
    assert (kernel.log_dt >= math.log(1e-3)).all() and (kernel.log_dt <= math.log(1e-1)).all()


@pytest.mark.parametrize(
    "name, dynamics", [("ssm", {"log_dt", "log_A_real", "A_imag"}), ("selective_ssm", {"A_log", "D"})]
)
def test_ssm_dynamics_get_no_weight_decay(name: str, dynamics: set[str]) -> None:
    objective = build_objective("autoencoder", build_encoder(name, (2, 12), EMBEDDING_DIM, {"n_layers": 2}))
    excluded = objective.excluded_from_weight_decay()
    assert {n.rsplit(".", 1)[-1] for n in excluded} == dynamics
    assert len(excluded) == 2 * len(dynamics)  # each of the 2 layers has its own
    groups = _optimizer(objective, TrainConfig(weight_decay=0.1)).param_groups
    no_decay = {id(p) for g in groups if g["weight_decay"] == 0.0 for p in g["params"]}
    assert no_decay == {id(p) for n, p in objective.named_parameters() if n in excluded}


def test_selective_scan_matches_a_direct_loop_and_depends_on_the_input() -> None:
    torch.manual_seed(0)
    values, dt = torch.randn(2, 6, 3), torch.rand(2, 6, 3)
    A, B, C, D = -torch.rand(3, 4), torch.randn(2, 6, 4), torch.randn(2, 6, 4), torch.randn(3)
    state, expected = torch.zeros(2, 3, 4), []
    for t in range(6):
        state = torch.exp(dt[:, t, :, None] * A) * state + dt[:, t, :, None] * B[:, t, None, :] * values[:, t, :, None]
        expected.append((state * C[:, t, None, :]).sum(-1) + D * values[:, t])
    torch.testing.assert_close(selective_scan(values, dt, A, B, C, D), torch.stack(expected, dim=1))
    block = SelectiveSSMBlock(d_model=4)
    dt_init = torch.nn.functional.softplus(block.dt_projection.bias)
    assert (dt_init > 1e-4 * 0.99).all() and (dt_init < 0.1 * 1.01).all()


def _autograd_selective_scan(inputs, dt, A, B, C, D):  # the reference: autograd through a step-by-step loop
    decay = torch.exp(dt[..., None] * A)
    drive = (dt * inputs)[..., None] * B[:, :, None, :]
    state = inputs.new_zeros(inputs.shape[0], inputs.shape[2], A.shape[1])
    outputs = []
    for step_decay, step_drive, step_output_map in zip(decay.unbind(1), drive.unbind(1), C[..., None].unbind(1)):
        state = step_decay * state + step_drive
        outputs.append(state @ step_output_map)
    return torch.cat(outputs, dim=2).transpose(1, 2) + inputs * D


def _scan_leaves(batch, length, inner, state_dim, dtype):
    generator = torch.Generator().manual_seed(length)
    values = torch.randn(batch, length, inner, generator=generator)
    dt = torch.rand(batch, length, inner, generator=generator)
    A = -torch.rand(inner, state_dim, generator=generator) * state_dim
    B, C = torch.randn(2, batch, length, state_dim, generator=generator)
    return [x.to(dtype).requires_grad_() for x in (values, dt, A, B, C, torch.randn(inner, generator=generator))]


def _torch_loop_scan(inputs, dt, A, B, C, D):  # the implementation a GPU uses
    return _SelectiveScan.apply(inputs, dt, A, B, C) + inputs * D


@pytest.mark.parametrize("fast_scan", [selective_scan, _torch_loop_scan], ids=["fused_cpu", "torch_loop"])
@pytest.mark.parametrize("batch, length, inner, state_dim", [(3, 7, 5, 4), (1, 1, 2, 1), (2, 2, 3, 2), (4, 33, 8, 16)])
def test_selective_scan_equals_autograd_through_the_step_loop_in_values_and_gradients(
    fast_scan, batch, length, inner, state_dim
) -> None:
    results = []
    for scan in (fast_scan, _autograd_selective_scan):
        leaves = _scan_leaves(batch, length, inner, state_dim, torch.float32)
        output = scan(*leaves)
        output.pow(2).sum().backward()
        results.append([output.detach()] + [leaf.grad for leaf in leaves])
    for fast, reference in zip(*results):
        torch.testing.assert_close(fast, reference, rtol=1e-5, atol=1e-5)
    leaves = _scan_leaves(batch, min(length, 9), inner, state_dim, torch.float64)  # the hand-written backward
    assert torch.autograd.gradcheck(fast_scan, leaves)


def test_fused_cpu_scan_runs_on_the_cpu_and_returns_each_gradient_in_its_inputs_dtype() -> None:
    leaves = _scan_leaves(2, 5, 3, 4, torch.float32)
    reference = _autograd_selective_scan(*leaves)
    with torch.no_grad():
        low = [leaf.detach().to(torch.bfloat16).requires_grad_() for leaf in leaves[:2]] + leaves[2:]
    output = selective_scan(*low)
    assert output.grad_fn is not None and "FusedCPUScan" in str(output.grad_fn.next_functions)
    assert output.dtype == torch.float32  # bfloat16 values are scanned in float32, as torch's promotion would
    torch.testing.assert_close(output, reference, rtol=2e-2, atol=2e-2)
    output.sum().backward()
    assert [leaf.grad.dtype for leaf in low] == [torch.bfloat16] * 2 + [torch.float32] * 4


@pytest.mark.parametrize("length, width", [(7, 4), (1, 4), (5, 1), (3, 6)])
def test_causal_depthwise_conv_equals_a_padded_conv1d_cut_to_length(length: int, width: int) -> None:
    torch.manual_seed(length)
    conv = torch.nn.Conv1d(5, 5, width, groups=5, padding=width - 1)
    values = torch.randn(2, length, 5)
    expected = conv(values.transpose(1, 2))[..., :length].transpose(1, 2)
    torch.testing.assert_close(causal_depthwise_conv(values, conv.weight, conv.bias), expected)


@pytest.mark.parametrize("in_features", [1, 3, 17])
def test_node_linear_equals_nn_linear_in_values_and_gradients(in_features: int) -> None:
    torch.manual_seed(in_features)
    reference, node_linear = torch.nn.Linear(in_features, 6), NodeLinear(in_features, 6)
    node_linear.load_state_dict(reference.state_dict())
    inputs = torch.randn(50, in_features)
    results = []
    for layer in (node_linear, reference):
        outputs = layer(inputs)
        outputs.pow(2).sum().backward()
        results.append([outputs.detach(), layer.weight.grad, layer.bias.grad])
    for fast, expected in zip(*results):
        torch.testing.assert_close(fast, expected)


@pytest.mark.parametrize("layer", ["gin", "gcn"])
@pytest.mark.parametrize("readout", ["mean", "sum", "max"])
def test_gnn_graph_embedding_is_invariant_to_node_order(layer: str, readout: str) -> None:
    graphs = torch.from_numpy(random_graphs(4, seed=5))
    torch.manual_seed(0)
    encoder = build_encoder("gnn", tuple(graphs.shape[1:]), EMBEDDING_DIM, {"layer": layer, "readout": readout})
    encoder(graphs)  # one training-mode pass, so BatchNorm's running statistics are not the identity
    encoder.eval()
    n_features = graphs.shape[2] - 1 - graphs.shape[1]
    permutation = torch.randperm(graphs.shape[1], generator=torch.Generator().manual_seed(1))
    permuted = graphs[:, permutation]
    permuted[..., 1 + n_features :] = permuted[..., 1 + n_features :][..., permutation]
    with torch.no_grad():
        torch.testing.assert_close(encoder(permuted), encoder(graphs), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("layer", ["gin", "gcn"])
@pytest.mark.parametrize(
    "readout, neighbours, shape",
    [("mean", 8, (1, 28, 28)), ("mean", 4, (2, 5, 7)), ("sum", 4, (2, 5, 7)), ("max", 8, (3, 1, 6))],
)
def test_dense_pixel_grid_message_passing_equals_pyg_scatter_within_fp32_rounding(
    layer, readout, neighbours, shape
) -> None:
    images = torch.rand(3, *shape, generator=torch.Generator().manual_seed(2))
    options = {"layer": layer, "readout": readout, "neighbours": neighbours, "hidden_dim": 8, "depth": 2}
    torch.manual_seed(4)
    dense = build_encoder("gnn", shape, EMBEDDING_DIM, {**options, "dense_grid": True})
    sparse = build_encoder("gnn", shape, EMBEDDING_DIM, {**options, "dense_grid": False})
    sparse.load_state_dict(dense.state_dict())
    outputs = [encoder(images) for encoder in (dense, sparse)]  # training mode: BatchNorm on batch statistics
    torch.testing.assert_close(outputs[0], outputs[1], rtol=1e-5, atol=1e-5)
    grads = [
        torch.autograd.grad(output.square().sum(), encoder.convs[0].parameters())
        for output, encoder in zip(outputs, (dense, sparse))
    ]
    # rounding is relative to the largest gradient: a bias before batch norm has true gradient 0, and a sum
    # readout's gradients reach 1e3
    scale = max(1.0, max(grad.abs().max().item() for grad in grads[1]))
    for dense_grad, sparse_grad in zip(*grads):
        torch.testing.assert_close(dense_grad, sparse_grad, rtol=1e-4, atol=1e-5 * scale)


def test_gnn_center_readout_reads_the_first_node() -> None:
    graphs = torch.from_numpy(random_graphs(4, seed=6))
    encoder = build_encoder("gnn", tuple(graphs.shape[1:]), EMBEDDING_DIM, {"readout": "center", "layer": "gcn"}).eval()
    n_features = graphs.shape[2] - 1 - graphs.shape[1]
    others = torch.cat([torch.zeros(1, dtype=torch.long), 1 + torch.randperm(graphs.shape[1] - 1)])
    permuted = graphs[:, others]
    permuted[..., 1 + n_features :] = permuted[..., 1 + n_features :][..., others]
    swapped = torch.tensor([1, 0, *range(2, graphs.shape[1])])
    moved = graphs[:, swapped]
    moved[..., 1 + n_features :] = moved[..., 1 + n_features :][..., swapped]
    with torch.no_grad():
        torch.testing.assert_close(encoder(permuted), encoder(graphs), rtol=1e-4, atol=1e-5)
        assert not torch.allclose(encoder(moved), encoder(graphs))


@pytest.mark.parametrize("neighbours, n_edges", [(4, 2 * (3 * 2 + 2 * 3)), (8, 2 * (3 * 2 + 2 * 3) + 2 * 2 * 2 * 2)])
def test_pixel_grid_graph_links_each_pixel_to_its_neighbours(neighbours: int, n_edges: int) -> None:
    edges = grid_edge_index(3, 3, neighbours)
    assert edges.shape == (2, n_edges)
    centre = set(edges[1][edges[0] == 4].tolist())
    assert centre == ({1, 3, 5, 7} if neighbours == 4 else set(range(9)) - {4})
    assert {(s, t) for s, t in edges.T.tolist()} == {(t, s) for s, t in edges.T.tolist()}


def test_gnn_reads_an_image_as_a_pixel_graph_with_coordinates() -> None:
    encoder = build_encoder("gnn", (2, 4, 5), EMBEDDING_DIM, {"neighbours": 4})
    images = torch.rand(3, 2, 4, 5)
    features, edge_index, weights, graph_of_node = encoder.sparse_graph(images)
    assert features.shape == (3 * 20, 4) and weights is None
    torch.testing.assert_close(features[20 + 7, :2], images[1, :, 1, 2])  # image 1, row 1, column 2
    torch.testing.assert_close(features[20 + 7, 2:], torch.tensor([2 / 5, 1 / 4]))
    assert (graph_of_node[edge_index[0]] == graph_of_node[edge_index[1]]).all()
    assert "grid_edges" not in encoder.state_dict()


@pytest.mark.parametrize(
    "name, options, message",
    [
        ("gnn", {"layer": "gat"}, "valid choices: gin, gcn"),
        ("gnn", {"readout": "attention"}, "valid choices: mean, sum, max, center"),
        ("ssm", {"pooling": "cls"}, "valid choices: last, mean"),
        ("ssm", {"state_dim": 7}, "even"),
        ("transformer", {"pooling": "last"}, "valid choices: cls, mean"),
        ("causal_transformer", {"pooling": "cls"}, "valid choices: last, mean"),
        ("transformer", {"patch_size": 5}, "does not divide"),
    ],
)
def test_bad_options_are_rejected_with_the_valid_choices(name: str, options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build_encoder(name, (1, 28, 28), EMBEDDING_DIM, options)


def test_gnn_center_readout_is_rejected_for_images() -> None:
    with pytest.raises(ValueError, match="centre node"):
        build_encoder("gnn", (1, 8, 8), EMBEDDING_DIM, {"readout": "center"})


def test_transformer_layers_are_initialised_independently() -> None:
    torch.manual_seed(0)
    encoder = build_encoder("transformer", (1, 8, 8), EMBEDDING_DIM, {"n_layers": 2})
    first, second = encoder.layers.layers
    assert not torch.equal(first.self_attn.in_proj_weight, second.self_attn.in_proj_weight)
    assert not torch.equal(first.linear1.weight, second.linear1.weight)


@pytest.mark.parametrize("name, sample", CASES)
def test_every_encoder_pretrains_an_epoch_as_an_autoencoder(name: str, sample: str) -> None:
    inputs = SAMPLES[sample][1](16)
    torch.manual_seed(0)
    encoder = build_encoder(name, inputs.shape[1:], EMBEDDING_DIM)
    objective = build_objective("autoencoder", encoder, {"hidden_dim": 32})
    result = pretrain(objective, inputs, TrainConfig(epochs=1, batch_size=8), seed=0, device=CPU)
    assert len(result.history) == 1 and math.isfinite(result.history[0])


def test_cnn_without_head_embeds_with_its_pooled_features() -> None:
    encoder = build_encoder("cnn", (1, 8, 8), EMBEDDING_DIM, {"width": 4, "head": False})
    images = torch.randn(3, 1, 8, 8)
    assert encoder.embedding_dim == 32 and encoder(images).shape == (3, 32)
    assert torch.equal(encoder(images), encoder.features(images))
    with pytest.raises(ValueError, match="head must be true or false"):
        build_encoder("cnn", (1, 8, 8), EMBEDDING_DIM, {"head": "no"})


def test_fused_cpu_scan_carries_a_nan_exactly_to_the_outputs_that_depend_on_it() -> None:
    leaves = [leaf.detach() for leaf in _scan_leaves(2, 5, 3, 4, torch.float32)]
    leaves[0][0, 1, 2] = float("nan")  # example 0, step 1, channel 2
    output = selective_scan(*leaves)
    depends = torch.zeros_like(output, dtype=torch.bool)
    depends[0, 1:, 2] = True  # the same channel of the same example, from step 1 on
    assert torch.equal(torch.isnan(output), depends)
