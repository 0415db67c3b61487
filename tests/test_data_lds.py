"""The linear-dynamical-system dataset, the Kalman filter, and the two lds evaluators."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sslbench.ssl_models import data
from sslbench.ssl_models.evaluate.registry import EVALUATORS, EvaluationContext
from sslbench.ssl_models.lds.dataset import lds_systems, load_lds
from sslbench.ssl_models.lds.system import LinearGaussianSystem, kalman_filter, random_stable_system, simulate
from torch import nn


def test_lds_dataset_shapes_labels_and_hidden_states_follow_the_split() -> None:
    raw = data.DATASETS.get("lds")()
    assert raw.modality == "sequence" and raw.inputs.shape == (2000, 2, 96) and raw.inputs.dtype == np.float32
    assert np.bincount(raw.labels).tolist() == [500] * 4
    assert raw.extras["states"].shape == (2000, 4, 96)
    assert raw.evaluators == ("lds_next_step", "lds_state_r2")
    assert np.allclose(raw.inputs.var(axis=(0, 2)), 1.0, atol=0.1)
    split = data.split_dataset(raw, seed=0)
    assert np.array_equal(split.extra_train("states"), raw.extras["states"][split.train_index])
    assert np.array_equal(split.extra_test("states"), raw.extras["states"][split.test_index])


def test_systems_are_stable_distinct_and_recomputable() -> None:
    systems = lds_systems()
    assert all(system.spectral_radius < 1 for system in systems)
    assert not np.allclose(systems[0].transition, systems[1].transition)
    fresh = random_stable_system(np.random.default_rng([0, 2]), 4, 2)
    assert np.array_equal(fresh.transition, systems[2].transition) and np.array_equal(
        fresh.emission, systems[2].emission
    )


def test_kalman_one_step_prediction_beats_naive_predictors() -> None:
    system = lds_systems()[1]
    states, observations = simulate(system, 200, 64, np.random.default_rng(5))
    filtered, predicted = kalman_filter(system, observations)
    target = observations[:, :, 1:]
    kalman = ((predicted[:, :, 1:] - target) ** 2).mean()
    persistence = ((observations[:, :, :-1] - target) ** 2).mean()
    assert kalman < 0.8 * persistence and kalman < 0.8 * (target**2).mean()
    assert ((filtered - states) ** 2).mean() < 0.5 * states.var()


def brute_force(system: LinearGaussianSystem, observations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """E[y_t | y_<t] and E[x_t | y_≤t] by conditioning the joint Gaussian of one stationary sequence."""
    A, C, R = system.transition, system.emission, system.observation_noise
    stationary = system.stationary_covariance
    length, p = observations.shape[1], system.observation_dim
    power = lambda k: np.linalg.matrix_power(A, k)  # noqa: E731
    cov_xy = lambda t, s: power(t - s) @ stationary @ C.T if t >= s else stationary @ power(s - t).T @ C.T  # noqa: E731
    joint = np.block([[C @ cov_xy(t, s) + (R if t == s else 0) for s in range(length)] for t in range(length)])
    y = observations.T.reshape(-1)
    predictions, filtered = np.zeros((p, length)), np.zeros((system.state_dim, length))
    for t in range(length):
        past = slice(0, t * p)
        if t:
            predictions[:, t] = joint[t * p : (t + 1) * p, past] @ np.linalg.solve(joint[past, past], y[past])
        upto = slice(0, (t + 1) * p)
        cross = np.hstack([cov_xy(t, s) for s in range(t + 1)])
        filtered[:, t] = cross @ np.linalg.solve(joint[upto, upto], y[upto])
    return predictions, filtered


def test_kalman_filter_matches_gaussian_conditioning_on_a_tiny_system() -> None:
    system = random_stable_system(np.random.default_rng(3), state_dim=2, observation_dim=1)
    _, observations = simulate(system, 3, 5, np.random.default_rng(4))
    filtered, predicted = kalman_filter(system, observations)
    for sequence in range(3):
        expected_predictions, expected_filtered = brute_force(system, observations[sequence])
        assert np.allclose(predicted[sequence], expected_predictions, atol=1e-8)
        assert np.allclose(filtered[sequence], expected_filtered, atol=1e-8)


class KalmanObjective(nn.Module):
    """An 'objective' whose predict_next is the Kalman filter of each test sequence's true system (or persistence).

    Batches arrive in test order, so ``systems[offset:offset + B]`` are the batch's systems.
    """

    def __init__(self, systems: list[LinearGaussianSystem] | None) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))
        self.systems, self.offset = systems, 0

    def predict_next(self, inputs: torch.Tensor) -> torch.Tensor:
        if self.systems is None:
            return inputs[:, :, :-1]
        observations = inputs.numpy().astype(np.float64)
        predictions = np.zeros(inputs.shape)
        for row, system in enumerate(self.systems[self.offset : self.offset + len(inputs)]):
            predictions[row] = kalman_filter(system, observations[row : row + 1])[1][0]
        self.offset += len(inputs)
        return torch.from_numpy(predictions[:, :, 1:])


def true_test_systems(split: data.SplitData, seed: int = 0, **dims: int) -> list[LinearGaussianSystem]:
    """The systems that generated the test sequences, regenerated from the dataset's seed and dimensions."""
    catalogue = lds_systems(int(split.n_classes), seed, dims.get("state_dim", 4), dims.get("observation_dim", 2))
    return [catalogue[label] for label in split.y_test]


class LaggedEncoder(nn.Module):
    """Per-step tokens (B, T, 2·L): the last L observations, zero before the start."""

    provides_tokens = True

    def __init__(self, lags: int = 8) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))
        self.lags = lags

    def tokens(self, inputs: torch.Tensor) -> torch.Tensor:
        padded = torch.nn.functional.pad(inputs, (self.lags - 1, 0))
        return torch.cat([padded[:, :, lag : lag + inputs.shape[2]] for lag in range(self.lags)], dim=1).transpose(1, 2)


