"""Probes, diagnostics and baselines on inputs whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import evaluate_embeddings
from sklearn.decomposition import PCA as SklearnPCA
from sslbench.ssl_models import data
from sslbench.ssl_models.baselines import PCA
from sslbench.ssl_models.evaluate import ProbeConfig, effective_rank, normalised_std


def test_effective_rank_of_isotropic_and_collapsed_embeddings() -> None:
    rng = np.random.default_rng(0)
    assert effective_rank(rng.standard_normal((4000, 8))) == pytest.approx(8, rel=0.05)
    line = np.outer(rng.standard_normal(500), rng.standard_normal(8))
    assert effective_rank(line) == pytest.approx(1.0, abs=1e-3)
    assert normalised_std(np.ones((100, 8)) + 1e-9 * rng.standard_normal((100, 8))) < 0.01
    assert normalised_std(np.ones((100, 8)) + 1e-9 * rng.standard_normal((100, 8)), centre=True) < 0.01


def test_a_shared_offset_is_directional_collapse_but_not_collapse_of_the_embedding() -> None:
    """Spread-out vectors far from the origin all point one way: SimSiam's uncentred std calls that collapse (right for
    a cosine loss); the embedding's own flag measures the spread around the mean, which a standardising probe sees."""
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 16)) * 3
    labels = rng.integers(0, 3, 400)
    offset = centres[labels] + rng.standard_normal((400, 16)) + 200.0
    assert normalised_std(offset) < 0.1
    assert normalised_std(offset, centre=True) > 0.8
    metrics = evaluate_embeddings(
        offset[:300],
        labels[:300],
        offset[300:],
        labels[300:],
        3,
        seed=0,
        config=ProbeConfig(linear_c_grid=(1.0,), cv_folds=2),
    )
    assert metrics["linear_acc"] > 0.95
    assert metrics["collapsed"] == metrics["embedding_collapsed"] == 0.0


def test_probes_separate_separable_classes_and_flag_no_collapse() -> None:
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 5)) * 10
    labels = rng.integers(0, 3, 300)
    points = centres[labels] + rng.standard_normal((300, 5))
    metrics = evaluate_embeddings(
        points[:200],
        labels[:200],
        points[200:],
        labels[200:],
        3,
        seed=0,
        config=ProbeConfig(linear_c_grid=(0.1, 1.0), cv_folds=3),
    )
    assert metrics["linear_acc"] == 1.0 and metrics["knn_acc"] == 1.0
    assert metrics["kmeans_nmi"] > 0.95 and metrics["collapsed"] == 0.0


def test_pca_baseline_matches_sklearn_up_to_sign() -> None:
    split = data.load("digits", seed=0)
    ours = PCA(5).fit(split.x_train).transform(split.x_test)
    theirs = (
        SklearnPCA(5)
        .fit(split.x_train.reshape(len(split.x_train), -1))
        .transform(split.x_test.reshape(len(split.x_test), -1))
    )
    assert np.allclose(np.abs(ours), np.abs(theirs), atol=1e-4)


def test_split_is_stratified_seeded_and_disjoint() -> None:
    first, again, other = data.load("mnist5k", 0), data.load("mnist5k", 0), data.load("mnist5k", 1)
    assert np.bincount(first.y_test).tolist() == [100] * 10
    assert np.array_equal(first.test_index, again.test_index)
    assert not np.array_equal(first.test_index, other.test_index)
    assert not set(first.train_index) & set(first.test_index)
    assert len(first.train_index) + len(first.test_index) == 5000


def test_a_collapsed_projector_flags_the_job_even_when_the_encoder_is_healthy() -> None:
    """SimSiam without stop-gradient collapses in the projector's output first; the job's flag must show it."""
    from sslbench.ssl_models.evaluate.collapse import projection_collapse

    torch.manual_seed(0)
    inputs = np.random.default_rng(0).standard_normal((200, 6)).astype(np.float32)
    encoder = torch.nn.Linear(6, 6)
    constant = torch.nn.Linear(6, 8)
    torch.nn.init.zeros_(constant.weight)
    torch.nn.init.ones_(constant.bias)
    embeddings = encoder(torch.from_numpy(inputs)).detach().numpy()
    collapsed = projection_collapse(constant, embeddings, encoder_rank=6.0, encoder_collapsed=0.0)
    assert collapsed["projection_collapsed"] == 1.0 and collapsed["collapsed"] == 1.0
    assert collapsed["projection_embedding_std"] < 1e-3
    healthy = projection_collapse(torch.nn.Linear(6, 8), embeddings, effective_rank(embeddings), 0.0)
    assert healthy["projection_collapsed"] == 0.0 and healthy["collapsed"] == 0.0
    assert healthy["projection_effective_rank"] > 4 and healthy["dimensional_collapse"] == 0.0


