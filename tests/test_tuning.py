"""Equal-budget tuning: the suite's [tuning] section, the seeded search, and a tiny tuned suite end to end."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sslbench.benchmarks.config import SuiteError
from sslbench.benchmarks.plan import make_plan
from sslbench.benchmarks.suite import load_suite, suite_from_dict
from sslbench.benchmarks.tuning import ParamSpace, cell_space, configured_job, default_params
from sslbench.benchmarks.tuning_search import CellSearch

GRID = {"datasets": ["digits"], "encoders": ["mlp"], "objectives": ["simclr", "autoencoder"]}


def _tuned(space: dict[str, Any], **tuning: Any) -> dict[str, Any]:
    return {**GRID, "tuning": {"trials": 2, **tuning, "space": space}}


@pytest.mark.parametrize(
    ("tuning", "message"),
    [
        (_tuned({"byol": {"momentum": {"low": 0.9, "high": 0.99}}}), "tuning.space.byol: names no objective or "),
        (_tuned({"simclr": {"temp": {"low": 0.1, "high": 1.0}}}), "tuning.space.simclr.temp: unknown option; valid: "),
        (_tuned({"simclr": {"temperature": {"low": 0.0, "high": 1.0}}}), "temperature: must be above 0"),
        (_tuned({"simclr": {"temperature": {"low": 0.5, "high": 0.1}}}), "low must be below high"),
        (_tuned({"train": {"learning_rate": {"low": 0, "high": 1e-2}}}), "learning_rate: must be above 0"),
        (_tuned({"train": {"learning_rate": {"low": -1, "high": 1e-2}}}), "learning_rate: must be above 0"),
        (_tuned({"train": {"epochs": {"low": 1, "high": 9}}}), "train.epochs: is the budget, the same for every"),
        (_tuned({"simclr": {"temperature": {"low": 0.1}}}), "give low and high (a range) or choices (a list)"),
        (_tuned({"simclr": {"temperature": {"choices": ["hot"]}}}), "temperature: must be a number, got 'hot'"),
        (_tuned({"simclr": {"temperature": {"lo": 0.1}}}), "temperature.lo: unknown key; valid: low, high"),
        (_tuned({}, trials=0), "tuning.trials: must be at least 1"),
        (_tuned({}, sampler=1), "tuning.sampler: unknown key; valid: trials, sampler_seed, epochs, space"),
    ],
)
def test_bad_search_space_is_one_line_naming_the_location(tuning: dict[str, Any], message: str) -> None:
    with pytest.raises(SuiteError) as error:
        suite_from_dict(tuning)
    assert message in str(error.value) and "\n" not in str(error.value)


def test_masked_autoencoder_ratio_outside_its_declared_limits_is_refused() -> None:
    grid = {**GRID, "objectives": ["masked_autoencoder"]}
    space = {"masked_autoencoder": {"mask_ratio": {"low": 0.5, "high": 1.0}}}
    with pytest.raises(SuiteError, match=r"mask_ratio: must be above 0 and below 1, got 1\.0"):
        suite_from_dict({**grid, "tuning": {"trials": 2, "space": space}})


def test_bad_search_space_on_the_command_line_exits_2_and_writes_nothing(tmp_path: Path, capsys: Any) -> None:
    from sslbench.flows.cli import main

    suite = tmp_path / "bad.toml"
    suite.write_text(
        textwrap.dedent("""
        datasets = ["digits"]
        encoders = ["mlp"]
        objectives = ["simclr"]
        [tuning]
        trials = 2
        [tuning.space.simclr]
        temperature = {low = 0.1, high = 2e6}
    """)
    )
    assert main(["run", str(suite), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err.strip()
    assert (
        error == "sslbench: error: tuning.space.simclr.temperature: must be above 0 and at most 1000000, got 2000000.0"
    )
    assert not (tmp_path / "out").exists()


def test_suite_with_tuning_round_trips_and_one_without_keeps_its_hash() -> None:
    suite = suite_from_dict(_tuned({"simclr": {"temperature": {"low": 1, "high": 2}}}, epochs=3))
    assert suite_from_dict(suite.to_dict()) == suite
    assert suite.tuning is not None and suite.tuning.space["simclr"]["temperature"] == ParamSpace(1.0, 2.0)
    assert "tuning" not in suite_from_dict(GRID).to_dict()  # suites without tuning hash as they did before it


def test_cell_space_is_the_declared_space_with_the_suites_overrides() -> None:
    suite = suite_from_dict(
        _tuned({"simclr": {"temperature": {"low": 0.2, "high": 0.3}, "hidden_dim": {"low": 64, "high": 128}}})
    )
    simclr = next(job for job in make_plan(suite).jobs if job.objective == "simclr")
    space = cell_space(suite.tuning, simclr)  # type: ignore[arg-type]
    assert space == {
        "train.learning_rate": ParamSpace(1e-4, 1e-2, log=True),
        "objective.hidden_dim": ParamSpace(64, 128),
        "objective.temperature": ParamSpace(0.2, 0.3),
    }
    # the default configuration is the first trial, where it lies inside the space
    assert default_params(simclr, space) == {"train.learning_rate": 1e-3}
    trial = configured_job(simclr, {"train.learning_rate": 0.005, "objective.hidden_dim": 64}, epochs=2)
    assert (trial.train.learning_rate, trial.train.epochs, trial.objective_options["hidden_dim"]) == (0.005, 2, 64)


def _proposals(seed: int, first: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    space = {
        "train.learning_rate": ParamSpace(1e-4, 1e-2, log=True),
        "objective.decoder": ParamSpace(choices=("a", "b")),
    }
    search, proposed = CellSearch(space, seed=seed, trials=6, first=first), []
    for number in range(6):
        trial, params = search.ask()
        proposed.append(params)
        search.tell(trial, None if number == 2 else -abs(np.log10(params["train.learning_rate"]) + 2.5))
    return proposed


def test_sampler_is_seeded_and_starts_from_the_given_configuration() -> None:
    assert _proposals(3) == _proposals(3)
    assert _proposals(3) != _proposals(4)
    first = {"train.learning_rate": 1e-3, "objective.decoder": "b"}
    assert _proposals(3, first)[0] == first


def test_best_trial_is_the_highest_score_and_every_failed_cell_has_none() -> None:
    search = CellSearch({"train.learning_rate": ParamSpace(1e-4, 1e-2, log=True)}, seed=0, trials=3)
    for value in (0.5, 0.9, 0.9):
        trial, _ = search.ask()
        search.tell(trial, value)
    assert search.best() is not None and search.best().number == 1  # type: ignore[union-attr]  # ties: earliest
    failed = CellSearch({}, seed=0, trials=1)
    trial, _ = failed.ask()
    failed.tell(trial, None)
    assert failed.best() is None


TINY = """
name = "tiny-tuned"
data_file = "digits400.npz"
encoders = ["mlp"]
objectives = ["autoencoder", "simclr"]
baselines = ["raw"]
seeds = [0]
embedding_dim = 8
[train]
epochs = 1
batch_size = 256
[augment]
n_views = 2
[probe]
linear_c_grid = [1.0]
kmeans_restarts = 1
[tuning]
trials = 2
epochs = 1
"""


def _run(out: Path, run_id: str) -> None:
    from sklearn.datasets import load_digits
    from sslbench.flows.benchmark import run_benchmark

    digits = load_digits()  # 400 of them: 4 trials and 3 jobs in a few seconds
    np.savez(out.parent / "digits400.npz", inputs=digits.images[:400, None] / 16.0, labels=digits.target[:400])
    suite_file = out.parent / "tiny-tuned.toml"
    suite_file.write_text(TINY.replace("digits400.npz", str(out.parent / "digits400.npz")))
    summary = run_benchmark(suite=load_suite(str(suite_file)).to_dict(), out_dir=str(out), run_id=run_id)
    assert summary["n_failed"] == 0


def _tuning(out: Path, run_id: str) -> pd.DataFrame:
    from sslbench.results.store import read_table

    return read_table(out, "tuning", {"run_id": run_id}).to_pandas()


def _permuted_test_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every split the flow loads has its test labels permuted (a fixed permutation)."""
    import dataclasses

    from sslbench.tasks import data

    original = data.load_split

    def permuted(job: Any) -> Any:
        split = original(job)
        return dataclasses.replace(split, y_test=np.random.default_rng(99).permutation(split.y_test))

    monkeypatch.setattr(data, "load_split", permuted)


