"""Objectives: losses against hand-computed values, the properties each objective promises, and that every
registered objective trains an encoder for an epoch."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sslbench.ssl_models.augment import generate_bank, group_banks, open_bank
from sslbench.ssl_models.encoders import build_encoder
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.encoders.cnn import CNNEncoder
from sslbench.ssl_models.encoders.mlp import MLPEncoder
from sslbench.ssl_models.evaluate import effective_rank, embed
from sslbench.ssl_models.objectives import OBJECTIVES, Batch, build_objective
from sslbench.ssl_models.objectives.barlow_twins import BarlowTwinsLoss
from sslbench.ssl_models.objectives.byol import BYOL, cosine_momentum_schedule
from sslbench.ssl_models.objectives.infonce import NTXentLoss
from sslbench.ssl_models.objectives.masked_autoencoder import MaskedAutoencoder
from sslbench.ssl_models.objectives.next_step import NextStep
from sslbench.ssl_models.objectives.simsiam import SimSiam
from sslbench.ssl_models.objectives.sparse_autoencoder import SparseAutoencoder
from sslbench.ssl_models.objectives.spectral_contrastive import SpectralContrastiveLoss
from sslbench.ssl_models.objectives.triplet import TripletLoss
from sslbench.ssl_models.objectives.vicreg import VICRegLoss
from sslbench.ssl_models.train import TrainConfig, pretrain
from torch import nn

CPU = torch.device("cpu")


class CausalConvEncoder(Encoder):
    """Tiny causal token encoder for (C, T) sequences: left-padded conv, token t sees steps t−2..t."""

    modalities = ("sequence",)
    causal = True
    provides_tokens = True

    def __init__(self, sample_shape: tuple[int, ...], embedding_dim: int) -> None:
        super().__init__(sample_shape, embedding_dim)
        self.conv = nn.Conv1d(sample_shape[0], embedding_dim, kernel_size=3)

    def tokens(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.conv(F.pad(inputs, (2, 0)))).transpose(1, 2)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.tokens(inputs)[:, -1]


class BidirectionalConvEncoder(CausalConvEncoder):
    """The same with a centred kernel: tokens, but not causal."""

    causal = False

    def tokens(self, inputs: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.conv(F.pad(inputs, (1, 1)))).transpose(1, 2)


class FlatGraphEncoder(Encoder):
    """Tiny encoder of dense graphs (M, 1 + F + M): flatten → Linear."""

    modalities = ("graph",)

    def __init__(self, sample_shape: tuple[int, ...], embedding_dim: int) -> None:
        super().__init__(sample_shape, embedding_dim)
        self.linear = nn.Linear(self.input_size, embedding_dim)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.linear(inputs.flatten(1))


def rows(seed: int, *shape: int) -> torch.Tensor:
    """A reproducible standard-normal tensor."""
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# --- losses against hand-computed values ----------------------------------------------------------------------


def test_nt_xent_matches_a_hand_computed_value() -> None:
    first, second, temperature = rows(0, 3, 2), rows(1, 3, 2), 0.5
    views = [v / np.linalg.norm(v) for v in np.concatenate([first.numpy(), second.numpy()]).astype(np.float64)]
    n = len(first)
    total = 0.0
    for i in range(2 * n):
        positive = (i + n) % (2 * n)
        denominator = sum(math.exp(views[i] @ views[k] / temperature) for k in range(2 * n) if k != i)
        total += -math.log(math.exp(views[i] @ views[positive] / temperature) / denominator)
    assert NTXentLoss(temperature)(first, second).item() == pytest.approx(total / (2 * n), rel=1e-5)


def test_spectral_contrastive_loss_matches_a_hand_computed_value() -> None:
    first, second = 0.4 * rows(2, 4, 3), 0.4 * rows(3, 4, 3)
    a, b = first.numpy().astype(np.float64), second.numpy().astype(np.float64)
    n = len(a)
    positive = sum(float(a[i] @ b[i]) for i in range(n)) / n
    negative = sum(float(a[i] @ b[j]) ** 2 for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    assert SpectralContrastiveLoss(max_norm=None)(first, second).item() == pytest.approx(
        -2 * positive + negative, rel=1e-5
    )


def test_spectral_contrastive_loss_clips_long_projections_to_max_norm() -> None:
    first, second = 10 * rows(4, 4, 3), 10 * rows(5, 4, 3)
    clipped = SpectralContrastiveLoss(max_norm=1.0)(first, second)
    unit = SpectralContrastiveLoss(max_norm=None)(F.normalize(first, dim=1), F.normalize(second, dim=1))
    assert clipped.item() == pytest.approx(unit.item(), rel=1e-5)


def test_triplet_loss_is_zero_when_the_margin_is_satisfied_and_the_hinge_otherwise() -> None:
    anchors = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    positives = torch.tensor([[2.0, 0.1], [0.1, 3.0]])  # nearly the anchor's direction
    negatives = torch.tensor([[-1.0, 0.0], [1.0, 0.0]])  # squared distance 4 and 2 on the unit circle
    assert TripletLoss(margin=0.2)(anchors, positives, negatives).item() == 0.0
    a, p, n = (F.normalize(t, dim=1).numpy().astype(np.float64) for t in (anchors, negatives, positives))
    expected = np.mean([max(0.0, np.sum((a[i] - p[i]) ** 2) - np.sum((a[i] - n[i]) ** 2) + 0.2) for i in range(2)])
    assert TripletLoss(margin=0.2)(anchors, negatives, positives).item() == pytest.approx(expected, rel=1e-5)


def test_barlow_twins_loss_matches_its_formula() -> None:
    first, second, weight = rows(6, 5, 3), rows(7, 5, 3), 5e-3
    a, b = first.numpy().astype(np.float64), second.numpy().astype(np.float64)
    standardise = lambda z: (z - z.mean(0)) / np.sqrt(z.var(0) + 1e-5)  # noqa: E731  (biased variance)
    za, zb = standardise(a), standardise(b)
    n, d = a.shape
    correlation = [[sum(za[k, i] * zb[k, j] for k in range(n)) / n for j in range(d)] for i in range(d)]
    expected = sum((1 - correlation[i][i]) ** 2 for i in range(d))
    expected += weight * sum(correlation[i][j] ** 2 for i in range(d) for j in range(d) if i != j)
    assert BarlowTwinsLoss(weight)(first, second).item() == pytest.approx(expected, rel=1e-5)


def test_vicreg_terms_match_their_formulas() -> None:
    first, second = 0.5 * rows(8, 6, 3), 0.5 * rows(9, 6, 3) + 1.0
    a, b = first.numpy().astype(np.float64), second.numpy().astype(np.float64)
    n, d = a.shape

    def variance(z: np.ndarray) -> float:
        return sum(max(0.0, 1.0 - math.sqrt(np.var(z[:, j], ddof=1) + 1e-4)) for j in range(d)) / d

    def covariance(z: np.ndarray) -> float:
        c = z - z.mean(0)
        return sum((c[:, i] @ c[:, j] / (n - 1)) ** 2 for i in range(d) for j in range(d) if i != j) / d

    invariance = np.sum((a - b) ** 2) / (n * d)
    terms = {
        "invariance": invariance,
        "variance": (variance(a) + variance(b)) / 2,
        "covariance": covariance(a) + covariance(b),
    }
    assert all(value > 0 for value in terms.values())
    for name, expected in terms.items():
        weights = {f"{other}_weight": float(other == name) for other in terms}
        assert VICRegLoss(**weights)(first, second).item() == pytest.approx(expected, rel=1e-5), name
    total = 25 * terms["invariance"] + 25 * terms["variance"] + terms["covariance"]
    assert VICRegLoss()(first, second).item() == pytest.approx(total, rel=1e-5)


def test_sparsity_penalties_match_their_formulas() -> None:
    encoder = build_encoder("linear", (4,), embedding_dim=3)
    inputs = rows(10, 5, 4)
    embedding = encoder(inputs).detach().numpy().astype(np.float64)
    l1 = SparseAutoencoder(encoder, sparsity="l1", sparsity_weight=0.0)
    codes = l1.code(inputs)
    assert np.allclose(codes.detach().numpy(), np.maximum(embedding, 0), atol=1e-6)
    assert l1.penalty(codes).item() == pytest.approx(np.abs(np.maximum(embedding, 0)).mean(), rel=1e-5)
    rho = 0.1
    kl = SparseAutoencoder(encoder, sparsity="kl", target_rate=rho)
    rates = (1 / (1 + np.exp(-embedding))).mean(0)
    expected = np.mean(rho * np.log(rho / rates) + (1 - rho) * np.log((1 - rho) / (1 - rates)))
    assert kl.penalty(kl.code(inputs)).item() == pytest.approx(expected, rel=1e-5)
    reconstruction = kl.decoder(kl.code(inputs)).detach().numpy()
    loss = np.mean((reconstruction - inputs.numpy()) ** 2) + 0.1 * expected
    assert kl(Batch(inputs)).item() == pytest.approx(loss, rel=1e-5)
    with pytest.raises(ValueError, match="valid sparsity penalties: l1, kl"):
        SparseAutoencoder(encoder, sparsity="l2")


# --- properties of each objective -----------------------------------------------------------------------------


def identity_denoiser(kind: str, **options: object) -> nn.Module:
    """A denoising autoencoder on 6-d vectors whose encoder and decoder are both the identity map."""
    encoder = build_encoder("linear", (6,), embedding_dim=6)
    objective = build_objective("denoising_autoencoder", encoder, {"noise": kind, "decoder": "linear", **options})
    with torch.no_grad():
        for linear in (encoder.linear, objective.decoder):
            linear.weight.copy_(torch.eye(6))
            linear.bias.zero_()
    return objective


@pytest.mark.parametrize("kind", ["gaussian", "masking"])
def test_denoising_autoencoder_reconstructs_the_clean_input(kind: str) -> None:
    objective = identity_denoiser(kind, noise_std=0.3, mask_fraction=0.5)
    clean = rows(11, 64, 6) + 2.0
    corrupted = objective.corrupt(clean, torch.Generator().manual_seed(0))
    assert not torch.equal(corrupted, clean)
    if kind == "masking":
        dropped = corrupted == 0
        assert 0.3 < dropped.float().mean().item() < 0.7
        assert torch.equal(corrupted[~dropped], clean[~dropped])
    else:
        assert (corrupted - clean).std().item() == pytest.approx(0.3, rel=0.15)
    objective.generator = torch.Generator().manual_seed(0)
    # identity encoder and decoder: the loss is the corruption's error against the clean target, not zero
    assert objective(Batch(clean)).item() == pytest.approx(torch.mean((corrupted - clean) ** 2).item(), rel=1e-6)


def test_denoising_autoencoder_corrupts_only_real_node_features_of_graphs() -> None:
    graphs = torch.zeros(2, 3, 1 + 2 + 3)
    graphs[:, :2, 0] = 1.0  # two real nodes, one padding row
    graphs[:, :2, 1:3] = 5.0
    graphs[:, 0, 4] = graphs[:, 1, 3] = 1.0  # one edge
    objective = build_objective("denoising_autoencoder", FlatGraphEncoder((3, 6), 4), {"noise": "gaussian"})
    changed = objective.corrupt(graphs, torch.Generator().manual_seed(0)) != graphs
    assert changed[:, :2, 1:3].all() and not changed[:, 2].any()
    assert not changed[..., 0].any() and not changed[..., 3:].any()


def test_masked_autoencoder_replaces_whole_patches_by_the_learned_token() -> None:
    encoder = build_encoder("cnn", (1, 8, 8), embedding_dim=4, options={"width": 4})
    objective = MaskedAutoencoder(encoder, mask_ratio=0.5, patch_size=2)
    images = rows(12, 3, 1, 8, 8)
    units = objective.random_mask(images, torch.Generator().manual_seed(0))
    assert units.shape == (3, 4, 4) and units.sum(dim=(1, 2)).tolist() == [8, 8, 8]
    entries = objective.entry_mask(units, images)
    masked = objective.apply_mask(images, entries)
    patch = objective.mask_token.detach()
    for b, i, j in units.nonzero().tolist():
        assert torch.equal(masked[b, :, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2].detach(), patch)
    assert torch.equal(masked[~entries].detach(), images[~entries])
    objective.reconstruction_loss(objective.reconstruct(masked), images, entries).backward()
    assert objective.mask_token.grad is not None and objective.mask_token.grad.abs().sum() > 0


def test_masked_autoencoder_masks_time_steps_of_sequences_and_real_node_features_of_graphs() -> None:
    sequences = build_objective("masked_autoencoder", build_encoder("mlp", (2, 10), 4), {"mask_ratio": 0.3})
    inputs = rows(13, 4, 2, 10)
    entries = sequences.entry_mask(sequences.random_mask(inputs), inputs)
    assert (entries[:, 0] == entries[:, 1]).all() and entries[:, 0].sum(dim=1).tolist() == [3, 3, 3, 3]
    graphs = torch.zeros(2, 4, 1 + 3 + 4)
    graphs[0, :4, 0] = 1.0
    graphs[1, :2, 0] = 1.0
    objective = build_objective("masked_autoencoder", FlatGraphEncoder((4, 8), 4), {"mask_ratio": 0.5})
    entries = objective.entry_mask(objective.random_mask(graphs), graphs)
    assert entries[..., 1:4].any(dim=-1).sum(dim=1).tolist() == [2, 1]  # half of 4 and of 2 real nodes
    assert not entries[1, 2:].any() and not entries[..., 0].any() and not entries[..., 4:].any()
    masked = objective.apply_mask(graphs, entries)
    assert torch.equal(masked[..., 4:], graphs[..., 4:]) and torch.equal(masked[..., 0], graphs[..., 0])


LAYOUT_CASES = {
    "image": (lambda: build_encoder("cnn", (1, 8, 8), 4, options={"width": 4}), (1, 8, 8)),
    "sequence": (lambda: build_encoder("mlp", (2, 10), 4, options={"hidden_dim": 16}), (2, 10)),
    "graph": (lambda: FlatGraphEncoder((4, 8), 4), (4, 8)),
    "vector": (lambda: build_encoder("mlp", (5,), 4, options={"hidden_dim": 16}), (5,)),
}


@pytest.mark.parametrize("name", ["masked_autoencoder", "denoising_autoencoder"])
@pytest.mark.parametrize("layout", sorted(LAYOUT_CASES))
def test_corrupting_autoencoders_train_on_every_layout(name: str, layout: str) -> None:
    make_encoder, shape = LAYOUT_CASES[layout]
    objective = build_objective(name, make_encoder())
    assert objective.layout == layout
    inputs = rows(19, 6, *shape).abs()
    if layout == "graph":
        inputs[..., 0] = (torch.arange(4) < 3).float()  # three real nodes and one padding row
    loss = objective(Batch(inputs))
    loss.backward()
    assert torch.isfinite(loss) and all(p.grad is not None for p in objective.encoder.parameters())


def test_an_ambiguous_layout_must_be_named() -> None:
    class SequenceOrGraphEncoder(FlatGraphEncoder):
        modalities = ("sequence", "graph")

    with pytest.raises(ValueError, match="pass layout= one of image, sequence, graph, vector"):
        build_objective("masked_autoencoder", SequenceOrGraphEncoder((4, 8), 4))
    assert (
        build_objective("masked_autoencoder", SequenceOrGraphEncoder((4, 8), 4), {"layout": "graph"}).layout == "graph"
    )


def test_masked_only_loss_ignores_the_reconstruction_of_unmasked_positions() -> None:
    encoder = build_encoder("mlp", (1, 4, 4), embedding_dim=4)
    images = rows(14, 2, 1, 4, 4)
    masked_only = MaskedAutoencoder(encoder, mask_ratio=0.5, patch_size=2, loss_on="masked")
    everywhere = MaskedAutoencoder(encoder, mask_ratio=0.5, patch_size=2, loss_on="all")
    entries = masked_only.entry_mask(masked_only.random_mask(images, torch.Generator().manual_seed(1)), images)
    reconstruction = rows(15, 2, 1, 4, 4)
    changed = torch.where(entries, reconstruction, reconstruction + 10.0)
    assert masked_only.reconstruction_loss(changed, images, entries).item() == pytest.approx(
        masked_only.reconstruction_loss(reconstruction, images, entries).item(), rel=1e-6
    )
    expected = ((reconstruction - images) ** 2)[entries].mean().item()
    assert masked_only.reconstruction_loss(reconstruction, images, entries).item() == pytest.approx(expected, rel=1e-6)
    assert (
        everywhere.reconstruction_loss(changed, images, entries).item()
        > everywhere.reconstruction_loss(reconstruction, images, entries).item() + 1.0
    )


def test_byol_target_gets_no_gradient_and_follows_the_ema_exactly() -> None:
    objective = BYOL(
        build_encoder("mlp", (6,), 4, options={"hidden_dim": 8}),
        momentum=0.9,
        cosine_momentum=False,
        projection_dim=4,
        hidden_dim=8,
    )
    target_params = [*objective.target_encoder.parameters(), *objective.target_projector.parameters()]
    online_params = [*objective.encoder.parameters(), *objective.projector.parameters()]
    optimizer = torch.optim.SGD([p for p in objective.parameters() if p.requires_grad], lr=0.5)
    before = [p.detach().clone() for p in target_params]
    views = rows(16, 8, 2, 6)
    objective(Batch(views[:, 0], groups={"first": views[:, :1], "second": views[:, 1:]})).backward()
    assert all(not p.requires_grad and p.grad is None for p in target_params)
    assert all(p.grad is not None for p in online_params)
    optimizer.step()
    assert all(torch.equal(p, old) for p, old in zip(target_params, before))
    objective.after_step()
    for target, old, online in zip(target_params, before, online_params):
        assert torch.allclose(target, 0.9 * old + 0.1 * online.detach(), atol=1e-7)
    assert not torch.equal(target_params[0], before[0])


def test_byol_momentum_rises_from_its_base_to_one_on_a_cosine() -> None:
    objective = BYOL(build_encoder("linear", (3,), 2), momentum=0.99)
    assert objective.momentum == 0.99
    objective.start_training(total_steps=10)
    for step, expected in [(0, 0.99), (5, 0.995), (10, 1.0)]:
        objective.step = step
        assert objective.momentum == pytest.approx(expected, abs=1e-12)
    assert cosine_momentum_schedule(0.9, 10, 10) == 1.0


class ConstantPredictor(nn.Module):
    """A predictor that ignores its input: gradient reaches the encoder only through the target branch."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.value = nn.Parameter(torch.ones(dim))

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.value.expand(inputs.shape[0], -1)


