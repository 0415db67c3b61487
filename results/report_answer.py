"""The report's answer table: per dataset and encoder, the best self-supervised objective (selected on
validation) and its margin over the raw input, the random encoder and the supervised baseline at each label
fraction.

A margin is mean(SSL) − mean(reference) over seeds (each seed's value the mean over its label draws). It is
called distinguishable from zero when Welch's t-test over seeds gives p < α (``results.report_stats``); with
fewer than 2 seeds on either side the cell says "not enough seeds" instead of a verdict.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sslbench.results.report_labels import FULL, curve_frame, fraction_text
from sslbench.results.report_render import Section
from sslbench.results.report_stats import ALPHA, welch_p
from sslbench.results.selection import SELECTED_ON_TEXT, best_configuration
from sslbench.ssl_models.baselines import BASELINES, baseline_names

NOT_ENOUGH_SEEDS = "not enough seeds"


def seed_values(curves: pd.DataFrame, objective: str, encoder: str, fraction: float) -> np.ndarray:
    """Per seed, the mean over label draws of (objective, encoder) at ``fraction``."""
    cell = curves[
        (curves["objective"] == objective)
        & (curves["encoder"] == encoder)
        & np.isclose(curves["label_fraction"], fraction)
    ]
    return cell.groupby("seed")["value"].mean().to_numpy(dtype=float)


def margin_text(ours: np.ndarray, theirs: np.ndarray) -> str:
    """'+0.012, p = 0.03 (distinguishable)', '…, p = 0.4 (not distinguishable)', '…, not enough seeds', or
    '—'."""
    if not len(ours) or not len(theirs):
        return "—"
    margin = f"{ours.mean() - theirs.mean():+.3f}"
    if min(len(ours), len(theirs)) < 2:
        return f"{margin}, {NOT_ENOUGH_SEEDS}"
    p_value = welch_p(ours, theirs)
    verdict = "distinguishable" if p_value < ALPHA else "not distinguishable"
    return f"{margin}, p = {p_value:.2g} ({verdict})"


def answer_table(df: pd.DataFrame, validation: pd.DataFrame, dataset: str) -> Section | None:
    """The best self-supervised objective per encoder of ``dataset`` with its margins; None without SSL
    probes."""
    test, held_out = df[df["dataset"] == dataset], validation[validation["dataset"] == dataset]
    curves = curve_frame(test)
    fractions = sorted(curves["label_fraction"].unique(), reverse=True)
    rows = []
    for encoder in sorted(e for e in curves["encoder"].unique() if e):
        scored = pd.concat([test[test["encoder"] == encoder], held_out[held_out["encoder"] == encoder]])
        choice = best_configuration(scored, "linear_acc")
        if choice is None:
            continue
        for fraction in fractions:
            ours = seed_values(curves, choice.objective, encoder, fraction)
            cells = [
                margin_text(ours, seed_values(curves, reference, encoder if encoded else "", fraction))
                for reference, encoded in margin_references()
            ]
            accuracy = f"{ours.mean():.3f} (seeds={len(ours)})" if len(ours) else "—"
            rows.append(
                [
                    encoder,
                    choice.objective,
                    SELECTED_ON_TEXT[choice.selected_on],
                    fraction_text(fraction),
                    accuracy,
                    *cells,
                ]
            )
    if not rows:
        return None
    return Section(
        "Best self-supervised objective per encoder",
        (
            "For each encoder, the self-supervised objective with the highest mean linear probe accuracy on "
            "the validation part (never on test), then its test accuracy at each fraction of training labels "
            "and its margin over each reference baseline ("
            + ", ".join(BASELINES.get(name).title for name, _ in margin_references())
            + "; a baseline that trains on labels trained on the same labels)."
        ),
        header=[
            "encoder",
            "best SSL objective",
            "selected on",
            "labels",
            "linear probe",
            *(f"vs {BASELINES.get(name).title}" for name, _ in margin_references()),
        ],
        rows=rows,
        level=3,
        notes=[
            "Margin = mean over seeds (each seed averaged over its label draws); distinguishable: Welch "
            f"t-test over seeds p < {ALPHA}; with a single seed on either side no verdict is given "
            f"({NOT_ENOUGH_SEEDS}). "
            f"{fraction_text(FULL)} labels: the ordinary probes on every training label."
        ],
    )


def margin_references() -> list[tuple[str, bool]]:
    """(baseline, has an encoder) of every baseline declaring ``margin_reference``, in the registry's order."""
    return [
        (name, BASELINES.get(name).uses_encoder()) for name in baseline_names() if BASELINES.get(name).margin_reference
    ]