def test_a_projector_that_squeezes_the_embedding_into_one_direction_is_a_dimensional_collapse() -> None:
    """Output in a 2-d subspace plus tiny noise: no complete collapse (rank ≈ 2), but a third of the input's ≈ 6."""
    from sslbench.ssl_models.evaluate.collapse import projection_collapse

    torch.manual_seed(0)
    inputs = np.random.default_rng(1).standard_normal((300, 6)).astype(np.float32)
    squeeze = torch.nn.Linear(6, 32)
    with torch.no_grad():
        squeeze.weight.copy_(torch.randn(32, 2) @ torch.randn(2, 6) + 1e-3 * torch.randn(32, 6))
    flags = projection_collapse(squeeze, inputs, effective_rank(inputs), encoder_collapsed=0.0)
    assert flags["projection_collapsed"] == 0.0 and flags["projection_effective_rank"] > 1.5
    assert flags["projection_rank_ratio"] < 0.5 and flags["projection_rank_fraction"] < 0.1
    assert flags["dimensional_collapse"] == 1.0 and flags["collapsed"] == 1.0


def test_a_narrow_projector_on_a_rich_embedding_is_not_a_dimensional_collapse() -> None:
    """A 4-d projector cannot keep 6 effective dimensions, but filling its own 4 is healthy."""
    from sslbench.ssl_models.evaluate.collapse import projection_collapse

    torch.manual_seed(0)
    inputs = np.random.default_rng(2).standard_normal((300, 24)).astype(np.float32)
    flags = projection_collapse(torch.nn.Linear(24, 4), inputs, effective_rank(inputs), 0.0)
    assert flags["projection_rank_ratio"] < 0.5 and flags["projection_rank_fraction"] > 0.5
    assert flags["dimensional_collapse"] == 0.0 and flags["collapsed"] == 0.0


def test_objectives_with_a_projector_expose_it_and_reconstruction_objectives_do_not() -> None:
    from sslbench.ssl_models.encoders import build_encoder
    from sslbench.ssl_models.objectives import build_objective

    for name, has_head in [("simsiam", True), ("simclr", True), ("vicreg", True), ("autoencoder", False)]:
        objective = build_objective(name, build_encoder("mlp", (6,), 4))
        assert (objective.projection_head() is not None) == has_head, name


@pytest.mark.parametrize("n_train, n_features, k", [(50, 150, 64), (12, 30, 12), (5, 8, 64), (40, 20, 32)])
def test_pca_keeps_only_directions_the_training_data_spans(n_train: int, n_features: int, k: int) -> None:
    """Centred data of n examples has rank ≤ min(n − 1, d): no component beyond it (its direction is arbitrary and a
    standardising probe would blow its near-zero scale up), and the kept ones reproduce the training data exactly."""
    rng = np.random.default_rng(n_train)
    train = rng.standard_normal((n_train, n_features)).astype(np.float32)
    pca = PCA(k).fit(train)
    rank = min(n_train - 1, n_features, k)
    assert pca.components_.shape == (rank, n_features)
    assert pca.singular_values_.min() > 1e-6 * pca.singular_values_.max()
    if rank == min(n_train - 1, n_features):
        assert pca.reconstruction_error(train) < 1e-10


@pytest.mark.parametrize("dataset", ["gunpoint", "italy_power_demand"])
def test_pca_probe_with_fewer_training_examples_than_components_matches_raw(dataset: str) -> None:
    """GunPoint has 50 training series (ItalyPowerDemand 67 of 24 z-normalised steps, rank 23): with k = 64 the
    null direction made the whitened PCA probe score 0.467 (raw 0.907). Kept to the rank and read in input
    coordinates, the full-rank PCA reconstructs every training series exactly: within one test example (or half a
    point) of raw, the test series losing only their part outside the training span."""
    split = data.load(dataset, seed=0)
    config = ProbeConfig(linear_c_grid=(0.1, 1.0, 10.0), cv_folds=2, knn_neighbours=1)
    pca = PCA(64).fit(split.x_train)
    assert pca.components_.shape[0] == min(len(split.x_train) - 1, split.x_train.shape[-1] - 1)
    pca_metrics = evaluate_embeddings(
        pca.project(split.x_train), split.y_train, pca.project(split.x_test), split.y_test, split.n_classes, 0, config
    )
    raw = split.x_train.reshape(len(split.x_train), -1), split.x_test.reshape(len(split.x_test), -1)
    raw_metrics = evaluate_embeddings(raw[0], split.y_train, raw[1], split.y_test, split.n_classes, 0, config)
    one_example = max(1.0 / len(split.x_test), 0.005) + 1e-9
    for metric in ("linear_acc", "knn_acc"):
        assert pca_metrics[metric] >= raw_metrics[metric] - one_example, (
            metric,
            pca_metrics[metric],
            raw_metrics[metric],
        )


