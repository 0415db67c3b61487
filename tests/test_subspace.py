"""Principal angles, and the Eckart–Young–Mirsky check: a trained linear autoencoder spans the PCA subspace."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sslbench.ssl_models import data
from sslbench.ssl_models.encoders import build_encoder
from sslbench.ssl_models.evaluate.subspace import linear_autoencoder_vs_pca, principal_angles
from sslbench.ssl_models.objectives import build_objective
from sslbench.ssl_models.train import TrainConfig, pretrain


def test_principal_angles_of_known_subspaces() -> None:
    e = np.eye(4)
    tilted = np.array([[np.cos(np.pi / 6), 0, np.sin(np.pi / 6), 0], [0, 1, 0, 0]])
    assert np.allclose(principal_angles(e[:2], tilted), [0.0, 30.0])
    assert np.allclose(principal_angles(e[:2], 3 * e[1::-1]), [0.0, 0.0], atol=1e-6)
    assert np.allclose(principal_angles(e[:1], e[1:3]), [90.0])
    with pytest.raises(ValueError, match="different spaces"):
        principal_angles(e[:2], np.eye(3))


def test_linear_autoencoder_spans_pca_subspace() -> None:
    split = data.load("digits", seed=0)
    # the biases make centring immaterial to the optimum, but the mean direction dominates the uncentred second
    # moment (‖mean‖² ≈ 15 × the top variance) and slows Adam down: 2–15° after 200 epochs uncentred, < 1° after 60
    inputs = split.x_train - split.x_train.mean(axis=0, keepdims=True)
    k = 8
    torch.manual_seed(0)
    encoder = build_encoder("linear", split.sample_shape, embedding_dim=k)
    untrained = linear_autoencoder_vs_pca(encoder, inputs, k)
    objective = build_objective("autoencoder", encoder, {"decoder": "linear"})
    pretrain(
        objective,
        inputs,
        TrainConfig(epochs=60, batch_size=128, learning_rate=3e-2, weight_decay=0.0),
        seed=0,
        device=torch.device("cpu"),
    )
    check = linear_autoencoder_vs_pca(encoder, inputs, k)
    assert untrained["pca_max_angle_deg"] > 20.0
    assert check["pca_max_angle_deg"] < 2.0, check  # 0.4–0.6° over seeds 0–3
    assert check["pca_optimal_mse"] <= check["reconstruction_mse"] < 1.001 * check["pca_optimal_mse"], check


def test_subspace_check_refuses_a_nonlinear_encoder() -> None:
    encoder = build_encoder("mlp", (1, 8, 8), embedding_dim=4, options={"hidden_dim": 16})
    with pytest.raises(ValueError, match="not affine"):
        linear_autoencoder_vs_pca(encoder, np.random.default_rng(0).random((32, 1, 8, 8), dtype=np.float32), 4)


class _Affine(torch.nn.Module):
    """z = W x (flattened), a stand-in for a trained linear encoder with a chosen row space."""

    def __init__(self, weight: np.ndarray, sample_shape: tuple[int, ...]) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(weight.shape[1], weight.shape[0], bias=False)
        self.linear.weight.data = torch.tensor(weight, dtype=torch.float32)
        self.sample_shape = sample_shape

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.linear(inputs.reshape(len(inputs), -1))


@pytest.mark.parametrize("tilt", [5.0, 20.0, 45.0])
@pytest.mark.parametrize("dataset, k", [("digits", 8), ("digits", 3)])
def test_subspace_angle_reads_a_known_tilt(dataset: str, k: int, tilt: float) -> None:
    """Rows of W tilted by θ from the top-k principal directions towards lower-variance ones read exactly θ,
    and a component along a direction without variance (absorbed by the decoder's bias) changes nothing."""
    from sslbench.ssl_models.baselines import PCA

    inputs = data.load(dataset, seed=1).x_train
    pca = PCA(inputs[0].size).fit(inputs)
    top, lower = pca.basis_[:k], pca.basis_[k : 2 * k]
    radians = np.radians(tilt)
    weight = np.cos(radians) * top + np.sin(radians) * lower
    weight = np.random.default_rng(0).standard_normal((k, k)) @ weight  # any invertible mix: same row space
    constant = np.flatnonzero(inputs.reshape(len(inputs), -1).std(axis=0) == 0)
    weight[:, constant] += 5.0  # pixels that never vary
    check = linear_autoencoder_vs_pca(_Affine(weight, inputs.shape[1:]), inputs, k)
    assert check["pca_max_angle_deg"] == pytest.approx(tilt, abs=0.05)
