"""Evaluators of the ``lds`` dataset: a trained model against the Kalman filter of each sequence's own system,
shown in the report's "Against the Kalman filter" section (``KALMAN_SECTION``).

- ``lds_next_step``: when the trained objective has ``predict_next(x) -> (B, C, T−1)`` (predictions of
  x[:, :, t+1] for t < T−1), reports on the test split

      next_step_mse        = mean (x̂[t+1] − x[t+1])²
      kalman_next_step_mse = the same for the Kalman filter's ŷ[t+1|t] (the optimum, so ratio ≥ 1 in expectation)
      next_step_mse_ratio  = next_step_mse / kalman_next_step_mse

- ``lds_state_r2``: when the encoder ``provides_tokens`` with one token per time step, fits a ridge readout
  tokens → true hidden state on the training split, one per system (a state is only defined up to its own
  system's coordinates), and reports the pooled test R² = 1 − Σ‖x − x̂‖² / Σ‖x − x̄ₖ‖² (x̄ₖ the mean state of
  the sequence's system) as ``state_r2``, beside
  ``kalman_state_r2`` of the filtered estimates x̂[t|t]. A bidirectional encoder sees the future, so it may
  beat the (causal) filter.

The Kalman filter knows each sequence's system — the matrices the dataset stored with it (so any seed or
dimensions) — i.e. uses the label: only for the reference numbers.
Evaluators that do not apply (no ``predict_next``, no per-step tokens) return no metrics.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
import torch
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sslbench.ssl_models.data.base import SplitData
from sslbench.ssl_models.evaluate.registry import Column, EvaluationContext, ReportSection, evaluator
from sslbench.ssl_models.host_tensors import host_tensor
from sslbench.ssl_models.lds.dataset import SYSTEM_EXTRAS, systems_of_rows
from sslbench.ssl_models.lds.system import LinearGaussianSystem, kalman_filter

log = logging.getLogger(__name__)
RIDGE_ALPHA = 1.0
# One section for both evaluators' metrics, declared with lds_next_step (a job may report either or both).
KALMAN_SECTION = ReportSection(
    "Against the Kalman filter",
    "Next-step prediction: the model's one-step-ahead MSE of the observations beside the Kalman filter's "
    "optimal one-step prediction on the same test sequences (ratio ≥ 1 in expectation; 1 is optimal). Hidden "
    "state: R² of a linear readout of the encoder's per-step features fitted to the true hidden states, "
    "beside R² of the Kalman filter's own filtered estimate.",
    columns=(
        Column("next-step MSE", "next_step_mse", ".4f"),
        Column("Kalman MSE", "kalman_next_step_mse", ".4f"),
        Column("MSE / Kalman", "next_step_mse_ratio"),
        Column("state R²", "state_r2"),
        Column("Kalman state R²", "kalman_state_r2"),
    ),
    per="configuration",
)


def _device_of(module: torch.nn.Module) -> torch.device:
    parameter = next(module.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


@torch.no_grad()
def _batched(
    function: Callable[[torch.Tensor], torch.Tensor], module: torch.nn.Module, inputs: np.ndarray, batch_size: int = 256
) -> np.ndarray:
    """function(x) over ``inputs`` in batches, ``module`` in eval mode (its mode restored afterwards)."""
    device, was_training = _device_of(module), module.training
    module.eval()
    try:
        outputs = []
        for start in range(0, len(inputs), batch_size):
            batch = host_tensor(inputs[start : start + batch_size]).to(device)
            outputs.append(function(batch).float().cpu().numpy())
    finally:
        module.train(was_training)
    return np.concatenate(outputs)


def kalman_reference(observations: np.ndarray, systems: list[LinearGaussianSystem]) -> tuple[np.ndarray, np.ndarray]:
    """Filtered states (N, n, T) and one-step predictions ŷ[t|t−1] (N, p, T), each sequence with its own system.

    Sequences that share a system are filtered together (the gains do not depend on the data).
    """
    filtered = np.zeros((len(observations), systems[0].state_dim, observations.shape[2]))
    predicted = np.zeros(observations.shape)
    groups: dict[bytes, list[int]] = {}
    for row, system in enumerate(systems):
        groups.setdefault(_system_key(system), []).append(row)
    for rows in groups.values():
        filtered[rows], predicted[rows] = kalman_filter(systems[rows[0]], observations[rows])
    return filtered, predicted


def _system_key(system: LinearGaussianSystem) -> bytes:
    return b"".join(np.ascontiguousarray(getattr(system, field), dtype=np.float64).tobytes() for field in SYSTEM_EXTRAS)


def _test_systems(split: SplitData) -> list[LinearGaussianSystem]:
    """The generating system of every test sequence, from the matrices the dataset stored with it."""
    missing = [field for field in SYSTEM_EXTRAS if field not in split.extras]
    if missing:
        raise ValueError(
            f"dataset '{split.name}' names the lds evaluators but stores no {', '.join(missing)} "
            "per sequence (see ssl_models.lds.dataset)"
        )
    return systems_of_rows(split.extras, slice(len(split.train_index), None))


@evaluator("lds_next_step", sections=(KALMAN_SECTION,))
def lds_next_step(context: EvaluationContext) -> dict[str, float]:
    """Next-step MSE of the objective's ``predict_next`` vs the Kalman filter's, on the test split."""
    objective = context.objective
    predict_next = getattr(objective, "predict_next", None)
    if objective is None or predict_next is None:
        return {}
    observations = context.split.x_test
    predictions = _batched(predict_next, objective, observations)
    expected = (observations.shape[0], observations.shape[1], observations.shape[2] - 1)
    if predictions.shape != expected:
        raise ValueError(f"predict_next returned shape {predictions.shape}; expected (B, C, T−1) = {expected}")
    _, kalman = kalman_reference(observations.astype(np.float64), _test_systems(context.split))
    target = observations[:, :, 1:].astype(np.float64)
    model_mse = float(((predictions - target) ** 2).mean())
    kalman_mse = float(((kalman[:, :, 1:] - target) ** 2).mean())
    return {
        "next_step_mse": model_mse,
        "kalman_next_step_mse": kalman_mse,
        "next_step_mse_ratio": model_mse / kalman_mse,
    }


def ridge_readout(features: np.ndarray, targets: np.ndarray) -> Pipeline:
    """Standardise → ridge regression (α = ``RIDGE_ALPHA``) from per-step features to hidden states, fitted in
    float64. In float32 the normal equations of a random SSM's tokens had rcond 1.2e-7, float32's own ε: scipy
    warned (on the command line) and the solve kept no accurate digit in its weakest directions."""
    readout = make_pipeline(StandardScaler(), Ridge(alpha=RIDGE_ALPHA))
    return readout.fit(features.astype(np.float64), targets.astype(np.float64))


@evaluator("lds_state_r2", version=2)
def lds_state_r2(context: EvaluationContext) -> dict[str, float]:
    """Test R² of per-system ridge readouts from per-step tokens to hidden states, and the Kalman filter's."""
    encoder, split = context.encoder, context.split
    if encoder is None or not getattr(encoder, "provides_tokens", False):
        return {}
    train_tokens = _batched(encoder.tokens, encoder, split.x_train)
    length = split.x_train.shape[2]
    if train_tokens.shape[1] != length:
        log.info("lds_state_r2 skipped: encoder gives %d tokens for %d steps", train_tokens.shape[1], length)
        return {}
    test_tokens = _batched(encoder.tokens, encoder, split.x_test)
    train_states, test_states = split.extra_train("states"), split.extra_test("states")
    train_systems, test_systems = split.labels()
    readouts = np.zeros(test_states.shape)
    for system in np.unique(test_systems):
        train_rows, test_rows = train_systems == system, test_systems == system
        width = train_tokens.shape[2]
        readout = ridge_readout(train_tokens[train_rows].reshape(-1, width), _per_step(train_states[train_rows]))
        fitted = readout.predict(test_tokens[test_rows].reshape(-1, width).astype(np.float64))
        readouts[test_rows] = fitted.reshape(test_rows.sum(), length, -1).transpose(0, 2, 1)
    filtered, _ = kalman_reference(split.x_test.astype(np.float64), _test_systems(split))
    return {
        "state_r2": systemwise_r2(test_states, readouts, test_systems),
        "kalman_state_r2": systemwise_r2(test_states, filtered, test_systems),
    }


def _per_step(array: np.ndarray) -> np.ndarray:
    """(N, D, T) → (N·T, D), one row per time step."""
    return array.transpose(0, 2, 1).reshape(-1, array.shape[1])


def systemwise_r2(states: np.ndarray, estimates: np.ndarray, systems: np.ndarray) -> float:
    """R² = 1 − Σ‖x − x̂‖² / Σ‖x − x̄ₖ‖² over all test steps, x̄ₖ the mean state of the sequence's system k."""
    residual = total = 0.0
    for system in np.unique(systems):
        truth, estimate = _per_step(states[systems == system]), _per_step(estimates[systems == system])
        residual += float(((truth - estimate) ** 2).sum())
        total += float(((truth - truth.mean(axis=0)) ** 2).sum())
    return 1.0 - residual / total if total > 0 else float("nan")