def _no_training(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("a cached run trained")


def test_tiny_tuned_suite_end_to_end(tmp_path: Path, prefect_api: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Equal budget, tables, report, caching, reproducibility, and no selection on test labels, on one small run."""
    from sslbench.results.store import read_table
    from sslbench.ssl_models.job import JobSpec
    from sslbench.tasks import pretrain
    from sslbench.tasks.data import generate_views, prepare_split
    from sslbench.tasks.evaluate import evaluate_job
    from sslbench.tasks.pretrain import pretrain_job

    out = tmp_path / "out"
    _run(out, "first")
    tuning = _tuning(out, "first")
    trials, tuned = tuning[tuning["kind"] == "trial"], tuning[tuning["kind"] == "tuned"]
    # equal budget: every cell exactly N trials, on the first seed, selected on validation
    assert trials.groupby(["encoder", "objective"]).size().to_dict() == {
        ("mlp", "autoencoder"): 2,
        ("mlp", "simclr"): 2,
    }
    assert (trials["seed"] == 0).all() and (tuning["selected_on"] == "validation").all()
    assert set(tuned["objective"]) == {"autoencoder", "simclr"} and (trials["status"] == "ok").all()
    for _, row in tuned.iterrows():
        cell = trials[trials["objective"] == row["objective"]]
        assert row["value"] == cell["value"].max()  # the best trial on validation
        assert json.loads(cell.iloc[0]["params"])["train.learning_rate"] == 1e-3  # trial 1: the defaults
    jobs = read_table(out, "jobs", {"run_id": "first"}).to_pandas()
    assert sorted(jobs["objective"]) == ["autoencoder", "autoencoder+tuned", "raw", "simclr", "simclr+tuned"]
    report = (out / "reports" / "first" / "report.md").read_text()
    assert "### Default and tuned configurations" in report and "2 trials of 1 epoch" in report
    assert "on validation" in report

    # the stored tuned configuration runs again as a plain JobSpec with the same test metrics
    simclr = tuned[tuned["objective"] == "simclr"].iloc[0]
    job = JobSpec.from_config(json.loads(simclr["config"]))
    assert job.key() == simclr["job_id"]
    again = str(tmp_path / "again")
    split = prepare_split(job, again)
    trained = pretrain_job(job, split, generate_views(job, split, again), again)
    metrics = evaluate_job(job, split, trained, again)["metrics"]
    stored = read_table(out, "metrics", {"run_id": "first", "job_id": job.key()}).to_pandas()
    assert (
        metrics["linear_acc"]
        == stored[(stored["metric"] == "linear_acc") & (stored["split"] == "test")]["value"].item()
    )

    # a second run of the same suite trains nothing: every trial and job comes from the cache
    with monkeypatch.context() as patch:
        patch.setattr(pretrain, "pretrain", _no_training)
        _run(out, "second")
    assert _tuning(out, "second")["cached"].all()

    # permuted test labels: every trial's score and every tuned configuration are unchanged; test scores change
    _permuted_test_labels(monkeypatch)
    _run(tmp_path / "permuted", "permuted")
    permuted = _tuning(tmp_path / "permuted", "permuted")
    columns = ["objective", "kind", "trial", "params", "value"]
    pd.testing.assert_frame_equal(
        tuning[columns].sort_values(columns).reset_index(drop=True),
        permuted[columns].sort_values(columns).reset_index(drop=True),
    )
    test_scores = read_table(tmp_path / "permuted", "metrics", {"metric": "linear_acc", "split": "test"})
    assert test_scores.column("value").to_pandas().max() < 0.5  # the permutation reached the test labels


def test_overrides_keep_the_budget_equal_and_the_space_to_what_the_grid_runs() -> None:
    from sslbench.benchmarks.suite import with_overrides

    suite = load_suite("tuned")
    assert suite.tuning is not None and suite.tuning.trials == 8 and suite.tuning.epochs == 3
    small = with_overrides(suite, objectives=["autoencoder", "simclr"], trials=2, epochs=1)
    assert small.tuning is not None and (small.tuning.trials, small.tuning.epochs) == (2, None)  # trials: 1 epoch
    assert set(small.tuning.space) == {"train", "simclr"}  # byol's range left with byol
    with pytest.raises(SuiteError, match="--trials needs a suite with a \\[tuning\\] section; suite 'quick'"):
        with_overrides(load_suite("quick"), trials=2)
