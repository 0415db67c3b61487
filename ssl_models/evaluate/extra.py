"""Dataset-specific evaluators, run beside the standard probes when a dataset names them.

A dataset lists evaluator names in ``RawDataset.evaluators``; each is a function of an
``EvaluationContext`` returning ``{metric_name: value}`` (e.g. next-step MSE against the Kalman optimum).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ssl_models.data.base import SplitData
from ssl_models.encoders.base import Encoder
from ssl_models.objectives.base import Objective
from ssl_models.registry import Registry


@dataclass
class EvaluationContext:
    """What an evaluator may use: the split, the frozen encoder and the trained objective (None for
    encoder-free baselines), and the train/test embeddings already computed."""

    split: SplitData
    seed: int
    train_embeddings: np.ndarray
    test_embeddings: np.ndarray
    encoder: Encoder | None = None
    objective: Objective | None = None


Evaluator = Callable[[EvaluationContext], dict[str, float]]
EVALUATORS: Registry[Evaluator] = Registry("evaluator")


def run_extra_evaluators(context: EvaluationContext) -> dict[str, float]:
    """Every evaluator the dataset names, merged into one metrics dict."""
    metrics: dict[str, float] = {}
    for name in context.split.evaluators:
        metrics.update(EVALUATORS.get(name)(context))
    return metrics