@pytest.mark.parametrize("stop_gradient", [True, False])
def test_simsiam_stop_gradient_cuts_the_target_branch(stop_gradient: bool) -> None:
    objective = SimSiam(build_encoder("linear", (6,), 4), stop_gradient=stop_gradient, projection_dim=4)
    objective.predictor = ConstantPredictor(4)
    views = rows(17, 8, 2, 6)
    objective(Batch(views[:, 0], views=views)).backward()
    reached = objective.encoder.linear.weight.grad
    if stop_gradient:
        assert reached is None or torch.count_nonzero(reached) == 0
    else:
        assert reached is not None and reached.abs().sum() > 0
    assert objective.predictor.value.grad.abs().sum() > 0


def test_next_step_needs_a_causal_token_encoder() -> None:
    next_step = OBJECTIVES.get("next_step")
    assert next_step.incompatibility(MLPEncoder, "sequence") == "needs an encoder with per-token features"
    assert next_step.incompatibility(BidirectionalConvEncoder, "sequence") == "needs a causal sequence encoder"
    assert next_step.incompatibility(CausalConvEncoder, "image") is not None
    assert next_step.incompatibility(CausalConvEncoder, "sequence") is None
    with pytest.raises(ValueError, match="needs a causal sequence encoder"):
        NextStep(BidirectionalConvEncoder((2, 12), 4))


