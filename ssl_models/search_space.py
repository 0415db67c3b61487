"""A component's declared search space: which of its parameters equal-budget tuning searches, and how.

Each objective and encoder class may declare ``search_space = {"temperature": Tunable(0.05, 1.0, log=True,
limits=POSITIVE)}``; pretraining's own space is ``TRAIN_SEARCH_SPACE``. A suite's ``[tuning.space.X]`` table
overrides or extends these ranges, and must stay within each parameter's ``limits``.

Example::

    Tunable(1e-4, 1e-2, log=True)        # learning rate, log-uniform on [1e-4, 1e-2]
    Tunable(choices=("mlp", "linear"))  # a categorical choice
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sslbench.ssl_models.options import Range

POSITIVE = Range(0.0, 1e6, low_open=True)
FRACTION = Range(0.0, 1.0, low_open=True, high_open=True)
MOMENTUM = Range(0.0, 1.0, high_open=True)


@dataclass(frozen=True)
class Tunable:
    """A parameter's default search range: uniform on [low, high] (log-uniform when ``log``), or ``choices``;
    a suite's own range must lie within ``limits`` (None: only the parameter's declared type bounds it)."""

    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[str | int | float | bool, ...] = ()
    limits: Range | None = None


# Pretraining's searched settings: the learning rate of every objective, log-uniform over two decades.
TRAIN_SEARCH_SPACE: Mapping[str, Tunable] = {"learning_rate": Tunable(1e-4, 1e-2, log=True)}
