"""One cell's search: an in-memory Optuna study with a seeded TPE sampler, asked and told trial by trial.

Trials of a cell are sequential (each proposal sees every earlier score), so the proposals depend only on the
cell's seed and the scores, never on timing: a re-run asks for the same parameters in the same order, and
cached trials answer them without training. Nothing depends on an Optuna database. The first half of the budget
(at most 10 trials) samples at random, the rest from TPE's model of the scores (Bergstra et al., 2011).

With ``[tuning] pruner = "median"`` (or ``"successive_halving"``) a trial reports its validation score after every
epoch and stops as soon as the rule says so (``ssl_models.pruning``: deterministic, no random draw, it sees only the
cell's earlier trials, rebuilt from plain data where the trial trains). A pruned trial is told as pruned with its
scores so far: it counts against the budget, informs the sampler, and is never the cell's best.

Example::

    search = CellSearch({"train.learning_rate": ParamSpace(1e-4, 1e-2, log=True)}, seed=7, trials=8)
    trial, params = search.ask()       # params == {"train.learning_rate": 0.0012...}
    search.tell(trial, 0.93)           # the validation score; None for a failed trial
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import optuna
from sslbench.benchmarks.tuning import ParamSpace
from sslbench.ssl_models.pruning import Completed

MAX_STARTUP_TRIALS = 10  # Optuna's default number of random trials before TPE models the scores


def suggest(trial: optuna.Trial, name: str, space: ParamSpace) -> Any:
    """The trial's value of parameter ``name``: categorical over choices, an integer or a float range."""
    if space.choices is not None:
        return trial.suggest_categorical(name, list(space.choices))
    if isinstance(space.low, int) and isinstance(space.high, int):
        return trial.suggest_int(name, space.low, space.high, log=space.log)
    return trial.suggest_float(name, float(space.low or 0), float(space.high or 0), log=space.log)


class CellSearch:
    """A seeded TPE study over ``space`` (qualified name → range) maximising the validation score."""

    def __init__(
        self, space: Mapping[str, ParamSpace], seed: int, trials: int, first: Mapping[str, Any] | None = None
    ) -> None:
        optuna.logging.set_verbosity(optuna.logging.WARNING)  # no INFO line per trial: the flow reports them
        startup = min(MAX_STARTUP_TRIALS, max(1, trials // 2))
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup)
        self.space = dict(space)
        self.study = optuna.create_study(direction="maximize", sampler=sampler)
        if first:  # e.g. the default configuration; parameters it leaves out are sampled
            self.study.enqueue_trial(dict(first))

    def ask(self) -> tuple[optuna.Trial, dict[str, Any]]:
        """The next trial and its parameters by qualified name."""
        trial = self.study.ask()
        return trial, {name: suggest(trial, name, space) for name, space in self.space.items()}

    def tell(
        self, trial: optuna.Trial, value: float | None, scores: Mapping[int, float] | None = None, pruned: bool = False
    ) -> None:
        """Record the trial's validation score (None: the trial failed), its score after each epoch when it reported
        them, and whether it was pruned; failed and pruned trials count against the budget."""
        for epoch, score in sorted((scores or {}).items()):
            trial.report(score, epoch)
        if value is None:
            self.study.tell(trial, state=optuna.trial.TrialState.FAIL)
        elif pruned:
            self.study.tell(trial, state=optuna.trial.TrialState.PRUNED)
        else:
            self.study.tell(trial, value)

    def completed(self) -> list[Completed]:
        """(score, scores after each epoch) of every completed trial, in order: what ``PruningCheck`` needs."""
        return [
            (float(t.value), dict(t.intermediate_values))
            for t in self.study.trials
            if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None
        ]

    def pruned(self) -> list[Completed]:
        """(last score, scores after each epoch) of every pruned trial, in order: successive halving compares a
        trial's score at a rung with every earlier trial's there, pruned or not."""
        return [
            (float(t.intermediate_values[max(t.intermediate_values)]), dict(t.intermediate_values))
            for t in self.study.trials
            if t.state == optuna.trial.TrialState.PRUNED and t.intermediate_values
        ]

    def best(self) -> optuna.trial.FrozenTrial | None:
        """The completed trial with the highest score (the earliest among equals), None when every trial failed."""
        done = [t for t in self.study.trials if t.state == optuna.trial.TrialState.COMPLETE and t.value is not None]
        return max(done, key=lambda t: (t.value, -t.number)) if done else None
