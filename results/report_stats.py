"""The statistics behind the report: intervals, "not distinguishable from the best", ranks, run-to-run trends.

Every rule the report states in words is one function here, so the words and the numbers cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

ALPHA = 0.05
SMALL_N = 3
TREND_MIN_DELTA = 0.02
SAME_MARK = "≈"

SAME_AS_BEST_RULE = (
    f"{SAME_MARK} marks an entry not distinguishable from its column's best (bold): a Welch t-test over seeds "
    f"gives p ≥ {ALPHA} when both have ≥ {SMALL_N} seeds; with 2 seeds on either side, their 95 % "
    f"Student-t intervals overlap. Entries with a single seed are not tested."
)
SAME_AS_BEST_NOTE = (
    f"{SAME_MARK}: not distinguishable from the column's best (Welch t-test p ≥ {ALPHA}, or overlapping "
    f"95 % intervals with 2 seeds)."
)
TREND_RULE = (
    f"A change counts as a regression or an improvement when it is beyond noise: Welch t-test p < {ALPHA} "
    f"when both runs have ≥ 2 seeds, otherwise |Δ| > {TREND_MIN_DELTA}."
)


# The range each reported metric can take; intervals are clipped to it (an accuracy interval never passes 1).
METRIC_RANGES: dict[str, tuple[float, float]] = {
    "linear_acc": (0.0, 1.0),
    "knn_acc": (0.0, 1.0),
    "svm_acc": (0.0, 1.0),
    "label_linear_acc": (0.0, 1.0),
    "label_knn_acc": (0.0, 1.0),
    "finetune_acc": (0.0, 1.0),
    "label_finetune_acc": (0.0, 1.0),
    "kmeans_nmi": (0.0, 1.0),
    "kmeans_ari": (-0.5, 1.0),
    "kmeans_silhouette": (-1.0, 1.0),
}


def interval(
    values: Sequence[float] | np.ndarray, bounds: tuple[float, float] = (-np.inf, np.inf)
) -> tuple[float, float]:
    """95 % Student-t interval of the mean, mean ± t₀.₉₇₅(n−1)·s/√n, clipped to ``bounds`` (the metric's range);
    (nan, nan) for fewer than 2 values."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float("nan"), float("nan")
    half = stats.t.ppf(1 - ALPHA / 2, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return float(max(values.mean() - half, bounds[0])), float(min(values.mean() + half, bounds[1]))


def welch_p(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """Two-sided Welch t-test p-value of mean(a) = mean(b); with no spread on either side, 1 if equal else 0.

    t = (ā − b̄) / √(s²_a/n_a + s²_b/n_b), Welch–Satterthwaite degrees of freedom. Computed here rather than by
    ``scipy.stats.ttest_ind``, which warns of precision loss whenever one side's values are (nearly) identical,
    as equal accuracies over seeds on a small test set are; a spread below float noise counts as none.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"Welch's test needs ≥ 2 values per side, got {len(a)} and {len(b)}")
    scale = max(float(np.abs(a).max()), float(np.abs(b).max()), 1.0)
    var_a, var_b = (float(v.var(ddof=1)) / len(v) for v in (a, b))
    var_a, var_b = (v if v > (1e-12 * scale) ** 2 else 0.0 for v in (var_a, var_b))
    if var_a == 0 and var_b == 0:
        return 1.0 if np.isclose(a.mean(), b.mean()) else 0.0
    t = (a.mean() - b.mean()) / np.sqrt(var_a + var_b)
    dof = (var_a + var_b) ** 2 / (var_a**2 / (len(a) - 1) + var_b**2 / (len(b) - 1))
    return float(2 * stats.t.sf(abs(t), dof))


def same_as_best(best: Sequence[float] | np.ndarray, other: Sequence[float] | np.ndarray) -> bool | None:
    """Whether ``other`` is not distinguishable from ``best`` by SAME_AS_BEST_RULE; None when no test is possible."""
    if min(len(best), len(other)) < 2:
        return None
    if min(len(best), len(other)) >= SMALL_N:
        return welch_p(best, other) >= ALPHA
    best_low, best_high = interval(best)
    other_low, other_high = interval(other)
    return bool(other_high >= best_low and best_high >= other_low)


def trend_verdict(previous: Sequence[float], current: Sequence[float]) -> tuple[str, float]:
    """('regression' | 'improvement' | 'within noise', p-value or nan) of ``current`` against ``previous`` by
    TREND_RULE.
    """
    delta = float(np.mean(current) - np.mean(previous))
    if len(previous) >= 2 and len(current) >= 2:
        p_value = welch_p(previous, current)
        beyond = p_value < ALPHA
    else:
        p_value, beyond = float("nan"), abs(delta) > TREND_MIN_DELTA
    if not beyond:
        return "within noise", p_value
    return ("improvement" if delta > 0 else "regression"), p_value


def block_ranks(means: pd.DataFrame, block: Sequence[str], score: str = "mean") -> pd.DataFrame:
    """Rank the rows by ``score`` within each ``block`` (1 = highest; ties share the average rank); adds column
    ``rank``.
    """
    ranked = means.copy()
    ranked["rank"] = ranked.groupby(list(block), observed=True)[score].rank(ascending=False, method="average")
    return ranked


def average_ranks(ranked: pd.DataFrame, block: Sequence[str], item: str = "objective") -> pd.DataFrame:
    """Per ``item``: mean rank over the blocks it appears in, its 95 % interval (clipped to the possible ranks, 1 to the
    largest block's size), the number of blocks and of firsts; best first. ``attrs['worst']`` is that largest size."""
    worst = float(ranked.groupby(list(block), observed=True).size().max())
    rows = []
    for name, group in ranked.groupby(item, observed=True):
        low, high = interval(group["rank"].to_numpy())
        rows.append(
            {
                item: name,
                "average_rank": float(group["rank"].mean()),
                "low": max(low, 1.0),
                "high": min(high, worst),
                "blocks": len(group),
                "firsts": int((group["rank"] == 1).sum()),
            }
        )
    averages = pd.DataFrame(rows).sort_values(["average_rank", item]).reset_index(drop=True)
    averages.attrs["worst"] = worst
    return averages


def nemenyi_critical_difference(n_items: int, n_blocks: int) -> float:
    """Nemenyi critical difference of average ranks (Demšar 2006): CD = q_α √(k(k+1) / 6N), q_α = studentized
    range/√2."""
    if n_items < 2 or n_blocks < 2:
        raise ValueError(f"the critical difference needs ≥ 2 items and ≥ 2 blocks, got {n_items} and {n_blocks}")
    q_alpha = stats.studentized_range.ppf(1 - ALPHA, n_items, np.inf) / np.sqrt(2)
    return float(q_alpha * np.sqrt(n_items * (n_items + 1) / (6 * n_blocks)))
