"""The supervised upper bound: the same encoder trained with labels (``ssl_models.objectives.supervised``)."""

from __future__ import annotations

from sslbench.ssl_models.baselines.base import BASELINES, Baseline


@BASELINES.register("supervised")
class SupervisedBound(Baseline):
    """The encoder trained by cross entropy through a linear head, same budget, then probed like the rest."""

    title = "supervised upper bound"
    margin_reference = True
    marker = "o"
    family = "supervised"
    objective = "supervised"
    trains = True
    needs_labels = True
    label_fraction = True
