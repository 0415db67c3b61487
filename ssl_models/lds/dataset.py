"""Sequences from random stable linear dynamical systems; the label says which system made a sequence.

``lds`` (the default) has four systems with a 4-d hidden state and 2-d observations of stationary variance 1 (see
``ssl_models.lds.system``); 500 stationary sequences of 96 steps per system give inputs (2000, 2, 96) float32
and ``extras["states"]``, the true hidden states (2000, 4, 96). Other systems are one name away:
``lds:KEY=VALUE,...`` with keys ``state_dim``, ``observation_dim``, ``n_systems``, ``seed``, ``sequences_per_system``
and ``length``
(e.g. ``lds:state_dim=6,observation_dim=3``). Observations are not normalised, so the Kalman filter's
predictions stay comparable with a model's. Split: stratified 80/20 by system.

Every sequence carries the matrices of its own system in ``extras`` (``transition`` (N, n, n), ``emission``
(N, p, n), ``process_noise`` (N, n, n), ``observation_noise`` (N, p, p)), so the evaluators ``lds_next_step`` and
``lds_state_r2`` (``ssl_models.lds.evaluate``) compare a trained model with the Kalman filter of exactly the
systems that generated the data, whatever their seed or dimensions.
"""

from __future__ import annotations

import inspect
from functools import cache

import numpy as np
from sslbench.ssl_models.data.base import RawDataset
from sslbench.ssl_models.data.registry import register_dataset, register_dataset_family
from sslbench.ssl_models.lds.system import LinearGaussianSystem, random_stable_system, simulate
from sslbench.ssl_models.registry import UnknownNameError

N_SYSTEMS = 4
STATE_DIM = 4
OBSERVATION_DIM = 2
SEQUENCE_LENGTH = 96
SEQUENCES_PER_SYSTEM = 500
SEED = 0
SYSTEM_EXTRAS = ("transition", "emission", "process_noise", "observation_noise")


@cache
def lds_systems(
    n_systems: int = N_SYSTEMS, seed: int = SEED, state_dim: int = STATE_DIM, observation_dim: int = OBSERVATION_DIM
) -> tuple[LinearGaussianSystem, ...]:
    """The dataset's systems, system k generated from seed (seed, k): recomputable anywhere."""
    return tuple(
        random_stable_system(np.random.default_rng([seed, k]), state_dim, observation_dim) for k in range(n_systems)
    )


def load_lds(
    sequences_per_system: int = SEQUENCES_PER_SYSTEM,
    length: int = SEQUENCE_LENGTH,
    seed: int = SEED,
    state_dim: int = STATE_DIM,
    observation_dim: int = OBSERVATION_DIM,
    n_systems: int = N_SYSTEMS,
    name: str = "lds",
) -> RawDataset:
    """``sequences_per_system`` sequences of ``length`` steps from each of ``lds_systems(n_systems, seed, ...)``."""
    for key, value, least in (
        ("sequences_per_system", sequences_per_system, 1),
        ("length", length, 2),
        ("state_dim", state_dim, 1),
        ("observation_dim", observation_dim, 1),
        ("n_systems", n_systems, 1),
        ("seed", seed, 0),
    ):
        if not isinstance(value, (int, np.integer)) or value < least:
            raise ValueError(f"dataset '{name}': {key} must be an integer ≥ {least}, got {value!r}")
    observations, states, labels = [], [], []
    systems = lds_systems(n_systems, seed, state_dim, observation_dim)
    for label, system in enumerate(systems):
        hidden, observed = simulate(system, sequences_per_system, length, np.random.default_rng([seed, label, 1]))
        states.append(hidden)
        observations.append(observed)
        labels.append(np.full(sequences_per_system, label, dtype=np.int64))
    label_array = np.concatenate(labels)
    extras = {"states": np.concatenate(states).astype(np.float32)}
    for field in SYSTEM_EXTRAS:
        extras[field] = np.stack([getattr(system, field) for system in systems])[label_array]
    return RawDataset(
        name,
        "sequence",
        np.concatenate(observations).astype(np.float32),
        label_array,
        class_names=tuple(f"system {k}" for k in range(n_systems)),
        extras=extras,
        evaluators=("lds_next_step", "lds_state_r2"),
    )


def systems_of_rows(extras: dict[str, np.ndarray], rows: slice | np.ndarray) -> list[LinearGaussianSystem]:
    """The system of each selected row, rebuilt from the matrices the dataset stored with it."""
    fields = [extras[field][rows] for field in SYSTEM_EXTRAS]
    return [LinearGaussianSystem(*matrices) for matrices in zip(*fields)]


@register_dataset("lds", modality="sequence")
def load_lds_default() -> RawDataset:
    """2000 sequences (4 systems × 500) of 96 steps, with their hidden states.

    500 per system rather than fewer: with 250, a causal SSM's training loss fell below the Kalman optimum while
    its test error stayed 7 % above it (overfitting), so the benchmark measured the sample size, not the model.
    """
    return load_lds()


_PARAMETERS = tuple(p for p in inspect.signature(load_lds).parameters if p != "name")


@register_dataset_family("lds", modality="sequence", argument="KEY=VALUE,...")
def lds_family(argument: str):  # noqa: ANN201  (a DatasetLoader)
    """``lds:state_dim=6,observation_dim=3`` → a loader of those systems (other keys keep their defaults)."""
    options: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in argument.split(","))):
        key, equals, value = item.partition("=")
        if not equals or key not in _PARAMETERS:
            raise UnknownNameError(
                f"unknown dataset 'lds:{argument}': expected KEY=VALUE pairs with keys "
                f"{', '.join(_PARAMETERS)} (e.g. lds:state_dim=6,observation_dim=3)"
            )
        try:
            options[key] = int(value)
        except ValueError:
            raise UnknownNameError(f"dataset 'lds:{argument}': {key} must be an integer, got '{value}'") from None

    def loader() -> RawDataset:
        return load_lds(**options, name=f"lds:{argument}")

    return loader
