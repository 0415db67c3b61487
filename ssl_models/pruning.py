"""Pruning of hopeless tuning trials by Optuna's median stopping rule, decided where the trial trains.

The rule sees only a cell's completed trials, given as plain data (final score, score after each epoch), so a
trial training in another thread, process or Dask worker rebuilds exactly the study the flow holds:

    check = PruningCheck([(0.91, {1: 0.88, 2: 0.91}), (0.85, {1: 0.80, 2: 0.85})])
    check.prune(1, 0.70)   # True: below the median 0.84 of the completed trials after epoch 1

The rule draws no random number, so a re-run with the same history prunes the same trials at the same epochs.
"""

from __future__ import annotations

from collections.abc import Sequence

import optuna

PRUNING_STARTUP_TRIALS = 2  # completed trials of a cell before any pruning: the default configuration and one more
Completed = tuple[float, dict[int, float]]  # a completed trial's final score and its score after each epoch


def median_pruner() -> optuna.pruners.MedianPruner:
    """Optuna's median stopping rule: prune a trial after epoch e when its best score so far is below the median of
    the completed trials' scores after epoch e; never before ``PRUNING_STARTUP_TRIALS`` trials have completed."""
    return optuna.pruners.MedianPruner(n_startup_trials=PRUNING_STARTUP_TRIALS, n_warmup_steps=0)


class PruningCheck:
    """The median rule's verdicts for one running trial against a cell's ``completed`` trials."""

    def __init__(self, completed: Sequence[Completed]) -> None:
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        study = optuna.create_study(direction="maximize", pruner=median_pruner())
        for value, scores in completed:
            study.add_trial(optuna.trial.create_trial(value=value, intermediate_values=dict(scores)))
        self.trial = study.ask()

    def prune(self, epoch: int, score: float) -> bool:
        """Report the score after ``epoch`` (1, 2, …); True when the trial should stop here."""
        self.trial.report(score, epoch)
        return self.trial.should_prune()
