"""The baseline contract: a reference point beside the objectives, described only by declared traits.

The planner, the tasks, the report and the CLI read these traits and never compare a baseline's name, so a new
baseline is one module in this package plus its import line in ``__init__``::

    @BASELINES.register("raw")
    class RawInput(Baseline):
        '''The input itself, flattened: z = vec(x).'''
        title = "raw input"

        @classmethod
        def features(cls, train, test, embedding_dim, seed):
            return raw_features(train), raw_features(test), {}
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from sslbench.ssl_models.registry import Registry
from sslbench.ssl_models.vocabulary import BASELINE_FAMILY


def raw_features(inputs: np.ndarray) -> np.ndarray:
    """The input itself, flattened to (N, n_features) float32 (a view of ``inputs`` when it already is one)."""
    return inputs.reshape(len(inputs), -1).astype(np.float32, copy=False)


class Baseline:
    """A baseline's traits (class attributes) and, for an encoder-free one, its features.

    Attributes:
        title: how the report and ``sslbench list`` name it.
        family: ``BASELINE_FAMILY``, or ``"supervised"`` for the supervised upper bound.
        objective: the registered objective that builds (and trains) the job's encoder; None for an
            encoder-free baseline, whose representation is :meth:`features` of the input.
        trains: whether that objective is trained (False: the encoder keeps its seeded initial weights).
        needs_labels: it cannot run on unlabelled data (the planner skips it there, with that reason).
        label_fraction: it trains on labels, so a suite's label fraction applies to it.
        in_default_suite: a suite that lists no baselines runs it.
        beside_published: the report shows it beside published figures, under the same protocol.
        margin_reference: the report's answer table gives the best SSL entry's margin over it.
        marker: its matplotlib marker in the report's plots.
    """

    title: ClassVar[str] = ""
    family: ClassVar[str] = BASELINE_FAMILY
    objective: ClassVar[str | None] = None
    trains: ClassVar[bool] = False
    needs_labels: ClassVar[bool] = False
    label_fraction: ClassVar[bool] = False
    in_default_suite: ClassVar[bool] = True
    beside_published: ClassVar[bool] = False
    margin_reference: ClassVar[bool] = False
    marker: ClassVar[str] = "o"

    @classmethod
    def uses_encoder(cls) -> bool:
        """True when the baseline's representation comes from an encoder (built by ``objective``)."""
        return cls.objective is not None

    @classmethod
    def features(
        cls, train: np.ndarray, test: np.ndarray, embedding_dim: int, seed: int
    ) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
        """(train features, test features, extra metrics) of an encoder-free baseline, fitted on ``train``
        only."""
        raise NotImplementedError(f"{cls.__name__} uses an encoder; it has no input features of its own")


BASELINES: Registry[type[Baseline]] = Registry("baseline")


def baseline_names() -> list[str]:
    """Every baseline, in the order their modules are imported in ``ssl_models.baselines`` (the report's
    order)."""
    return BASELINES.in_registration_order()


def default_baselines() -> tuple[str, ...]:
    """The baselines a suite runs when it lists none."""
    return tuple(name for name in baseline_names() if BASELINES.get(name).in_default_suite)


def encoder_free_baselines() -> list[str]:
    """The baselines whose representation is the input's own features (they fill every encoder column)."""
    return [name for name in baseline_names() if not BASELINES.get(name).uses_encoder()]
