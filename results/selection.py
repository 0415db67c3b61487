"""What the report selects, and on which data: best self-supervised configurations chosen on the validation
part.

A "best configuration" (of a dataset, or of one encoder's column) is the self-supervised (objective, encoder)
with the highest mean over seeds of the metric on the **validation** part (``split = "validation"``: probes
fitted on the training split minus its validation part). Baselines are never selected. Only where a metric has
no validation score (clustering scores; runs written before validation parts existed) is the choice made on
test, and the returned ``selected_on`` says so; the report prints it beside every selected number.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd
from sslbench.results.query import self_supervised

VALIDATION, TEST = "validation", "test"
SELECTED_ON_TEXT = {VALIDATION: "validation", TEST: "test (no validation score)"}


class Selection(NamedTuple):
    """The chosen (objective, encoder) and the split it was chosen on."""

    objective: str
    encoder: str
    selected_on: str


def best_configuration(df: pd.DataFrame, metric: str = "linear_acc") -> Selection | None:
    """The self-supervised (objective, encoder) of ``df`` with the highest mean ``metric`` on validation (else
    on test, said in ``selected_on``); ties go to the first name in sorted order; None without self-supervised
    rows. The one "best configuration" query of the CLI, the Prefect artifacts and the report::

        results.best_configuration(df[df["dataset"] == "mnist5k"])   # Selection('simclr', 'cnn', 'validation')
    """
    chosen = self_supervised(df[df["metric"] == metric])
    splits = chosen["split"] if "split" in chosen else pd.Series(TEST, index=chosen.index)
    for split in (VALIDATION, TEST):
        rows = chosen[splits == split]
        if len(rows):
            means = rows.groupby(["objective", "encoder"], observed=True)["value"].mean().sort_index()
            objective, encoder = means.idxmax()
            return Selection(str(objective), str(encoder), split)
    return None
