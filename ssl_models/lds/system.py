"""Linear-Gaussian state-space models and their Kalman filter (Kalman 1960).

    x[t+1] = A x[t] + w[t],   w ~ N(0, Q)
    y[t]   = C x[t] + v[t],   v ~ N(0, R),   x[0] ~ N(0, P∞) with P∞ = A P∞ Aᵀ + Q (stationary)

The filter gives the optimal (minimum mean-squared error) one-step prediction ŷ[t+1|t] = C A x̂[t|t] and the
filtered state x̂[t|t] = E[x[t] | y[0..t]]:

    predict: x̂[t|t−1] = A x̂[t−1|t−1],   P[t|t−1] = A P[t−1|t−1] Aᵀ + Q
    update:  K = P[t|t−1] Cᵀ (C P[t|t−1] Cᵀ + R)⁻¹,   x̂[t|t] = x̂[t|t−1] + K (y[t] − C x̂[t|t−1]),
             P[t|t] = (I − K C) P[t|t−1]

Example::

    system = random_stable_system(np.random.default_rng(0))
    states, observations = simulate(system, n_sequences=8, length=64, rng=np.random.default_rng(1))
    filtered, predicted = kalman_filter(system, observations)   # predicted[:, :, t] = ŷ[t | t−1]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import solve_discrete_lyapunov


@dataclass(frozen=True)
class LinearGaussianSystem:
    """System matrices A (n, n), C (p, n), Q (n, n) and R (p, p)."""

    transition: np.ndarray
    emission: np.ndarray
    process_noise: np.ndarray
    observation_noise: np.ndarray

    @property
    def state_dim(self) -> int:
        """n, the hidden state's dimension."""
        return self.transition.shape[0]

    @property
    def observation_dim(self) -> int:
        """p, the observation's dimension."""
        return self.emission.shape[0]

    @property
    def stationary_covariance(self) -> np.ndarray:
        """P∞ solving P = A P Aᵀ + Q."""
        return solve_discrete_lyapunov(self.transition, self.process_noise)

    @property
    def spectral_radius(self) -> float:
        """max |eig(A)|; below 1 for a stable system."""
        return float(np.abs(np.linalg.eigvals(self.transition)).max())


def random_stable_system(
    rng: np.random.Generator,
    state_dim: int = 4,
    observation_dim: int = 2,
    radius_range: tuple[float, float] = (0.8, 0.97),
    process_std: float = 0.3,
    observation_std: float = 0.3,
) -> LinearGaussianSystem:
    """A random oscillating stable system, scaled so each observation channel has stationary variance 1.

    A = U blockdiag(rₖ R(θₖ)) Uᵀ with U random orthogonal, radii rₖ in ``radius_range``, angles θₖ in (0.05, π/2)
    (a real eigenvalue fills an odd dimension); Q = process_std² I, R = observation_std² I; the rows of C are
    scaled so diag(C P∞ Cᵀ + R) = 1.
    """
    if not 0 < radius_range[0] <= radius_range[1] < 1:
        raise ValueError(f"radius_range must lie in (0, 1) for a stable system, got {radius_range}")
    if not 0 <= observation_std < 1:
        raise ValueError(
            f"observation_std must be in [0, 1) (observations are scaled to variance 1), got {observation_std}"
        )
    blocks = np.zeros((state_dim, state_dim))
    for start in range(0, state_dim - 1, 2):
        radius, angle = rng.uniform(*radius_range), rng.uniform(0.05, np.pi / 2)
        blocks[start : start + 2, start : start + 2] = radius * np.array(
            [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
        )
    if state_dim % 2:
        blocks[-1, -1] = rng.uniform(*radius_range)
    rotation, _ = np.linalg.qr(rng.standard_normal((state_dim, state_dim)))
    transition = rotation @ blocks @ rotation.T
    process_noise = process_std**2 * np.eye(state_dim)
    observation_noise = observation_std**2 * np.eye(observation_dim)
    emission = rng.standard_normal((observation_dim, state_dim))
    stationary = solve_discrete_lyapunov(transition, process_noise)
    signal_variance = np.einsum("pi,ij,pj->p", emission, stationary, emission)
    emission *= np.sqrt((1 - observation_std**2) / signal_variance)[:, None]
    return LinearGaussianSystem(transition, emission, process_noise, observation_noise)


def simulate(
    system: LinearGaussianSystem, n_sequences: int, length: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Stationary trajectories: hidden states (N, n, T) and observations (N, p, T), float64."""
    n, p = system.state_dim, system.observation_dim
    states = np.zeros((n_sequences, n, length))
    state = rng.multivariate_normal(np.zeros(n), system.stationary_covariance, size=n_sequences)
    process = rng.multivariate_normal(np.zeros(n), system.process_noise, size=(n_sequences, length))
    for t in range(length):
        states[:, :, t] = state
        state = state @ system.transition.T + process[:, t]
    noise = rng.multivariate_normal(np.zeros(p), system.observation_noise, size=(n_sequences, length))
    observations = np.einsum("pn,bnt->bpt", system.emission, states) + noise.transpose(0, 2, 1)
    return states, observations


def kalman_filter(system: LinearGaussianSystem, observations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Filtered states x̂[t|t] (N, n, T) and one-step predictions ŷ[t|t−1] (N, p, T) for observations (N, p, T).

    The prior is the stationary one, x[0] ~ N(0, P∞), so ŷ[0|−1] = 0. The gains do not depend on the data,
    so one pass serves the whole batch.
    """
    observations = np.asarray(observations, dtype=np.float64)
    n_sequences, _, length = observations.shape
    A, C, Q, R = system.transition, system.emission, system.process_noise, system.observation_noise
    predicted_state = np.zeros((n_sequences, system.state_dim))
    covariance = system.stationary_covariance
    filtered = np.zeros((n_sequences, system.state_dim, length))
    predictions = np.zeros_like(observations)
    identity = np.eye(system.state_dim)
    for t in range(length):
        predictions[:, :, t] = predicted_state @ C.T
        gain = covariance @ C.T @ np.linalg.inv(C @ covariance @ C.T + R)
        state = predicted_state + (observations[:, :, t] - predictions[:, :, t]) @ gain.T
        filtered[:, :, t] = state
        covariance = (identity - gain @ C) @ covariance
        predicted_state = state @ A.T
        covariance = A @ covariance @ A.T + Q
    return filtered, predictions
