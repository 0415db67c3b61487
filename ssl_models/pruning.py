"""Pruning of hopeless tuning trials, decided where the trial trains: Optuna's median stopping rule, or successive
halving over epochs (asynchronous, as in ASHA: Li et al., 2020, "A System for Massively Parallel Hyperparameter
Tuning").

Either rule sees only a cell's earlier trials, given as plain data (final score, score after each epoch), so a
trial training in another thread, process or Dask worker rebuilds exactly the study the flow holds:

    check = PruningCheck([(0.91, {1: 0.88, 2: 0.91}), (0.85, {1: 0.80, 2: 0.85})])
    check.prune(1, 0.70)   # True: below the median 0.84 of the completed trials after epoch 1

- ``median``: prune after epoch e when the trial's best score so far is below the median of the completed trials'
  scores after epoch e (never before ``PRUNING_STARTUP_TRIALS`` trials have completed).
- ``successive_halving``: rungs at r, rη, rη², … epochs below the trial's budget B, with η = ``REDUCTION_FACTOR``
  and r = max(1, ⌊B / η²⌋) (30 epochs: rungs at 3, 9 and 27). A trial reaching a rung goes on only when its score
  there is among the top 1/η of the scores every earlier trial had at that rung, pruned ones included (the best of
  them while fewer than η have reached it). Every trial that is not pruned trains its whole budget, so the chosen
  configuration is chosen on what it scores at the budget the tuned jobs train, not after a short horizon.

Neither rule draws a random number, so a re-run with the same history prunes the same trials at the same epochs.
"""

from __future__ import annotations

from collections.abc import Sequence

import optuna

PRUNING_STARTUP_TRIALS = 2  # completed trials of a cell before median pruning: the default configuration and one more
REDUCTION_FACTOR = 3  # successive halving keeps the top third of the trials at each rung
Completed = tuple[float, dict[int, float]]  # a trial's final score and its score after each epoch
RULES = ("median", "successive_halving")


def median_pruner() -> optuna.pruners.MedianPruner:
    """Optuna's median stopping rule: prune a trial after epoch e when its best score so far is below the median of
    the completed trials' scores after epoch e; never before ``PRUNING_STARTUP_TRIALS`` trials have completed."""
    return optuna.pruners.MedianPruner(n_startup_trials=PRUNING_STARTUP_TRIALS, n_warmup_steps=0)


def _first_rung(budget: int) -> int:
    """Successive halving's first rung for a trial of ``budget`` epochs: max(1, ⌊budget / η²⌋)."""
    return max(1, budget // REDUCTION_FACTOR**2)


def rung_epochs(budget: int) -> list[int]:
    """The epochs at which successive halving compares a trial of ``budget`` epochs with the earlier ones."""
    first = _first_rung(budget)
    rungs: list[int] = []
    while first * REDUCTION_FACTOR ** len(rungs) < budget:
        rungs.append(first * REDUCTION_FACTOR ** len(rungs))
    return rungs


def successive_halving_pruner(budget: int) -> optuna.pruners.SuccessiveHalvingPruner:
    """Optuna's successive-halving rule with the rungs of :func:`rung_epochs`."""
    return optuna.pruners.SuccessiveHalvingPruner(min_resource=_first_rung(budget), reduction_factor=REDUCTION_FACTOR)


class PruningCheck:
    """The verdicts of ``rule`` for one running trial against a cell's ``completed`` trials (and, for successive
    halving, its ``pruned`` ones, which reached rungs too); ``budget`` is the trial's epochs."""

    def __init__(
        self,
        completed: Sequence[Completed],
        rule: str = "median",
        budget: int = 1,
        pruned: Sequence[Completed] = (),
    ) -> None:
        if rule not in RULES:
            raise ValueError(f"unknown pruning rule {rule!r}; valid: {', '.join(RULES)}")
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        halving = rule == "successive_halving"
        pruner = successive_halving_pruner(budget) if halving else median_pruner()
        study = optuna.create_study(direction="maximize", pruner=pruner)
        rungs = rung_epochs(budget)
        states = [(optuna.trial.TrialState.COMPLETE, t) for t in completed]
        if halving:  # the median rule compares with completed trials only
            states += [(optuna.trial.TrialState.PRUNED, t) for t in pruned]
        for state, (value, scores) in states:
            reached = {f"completed_rung_{k}": scores[e] for k, e in enumerate(rungs) if e in scores} if halving else {}
            study.add_trial(
                optuna.trial.create_trial(
                    state=state,
                    value=value if state == optuna.trial.TrialState.COMPLETE else None,
                    intermediate_values=dict(scores),
                    system_attrs=reached,
                )
            )
        self.trial = study.ask()

    def prune(self, epoch: int, score: float) -> bool:
        """Report the score after ``epoch`` (1, 2, …); True when the trial should stop here."""
        self.trial.report(score, epoch)
        return self.trial.should_prune()
