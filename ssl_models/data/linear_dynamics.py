"""Sequences from four random stable linear dynamical systems; the label says which system made a sequence.

Each system (``lds_systems()``, deterministic) has a 4-d hidden state and 2-d observations of stationary
variance 1 (see ``ssl_models.lds``); 500 stationary sequences of 96 steps per system give inputs (2000, 2, 96)
float32 and ``extras["states"]``, the true hidden states (2000, 4, 96). Observations are not normalised, so
the Kalman filter's predictions stay comparable with a model's. Split: stratified 80/20 by system.

Evaluators ``lds_next_step`` and ``lds_state_r2`` (``ssl_models.evaluate.lds``) compare a trained model with
the Kalman filter of each sequence's own system.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ssl_models.data.base import RawDataset
from ssl_models.data.registry import register_dataset
from ssl_models.lds import LinearGaussianSystem, random_stable_system, simulate

N_SYSTEMS = 4
STATE_DIM = 4
OBSERVATION_DIM = 2
SEQUENCE_LENGTH = 96
SEQUENCES_PER_SYSTEM = 500
SEED = 0


@lru_cache(maxsize=None)
def lds_systems(n_systems: int = N_SYSTEMS, seed: int = SEED) -> tuple[LinearGaussianSystem, ...]:
    """The dataset's systems, system k generated from seed (seed, k): recomputable anywhere."""
    return tuple(random_stable_system(np.random.default_rng([seed, k]), STATE_DIM, OBSERVATION_DIM)
                 for k in range(n_systems))


def load_lds(sequences_per_system: int = SEQUENCES_PER_SYSTEM, length: int = SEQUENCE_LENGTH,
             seed: int = SEED) -> RawDataset:
    """``sequences_per_system`` sequences of ``length`` steps from each of ``lds_systems(seed=seed)``."""
    observations, states, labels = [], [], []
    for label, system in enumerate(lds_systems(seed=seed)):
        hidden, observed = simulate(system, sequences_per_system, length, np.random.default_rng([seed, label, 1]))
        states.append(hidden)
        observations.append(observed)
        labels.append(np.full(sequences_per_system, label, dtype=np.int64))
    return RawDataset(
        "lds", "sequence", np.concatenate(observations).astype(np.float32), np.concatenate(labels),
        class_names=tuple(f"system {k}" for k in range(N_SYSTEMS)),
        extras={"states": np.concatenate(states).astype(np.float32)},
        evaluators=("lds_next_step", "lds_state_r2"),
    )


@register_dataset("lds", modality="sequence")
def load_lds_default() -> RawDataset:
    """2000 sequences (4 systems × 500) of 96 steps, with their hidden states.

    500 per system rather than fewer: with 250, a causal SSM's training loss fell below the Kalman optimum while
    its test error stayed 7 % above it (overfitting), so the benchmark measured the sample size, not the model.
    """
    return load_lds()