def test_next_step_predicts_each_step_from_the_past_only() -> None:
    objective = NextStep(CausalConvEncoder((2, 12), 5))
    sequences = rows(18, 3, 2, 12)
    predictions = objective.predict_next(sequences)
    assert predictions.shape == (3, 2, 11)
    loss = objective(Batch(sequences))
    assert loss.item() == pytest.approx(torch.mean((predictions - sequences[:, :, 1:]) ** 2).item(), rel=1e-6)
    changed = sequences.clone()
    changed[:, :, 6] += 1.0  # predictions of steps ≤ 6 use steps ≤ 5
    after = objective.predict_next(changed)
    assert torch.equal(after[:, :, :6], predictions[:, :, :6]) and not torch.equal(after[:, :, 6], predictions[:, :, 6])


# --- every objective trains -----------------------------------------------------------------------------------


SHIPPED = [name for name, cls in OBJECTIVES.items() if cls.__module__.startswith("sslbench.ssl_models.objectives.")]


@pytest.mark.parametrize("name", SHIPPED)
def test_every_objective_pretrains_an_epoch_with_a_finite_loss(name: str, tmp_path: Path) -> None:
    cls = OBJECTIVES.get(name)
    rng = np.random.default_rng(0)
    if cls.incompatibility(MLPEncoder, "image") is None:
        inputs = rng.random((64, 1, 8, 8), dtype=np.float32)
        encoder: Encoder = build_encoder("mlp", inputs.shape[1:], embedding_dim=6, options={"hidden_dim": 32})
    elif cls.incompatibility(CNNEncoder, "image") is None:
        inputs = rng.random((64, 1, 8, 8), dtype=np.float32)
        encoder = build_encoder("cnn", inputs.shape[1:], embedding_dim=6, options={"width": 4})
    else:
        inputs = rng.standard_normal((64, 2, 12)).astype(np.float32)
        encoder = CausalConvEncoder(inputs.shape[1:], embedding_dim=6)
    layout = "image" if inputs.ndim == 4 else "sequence"
    groups = cls.view_groups()
    depth = max((group.n_views for group in groups), default=1)
    bank = {
        bank.group: generate_bank(
            inputs, layout, dict(bank.options), bank.n_views, bank.seed, tmp_path / f"{bank.group}.npy"
        )
        for bank in group_banks(groups, layout, layout, {}, bank_views=depth, seed=0)
    }
    labels = rng.integers(0, 3, 64)
    objective = build_objective(name, encoder, {"n_classes": 3} if cls.needs_labels else {})
    result = pretrain(
        objective,
        inputs,
        TrainConfig(epochs=1, batch_size=32),
        seed=0,
        labels=labels,
        bank={group: open_bank(path) for group, path in bank.items()},
        device=CPU,
        n_views={group.name: group.n_views for group in groups},
    )
    assert len(result.history) == 1 and math.isfinite(result.history[0])
    assert embed(objective.encoder, inputs, device=CPU).shape == (64, 6)


