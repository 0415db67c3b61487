"""Evaluators: each computes its metrics from an ``EvaluationContext`` and declares how the report shows them.

The evaluate task runs :func:`run_evaluators` and nothing else evaluator-specific; the report renders the
declared ``tables`` (one objective × encoder table per metric) and ``sections`` (a table of selected metrics
per job or per
configuration) without naming a metric itself. An evaluator is one function, registered with its
declarations::

    @evaluator("lds_next_step", sections=(KALMAN_SECTION,), on_request=True)
    def lds_next_step(context: EvaluationContext) -> dict[str, float]: ...

``on_request`` evaluators run only for datasets that name them (``RawDataset.evaluators``) or jobs that request
them (``EvaluationContext.requested``, e.g. a suite's ``[finetune]``); the others run on every job of the
``modalities`` they declare (every modality when none is declared) and return no metrics where they do not apply.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from sslbench.ssl_models.configs import ProbeConfig
from sslbench.ssl_models.data.base import SplitData
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.files import json_sha256
from sslbench.ssl_models.objectives.base import Objective
from sslbench.ssl_models.registry import Registry
from sslbench.ssl_models.vocabulary import MODALITIES


@dataclass
class EvaluationContext:
    """What an evaluator may use: the split, the frozen encoder and the trained objective (None for
    encoder-free baselines), the train/test embeddings already computed, the job's probe settings, and the
    on-request evaluators the job asks for, by name, with their settings."""

    split: SplitData
    seed: int
    train_embeddings: np.ndarray
    test_embeddings: np.ndarray
    encoder: Encoder | None = None
    objective: Objective | None = None
    probe: ProbeConfig = field(default_factory=ProbeConfig)
    requested: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Column:
    """One column of a declared section: a stored metric formatted with ``fmt``, or ``text`` of the row's
    metrics."""

    header: str
    metric: str | None = None
    fmt: str = ".3f"
    text: Callable[[Mapping[str, float]], str] | None = None


@dataclass(frozen=True)
class ReportSection:
    """How the report shows some of an evaluator's metrics: a table with a title, an explanation and columns.

    ``per``: ``"seed"`` gives a row per job (dataset, encoder, objective, seed); ``"configuration"`` the mean
    over seeds per (encoder, objective) with a seeds column. ``scope``: ``"dataset"`` puts one table in each
    dataset's section; ``"run"`` one table for the whole run (with a dataset column). A row needs every metric
    of ``needs`` (default: any of the columns' metrics) and must pass ``keep``; ``empty`` is the text shown
    when no row qualifies (None: no section), ``absent`` when no job reports ``needs`` at all (None: no
    section).
    """

    title: str
    text: str
    columns: tuple[Column, ...]
    per: Literal["seed", "configuration"] = "seed"
    scope: Literal["dataset", "run"] = "dataset"
    needs: tuple[str, ...] = ()
    reads: tuple[str, ...] = ()
    keep: Callable[[Mapping[str, float]], bool] | None = None
    empty: str | None = None
    absent: str | None = None

    def metrics(self) -> tuple[str, ...]:
        """Every metric the section reads: its columns', ``needs`` and ``reads``, in that order, once each."""
        names = [c.metric for c in self.columns if c.metric] + list(self.needs) + list(self.reads)
        return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class Evaluator:
    """An evaluation function with its report declarations (see the module docstring)."""

    compute: Callable[[EvaluationContext], dict[str, float]]
    tables: Mapping[str, str] = field(default_factory=dict)
    sections: tuple[ReportSection, ...] = ()
    on_request: bool = True
    version: int = 1
    modalities: tuple[str, ...] = ()

    def applies_to(self, split: SplitData) -> bool:
        """True for an evaluator run on every job (not on request) of the split's modality, or of any when none."""
        return not self.on_request and (not self.modalities or split.modality in self.modalities)

    def __call__(self, context: EvaluationContext) -> dict[str, float]:
        return self.compute(context)


EVALUATORS: Registry[Evaluator] = Registry("evaluator")
Compute = Callable[[EvaluationContext], dict[str, float]]


def evaluator(
    name: str,
    tables: Mapping[str, str] | None = None,
    sections: tuple[ReportSection, ...] = (),
    on_request: bool = True,
    version: int = 1,
    modalities: tuple[str, ...] = (),
) -> Callable[[Compute], Compute]:
    """Register the decorated function as evaluator ``name`` with its report declarations; returns the
    function.

    Bump ``version`` when the evaluator's metrics change, so that cached evaluations are recomputed. ``modalities``
    restricts an evaluator that is not ``on_request`` to jobs of those modalities (``vocabulary.MODALITIES``).
    """
    unknown = set(modalities) - set(MODALITIES)
    if unknown:
        raise ValueError(
            f"evaluator '{name}': unknown modality {', '.join(sorted(unknown))}; valid: {', '.join(MODALITIES)}"
        )

    def register(compute: Compute) -> Compute:
        EVALUATORS.register(name)(Evaluator(compute, dict(tables or {}), sections, on_request, version, modalities))
        return compute

    return register


def evaluation_signature() -> str:
    """Hash of every registered evaluator's name and version: a cached evaluation is reused only under the
    same one, so adding, removing or revising an evaluator recomputes the metrics (checkpoints are kept)."""
    return json_sha256([[name, EVALUATORS.get(name).version] for name in EVALUATORS.in_registration_order()])[:8]


def run_evaluators(context: EvaluationContext) -> dict[str, float]:
    """Every evaluator that runs on every job, and those the dataset names or the job requests, merged into one
    metrics dict."""
    metrics: dict[str, float] = {}
    for name in EVALUATORS.in_registration_order():
        item = EVALUATORS.get(name)
        if item.applies_to(context.split) or name in context.split.evaluators or name in context.requested:
            metrics.update(item(context))
    return metrics


def metric_tables() -> dict[str, str]:
    """metric → title of every declared objective × encoder table, in registration order."""
    return {metric: title for _, item in _in_order() for metric, title in item.tables.items()}


def report_sections(scope: str) -> list[ReportSection]:
    """The declared sections of ``scope`` ("dataset" or "run"), in registration order."""
    return [section for _, item in _in_order() for section in item.sections if section.scope == scope]


def _in_order() -> list[tuple[str, Evaluator]]:
    return [(name, EVALUATORS.get(name)) for name in EVALUATORS.in_registration_order()]