@pytest.mark.parametrize("n_train, n_features, n_classes", [(30, 90, 3), (12, 40, 2), (25, 25, 4)])
def test_full_rank_pca_baseline_gives_the_raw_input_linear_probe_exactly(
    n_train: int, n_features: int, n_classes: int
) -> None:
    """At k ≥ the training rank the PCA baseline's linear probe is the raw probe: its training features are the
    inputs, and its test projection removes only a part the probe's (standardised-space, representer-theorem)
    weights are blind to. Features of very unequal scales, where a PCA in the inputs' own metric differs."""
    from sslbench.ssl_models.baselines import BASELINES
    from sslbench.ssl_models.evaluate.probes import fit_linear_probe

    rng = np.random.default_rng(n_features)
    scales = np.exp(rng.uniform(-2.0, 2.0, n_features)).astype(np.float32)
    labels = np.arange(n_train) % n_classes
    train = (rng.standard_normal((n_train, n_features)) + labels[:, None]).astype(np.float32) * scales
    test = rng.standard_normal((40, n_features)).astype(np.float32) * scales
    pca_train, pca_test, extra = BASELINES.get("pca").features(train, test, 64, 0)
    assert extra["pca_n_components"] == min(n_train - 1, n_features)
    assert np.array_equal(pca_train, train)
    config = ProbeConfig(linear_c_grid=(1.0,), cv_folds=2)
    model, _ = fit_linear_probe(train, labels, config, 0)
    raw_scores, pca_scores = model.decision_function(test), model.decision_function(pca_test)
    assert np.allclose(raw_scores, pca_scores, atol=1e-4 * np.abs(raw_scores).max())
    unscaled = PCA(64).fit(train)
    assert not np.allclose(raw_scores, model.decision_function(unscaled.project(test)), atol=1e-2)


def test_standardised_pca_is_the_pca_of_the_z_scores() -> None:
    """``fit(x, scale=σ)`` spans the same subspace as a plain PCA of (x − μ) / σ, and ``project`` maps back."""
    rng = np.random.default_rng(7)
    train = (rng.standard_normal((60, 9)) * np.arange(1, 10)).astype(np.float32)
    sigma = train.std(axis=0)
    scaled = PCA(4).fit(train, scale=sigma)
    plain = PCA(4).fit((train - train.mean(axis=0)) / sigma)
    assert np.allclose(np.abs(scaled.components_ @ plain.components_.T), np.eye(4), atol=1e-5)
    z = (train - train.mean(axis=0)) / sigma
    assert np.allclose(scaled.project(train), train.mean(axis=0) + sigma * plain.project(z), atol=1e-4)
    assert scaled.reconstruction_error(train) == pytest.approx(plain.reconstruction_error(z), rel=1e-6)


def test_pca_projection_has_the_coordinates_geometry() -> None:
    """project − μ = transform · V_kᵀ: same centred Gram matrix and effective rank, d columns; exact on train."""
    rng = np.random.default_rng(3)
    train, test = rng.standard_normal((30, 12)).astype(np.float32), rng.standard_normal((7, 12)).astype(np.float32)
    pca = PCA(5).fit(train)
    coordinates, projected = pca.transform(test), pca.project(test) - pca.mean_
    assert projected.shape == (7, 12)
    assert np.allclose(PCA(12).fit(train).project(train), train, atol=1e-5)
    assert np.allclose(coordinates @ coordinates.T, projected @ projected.T, atol=1e-4)
    assert effective_rank(coordinates) == pytest.approx(effective_rank(projected), rel=1e-4)


def test_a_probe_stopped_at_max_iter_is_flagged_and_warns_nothing() -> None:
    import warnings

    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 40)
    embeddings = (rng.standard_normal((120, 50)) + labels[:, None]).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stopped = evaluate_embeddings(embeddings, labels, embeddings, labels, 3, 0, ProbeConfig(max_iter=2))
        converged = evaluate_embeddings(embeddings, labels, embeddings, labels, 3, 0, ProbeConfig())
    assert stopped["linear_converged"] == 0.0
    assert converged["linear_converged"] == 1.0
