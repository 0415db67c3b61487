"""Pruning of hopeless tuning trials: Optuna's median rule per epoch, pruned trials in the budget, cached replays."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sslbench.benchmarks.config import SuiteError
from sslbench.benchmarks.plan import make_plan
from sslbench.benchmarks.suite import load_suite, suite_from_dict
from sslbench.benchmarks.tuning_search import CellSearch
from sslbench.ssl_models.pruning import PruningCheck, rung_epochs

GRID = {"datasets": ["digits"], "encoders": ["mlp"], "objectives": ["autoencoder"]}
STRONG = [(1.0, {1: 1.0, 2: 1.0}), (1.0, {1: 1.0, 2: 1.0})]  # a history no real trial can beat
WEAK = [(0.0, {1: 0.0, 2: 0.0}), (0.0, {1: 0.0, 2: 0.0})]  # one every trial beats


def test_median_rule_prunes_below_the_completed_trials_median_and_not_before_two_completed() -> None:
    history = [(0.9, {1: 0.8, 2: 0.9}), (0.7, {1: 0.6, 2: 0.7})]  # median after epoch 1: 0.7
    assert PruningCheck(history).prune(1, 0.69) and not PruningCheck(history).prune(1, 0.71)
    assert not PruningCheck(history[:1]).prune(1, 0.0)  # one completed trial: no pruning yet
    check = PruningCheck(history)
    assert not check.prune(1, 0.75) and check.prune(2, 0.75)  # after epoch 2 the median is 0.8


def test_successive_halving_rungs_are_a_ninth_and_a_third_of_the_budget() -> None:
    assert rung_epochs(30) == [3, 9, 27] and rung_epochs(27) == [3, 9] and rung_epochs(8) == [1, 3]
    assert rung_epochs(2) == [1] and rung_epochs(1) == []  # one epoch: nothing to compare before the end


def _curve(final: float, budget: int = 30) -> dict[int, float]:
    return {epoch: final * epoch / budget for epoch in range(1, budget + 1)}


def _halving(completed: list[Any], pruned: list[Any] = []) -> PruningCheck:  # noqa: B006 - never mutated
    return PruningCheck(completed, "successive_halving", 30, pruned)


def _pruned_at(check: PruningCheck, final: float) -> int | None:
    """The epoch a trial with curve ``_curve(final)`` is pruned at (None: it trains its whole budget)."""
    return next((epoch for epoch, score in _curve(final).items() if check.prune(epoch, score)), None)


def test_successive_halving_keeps_the_top_third_at_each_rung_counting_pruned_trials() -> None:
    assert _pruned_at(_halving([]), 0.01) is None  # the first trial always trains its budget
    first = (0.9, _curve(0.9))
    assert _pruned_at(_halving([first]), 0.8) == 3  # below the only earlier trial at the first rung (epoch 3)
    assert _pruned_at(_halving([first]), 0.95) is None  # above it at every rung
    # at epoch 3 the scores are final / 10; with 5 earlier trials, 6 compete: the top 6 // 3 = 2 go on
    earlier = [(f, _curve(f)) for f in (0.5, 0.6, 0.7)]
    low = [(f / 10, {e: f * e / 30 for e in range(1, 4)}) for f in (0.8, 0.9)]  # pruned at epoch 3, above the rest
    assert _pruned_at(_halving(earlier, low), 0.75) == 3  # third of six at the first rung
    assert _pruned_at(_halving(earlier, low), 0.85) is None  # second of six there, then the best of four
    assert _pruned_at(_halving(earlier), 0.75) is None  # without the pruned trials it would be the best
    assert _pruned_at(_halving(earlier, low), 0.95) is None  # the best at every rung


def test_a_pruned_trial_counts_toward_the_budget_and_is_never_the_best() -> None:
    search = CellSearch({}, seed=0, trials=3)
    for value, scores, pruned in [(0.5, {1: 0.5}, False), (0.9, {1: 0.9}, True), (0.6, {1: 0.6}, False)]:
        trial, _ = search.ask()
        search.tell(trial, value, scores, pruned=pruned)
    assert len(search.study.trials) == 3 and search.best().number == 2  # type: ignore[union-attr]
    assert search.completed() == [(0.5, {1: 0.5}), (0.6, {1: 0.6})]  # what the rule compares with


def test_pruner_is_validated_and_a_suite_without_one_keeps_its_hash() -> None:
    with pytest.raises(SuiteError) as error:
        suite_from_dict({**GRID, "tuning": {"trials": 2, "pruner": "mean"}})
    assert str(error.value) == "tuning.pruner: 'mean' is not a valid choice; valid: none, median, successive_halving"
    plain = suite_from_dict({**GRID, "tuning": {"trials": 2}})
    assert "pruner" not in plain.to_dict()["tuning"] and plain.tuning.pruner == "none"  # type: ignore[union-attr]
    pruned = suite_from_dict({**GRID, "tuning": {"trials": 2, "pruner": "median"}})
    assert suite_from_dict(pruned.to_dict()) == pruned and pruned.content_hash() != plain.content_hash()


def _trial_job(tmp_path: Path) -> tuple[Any, str]:
    from sslbench.tasks.data import prepare_split

    suite = suite_from_dict(
        {
            **GRID,
            "baselines": [],
            "embedding_dim": 8,
            "train": {"epochs": 2, "batch_size": 256},
            "probe": {"linear_c_grid": [1.0]},
        }
    )
    job = make_plan(suite).jobs[0]
    return job, prepare_split(job, str(tmp_path))


def test_a_trial_pruned_after_one_epoch_saves_nothing_and_an_unpruned_one_scores_like_a_plain_trial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sslbench.tasks import pretrain, tune
    from sslbench.tasks.artefacts import checkpoint_path

    job, split = _trial_job(tmp_path)
    out = str(tmp_path)
    hopeless = tune.train_trial(job, split, None, out, STRONG)
    assert hopeless["pruned"] and list(hopeless["scores"]) == [1] and hopeless["score"] < 1.0
    assert not checkpoint_path(out, job).exists()  # a pruned trial leaves no checkpoint a job could reuse

    kept = tune.train_trial(job, split, None, out, WEAK)
    assert not kept["pruned"] and list(kept["scores"]) == [1, 2]
    assert kept["scores"][1] == hopeless["scores"][1]  # the same training up to the pruning point
    trained = pretrain.pretrain_job(job, split, None, out)
    assert trained["cached"]  # the unpruned trial's checkpoint is the job's
    assert tune.score_trial(job, split, trained, out)["score"] == kept["score"]  # scoring per epoch changes nothing

    monkeypatch.setattr(pretrain, "pretrain", _no_training)
    for history, first in ((STRONG, hopeless), (WEAK, kept)):
        again = tune.train_trial(job, split, None, out, history)
        assert again["cached"] and {k: again[k] for k in ("score", "scores", "pruned")} == {
            k: first[k] for k in ("score", "scores", "pruned")
        }


def test_a_trial_pretrains_without_the_validation_rows_and_a_job_keeps_its_key(tmp_path: Path) -> None:
    import dataclasses

    from sslbench.ssl_models.data import SplitData
    from sslbench.ssl_models.job import JobSpec
    from sslbench.tasks.pretrain import _training_rows

    job, split_file = _trial_job(tmp_path)
    split = SplitData.load(Path(split_file))
    trial = dataclasses.replace(job, exclude_validation=True)
    positions = {"views": np.arange(len(split.x_train))[:, None]}  # a bank row holds its example's position
    inputs, labels, banks, budget = _training_rows(trial, split, positions)
    assert len(split.validation_rows) and len(inputs) == len(split.x_train) - len(split.validation_rows)
    np.testing.assert_array_equal(inputs, split.x_train[split.fit_rows])
    assert not set(banks["views"][:, 0]) & set(split.validation_rows.tolist()) and budget == job.train
    assert labels is not None and (labels == split.y_train[split.fit_rows]).all()  # type: ignore[index]
    assert _training_rows(job, split, positions)[0] is split.x_train  # a job trains on every training row
    assert "exclude_validation" not in job.config() and trial.key() != job.key()  # jobs keep their keys
    assert JobSpec.from_config(trial.config()) == trial


TINY = """
name = "tiny-pruned"
data_file = "digits400.npz"
encoders = ["mlp"]
objectives = ["autoencoder"]
baselines = ["raw"]
seeds = [0]
embedding_dim = 8
[train]
epochs = 1
batch_size = 256
[probe]
linear_c_grid = [1.0]
kmeans_restarts = 1
[tuning]
trials = 4
epochs = 2
pruner = "median"
"""


def _no_training(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("a cached run trained")


def _run(out: Path, run_id: str, rule: str = "median") -> pd.DataFrame:
    from sklearn.datasets import load_digits
    from sslbench.flows.benchmark import run_benchmark
    from sslbench.results.store import read_table

    digits = load_digits()
    np.savez(out.parent / "digits400.npz", inputs=digits.images[:400, None] / 16.0, labels=digits.target[:400])
    suite_file = out.parent / "tiny-pruned.toml"
    suite_file.write_text(
        TINY.replace("digits400.npz", str(out.parent / "digits400.npz")).replace('"median"', f'"{rule}"')
    )
    summary = run_benchmark(suite=load_suite(str(suite_file)).to_dict(), out_dir=str(out), run_id=run_id)
    assert summary["n_failed"] == 0
    return read_table(out, "tuning", {"run_id": run_id}).to_pandas().sort_values(["kind", "trial"])


# With a score only the default reaches, the median rule lets trial 2 complete (one completed trial is too few to
# compare with); successive halving compares from the first trial on, so its rung at epoch 1 prunes every later one.
RULES = [
    ("median", ["ok", "ok", "pruned", "pruned"], [2, 2, 1, 1]),
    ("successive_halving", ["ok"] + ["pruned"] * 3, [2, 1, 1, 1]),
]


@pytest.mark.parametrize(("rule", "statuses", "epochs"), RULES, ids=[rule for rule, *_ in RULES])
def test_tiny_pruned_tuning_end_to_end(
    tmp_path: Path,
    prefect_api: None,
    monkeypatch: pytest.MonkeyPatch,
    rule: str,
    statuses: list[str],
    epochs: list[int],
) -> None:
    """With a score that only the default learning rate reaches, later trials are pruned after epoch 1; they stay
    in the budget and the table, the default is tuned, and a re-run trains nothing and prunes the same."""
    from sslbench.tasks import pretrain, tune

    def score(job: Any, split: Any, objective: Any) -> float:
        rate = job.train.learning_rate
        return 1.0 if rate == 1e-3 else 0.5 + rate

    monkeypatch.setattr(tune, "validation_score", score)
    out = tmp_path / "out"
    first = _run(out, "first", rule)
    trials = first[first["kind"] == "trial"]
    assert len(trials) == 4 and (trials["pruner"] == rule).all()
    assert all(json.loads(config)["exclude_validation"] for config in trials["config"])
    assert list(trials["status"]) == statuses
    assert list(trials["trained_epochs"]) == epochs
    assert [sorted(json.loads(s)) for s in trials["scores"]] == [[str(e) for e in range(1, n + 1)] for n in epochs]
    tuned = first[first["kind"] == "tuned"]
    assert list(tuned["trial"]) == [0]
    (report,) = (out / "reports").glob("*/report.md")
    assert f"{statuses.count('pruned')} of 4 trials were pruned" in report.read_text()

    monkeypatch.setattr(pretrain, "pretrain", _no_training)
    second = _run(out, "second", rule)
    columns = ["kind", "trial", "params", "status", "value", "trained_epochs", "scores"]
    pd.testing.assert_frame_equal(first[columns].reset_index(drop=True), second[columns].reset_index(drop=True))
    assert second[second["kind"] == "trial"]["cached"].all()


def test_the_tuning_line_names_each_cells_own_budget_and_the_rule() -> None:
    from sslbench.benchmarks.tuning import PRUNERS
    from sslbench.flows.tuning import PRUNING_PHRASE, tuning_summary

    assert set(PRUNING_PHRASE) == set(PRUNERS)  # every rule a suite may name has its phrase

    data = load_suite("tuned").to_dict()
    shipped = suite_from_dict(data)
    assert "8 trials of 3 epochs on seed 0 (selected on validation)" in tuning_summary(make_plan(shipped), shipped)
    data["tuning"] = {key: value for key, value in data["tuning"].items() if key != "epochs"}
    halving = suite_from_dict({**data, "tuning": {**data["tuning"], "pruner": "successive_halving"}})
    line = tuning_summary(make_plan(halving), halving)
    assert "× 8 trials of 8 or 30 epochs on seed 0 (selected on validation, hopeless ones pruned by successive" in line