@pytest.fixture(scope="module")
def small_split() -> data.SplitData:
    return data.split_dataset(load_lds(sequences_per_system=40, length=48), seed=0)


def test_next_step_evaluator_reports_the_ratio_to_the_kalman_optimum(small_split: data.SplitData) -> None:
    run = lambda objective: EVALUATORS.get("lds_next_step")(  # noqa: E731
        EvaluationContext(small_split, 0, np.zeros(1), np.zeros(1), objective=objective)
    )
    optimal = run(KalmanObjective(true_test_systems(small_split)))
    assert optimal["next_step_mse_ratio"] == pytest.approx(1.0, abs=1e-5)
    assert optimal["next_step_mse"] == pytest.approx(optimal["kalman_next_step_mse"], rel=1e-5)
    naive = run(KalmanObjective(None))
    assert naive["next_step_mse_ratio"] > 1.2
    assert run(nn.Linear(1, 1)) == {}


def test_state_r2_evaluator_reads_states_from_tokens_beside_the_filter(small_split: data.SplitData) -> None:
    context = EvaluationContext(small_split, 0, np.zeros(1), np.zeros(1), encoder=LaggedEncoder())
    metrics = {k: v for name in small_split.evaluators for k, v in EVALUATORS.get(name)(context).items()}
    assert set(metrics) == {"state_r2", "kalman_state_r2"}
    assert 0.5 < metrics["kalman_state_r2"] < 1.0
    assert 0.3 < metrics["state_r2"] <= metrics["kalman_state_r2"] + 0.05
    no_tokens = EvaluationContext(small_split, 0, np.zeros(1), np.zeros(1), encoder=nn.Linear(1, 1))
    assert EVALUATORS.get("lds_state_r2")(no_tokens) == {}


@pytest.mark.parametrize(
    "state_dim, observation_dim, n_systems, seed", [(6, 3, 4, 0), (3, 1, 2, 7), (2, 4, 3, 11), (4, 2, 4, 5)]
)
def test_an_oracle_scores_exactly_the_kalman_optimum_for_any_systems(
    state_dim: int, observation_dim: int, n_systems: int, seed: int
) -> None:
    """The evaluators filter with the dataset's own systems: the true Kalman predictions score ratio 1 (1e-6) and
    the filtered states give exactly kalman_state_r2, for other dimensions, system counts and seeds."""
    name = (
        f"lds:state_dim={state_dim},observation_dim={observation_dim},n_systems={n_systems},seed={seed},"
        "sequences_per_system=30,length=24"
    )
    split = data.load(name, seed=1)
    assert split.x_train.shape[1:] == (observation_dim, 24) and split.extra_train("states").shape[1] == state_dim
    systems = true_test_systems(split, seed, state_dim=state_dim, observation_dim=observation_dim)
    context = EvaluationContext(split, 0, np.zeros(1), np.zeros(1), objective=KalmanObjective(systems))
    metrics = EVALUATORS.get("lds_next_step")(context)
    assert metrics["next_step_mse_ratio"] == pytest.approx(1.0, abs=1e-6)
    filtered = np.stack(
        [
            kalman_filter(system, split.x_test[row : row + 1].astype(np.float64))[0][0]
            for row, system in enumerate(systems)
        ]
    )
    from sslbench.ssl_models.lds.evaluate import lds_state_r2, systemwise_r2

    r2 = lds_state_r2(EvaluationContext(split, 0, np.zeros(1), np.zeros(1), encoder=LaggedEncoder()))
    assert r2["kalman_state_r2"] == pytest.approx(
        systemwise_r2(split.extra_test("states"), filtered, split.y_test), abs=1e-9
    )
    assert 0.0 < r2["kalman_state_r2"] < 1.0


def test_lds_family_refuses_unknown_keys_and_values() -> None:
    from sslbench.ssl_models.registry import UnknownNameError

    with pytest.raises(UnknownNameError, match="keys sequences_per_system, length, seed, state_dim"):
        data.DATASETS.get("lds:state=6")
    with pytest.raises(UnknownNameError, match="must be an integer"):
        data.DATASETS.get("lds:state_dim=six")
    with pytest.raises(ValueError, match="state_dim must be an integer ≥ 1"):
        data.DATASETS.get("lds:state_dim=0")()


def test_state_readout_is_solved_in_float64_without_a_warning_on_nearly_collinear_tokens() -> None:
    """Nearly collinear float32 features (as a random SSM's tokens; fitted in float32 these give scipy's
    LinAlgWarning, rcond 3e-9): no warning, and the ridge solution equals the float64 normal-equations solution of
    the standardised problem."""
    import warnings

    from sslbench.ssl_models.lds.evaluate import RIDGE_ALPHA, ridge_readout

    rng = np.random.default_rng(3)
    rows, width = 200_000, 64
    base = rng.normal(size=(rows, 1))
    features = (base + 1e-3 * rng.normal(size=(rows, width))).astype(np.float32)
    targets = (features[:, :3] @ rng.normal(size=(3, 2)) + 0.1 * rng.normal(size=(rows, 2))).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        readout = ridge_readout(features, targets)
    x = features.astype(np.float64)
    z = (x - x.mean(0)) / x.std(0)
    y = targets.astype(np.float64) - targets.astype(np.float64).mean(0)
    weights = np.linalg.solve(z.T @ z + RIDGE_ALPHA * np.eye(z.shape[1]), z.T @ y)
    np.testing.assert_allclose(readout[-1].coef_.T, weights, rtol=1e-6, atol=1e-8)
