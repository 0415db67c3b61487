"""Settings of pretraining and of the probes: plain frozen dataclasses, importable without torch or scikit-learn
(suite parsing and the command line read them; ``ssl_models.train`` and ``ssl_models.evaluate.probes`` use them).
"""

from __future__ import annotations

from dataclasses import dataclass

PRECISIONS = ("float32", "bfloat16")


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation budget and hyperparameters of one pretraining job."""

    epochs: int = 10
    batch_size: int = 256
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    cosine_schedule: bool = True
    # "bfloat16": the loss's forward under bf16 autocast (1.6× faster on CPUs with bf16 units, but results are
    # no longer bit-identical to float32 ones), opt-in.
    precision: str = "float32"
    # A budget in optimiser steps instead of epochs (TS2Vec's protocol: 200, or 600 for sets of over 100 000 values).
    iterations: int | None = None
    large_set_iterations: int | None = None

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "iterations", "large_set_iterations"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"train.{name} must be an integer of at least 1, got {value!r}")
        if self.large_set_iterations is not None and self.iterations is None:
            raise ValueError("train.large_set_iterations needs train.iterations (the budget of smaller sets)")
        if self.learning_rate <= 0:
            raise ValueError(f"train.learning_rate must be positive, got {self.learning_rate}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"train.precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")


@dataclass(frozen=True)
class ProbeConfig:
    """Probe hyperparameters; ``linear_c_grid`` is searched by CV on train (a single value skips the search).

    ``validation_fraction`` of the training split is its validation part (selection happens there).
    ``label_fractions`` and ``label_draws``: the linear and kNN probes, and the supervised baseline, are also
    trained on each fraction < 1 of the training labels, ``label_draws`` seeded stratified draws each
    (``ssl_models.data.label_subsets``); the default, 100 % only, adds nothing.
    """

    linear_c_grid: tuple[float, ...] = (0.01, 0.1, 1.0)
    cv_folds: int = 3
    max_iter: int = 1000
    knn_neighbours: int = 5
    kmeans_restarts: int = 10
    unlabelled_clusters: int = 10
    validation_fraction: float = 0.2
    label_fractions: tuple[float, ...] = (1.0,)
    label_draws: int = 1

    def __post_init__(self) -> None:
        fractions = self.label_fractions
        if (
            not isinstance(fractions, tuple)
            or not fractions
            or not all(isinstance(f, (int, float)) and not isinstance(f, bool) and 0 < f <= 1 for f in fractions)
        ):
            raise ValueError(
                f"probe.label_fractions must be a non-empty list of numbers in (0, 1] (1 = every "
                f"training label), e.g. [0.01, 0.1, 1.0]; got {fractions!r}"
            )
        if len(set(fractions)) != len(fractions):
            raise ValueError(f"probe.label_fractions must not repeat a fraction, got {list(fractions)}")
        if (
            not isinstance(self.label_draws, int)
            or isinstance(self.label_draws, bool)
            or not 1 <= self.label_draws <= 100
        ):
            raise ValueError(f"probe.label_draws must be an integer from 1 to 100, got {self.label_draws!r}")
        fraction = self.validation_fraction
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
            raise ValueError(f"probe.validation_fraction must be a number above 0 and below 1, got {fraction!r}")

    @property
    def scarce_fractions(self) -> tuple[float, ...]:
        """The label fractions below 1, ascending (100 % is the probes' ordinary fit)."""
        return tuple(sorted(f for f in self.label_fractions if f < 1))


@dataclass(frozen=True)
class FinetuneConfig:
    """End-to-end fine-tuning of the pretrained encoder with a linear head (``ssl_models.evaluate.finetune``):
    at most ``epochs`` passes of AdamW (``learning_rate``, ``weight_decay``, ``batch_size``), stopped after
    ``patience`` epochs without a better validation accuracy; 0 epochs keeps the frozen linear head."""

    epochs: int = 20
    learning_rate: float = 1e-4
    batch_size: int = 64
    weight_decay: float = 1e-4
    patience: int = 5

    def __post_init__(self) -> None:
        for name, low in (("epochs", 0), ("batch_size", 1), ("patience", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"finetune.{name} must be an integer of at least {low}, got {value!r}")
        if self.learning_rate <= 0:
            raise ValueError(f"finetune.learning_rate must be positive, got {self.learning_rate}")
        if self.weight_decay < 0:
            raise ValueError(f"finetune.weight_decay must be at least 0, got {self.weight_decay}")