def test_simsiam_without_stop_gradient_heads_for_the_degenerate_minimum() -> None:
    """Without stop-gradient the loss nears its degenerate minimum −1 and the projector's output loses dimensions.

    In a run of seconds the encoder's own embedding keeps the diversity of its random initialisation (effective
    rank 4.7–5.9 of 8 either way over seeds 0–5, for which the assertions below all hold): collapse of the
    evaluated representation takes the paper's long runs.
    """
    rng = np.random.default_rng(0)
    inputs = rng.standard_normal((256, 16)).astype(np.float32)
    bank = (inputs[:, None] + 0.3 * rng.standard_normal((256, 2, 16))).astype(np.float32)
    outcome = {}
    for stop_gradient in (True, False):
        torch.manual_seed(0)
        encoder = build_encoder("mlp", (16,), embedding_dim=8, options={"hidden_dim": 64, "depth": 1})
        objective = SimSiam(encoder, stop_gradient=stop_gradient, projection_dim=16, predictor_hidden_dim=4)
        result = pretrain(
            objective, inputs, TrainConfig(epochs=30, batch_size=64, learning_rate=3e-2), seed=0, bank=bank, device=CPU
        )
        projections = embed(objective.projector, embed(objective.encoder, inputs, device=CPU), device=CPU)
        outcome[stop_gradient] = (result.history[-1], effective_rank(projections))
    assert outcome[False][0] < -0.96 and outcome[False][0] < outcome[True][0] - 0.01, outcome
    assert outcome[False][1] < 0.75 * outcome[True][1], outcome
