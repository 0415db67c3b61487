"""Registries, suite validation and planning."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sslbench.benchmarks.plan import make_plan
from sslbench.benchmarks.suite import SuiteError, load_suite, suite_from_dict, with_overrides
from sslbench.ssl_models.registry import Registry, UnknownNameError


def test_unknown_name_error_lists_valid_choices() -> None:
    registry: Registry[int] = Registry("widget")
    registry.register("b")(1)
    registry.register("a")(2)
    with pytest.raises(UnknownNameError, match="unknown widget 'c'; valid widgets: a, b"):
        registry.get("c")


def test_registering_a_name_twice_is_refused() -> None:
    registry: Registry[int] = Registry("widget")
    registry.register("a")(1)
    with pytest.raises(ValueError, match="registered twice"):
        registry.register("a")(2)


def test_quick_suite_loads_and_round_trips_through_dict() -> None:
    suite = load_suite("quick")
    assert suite.datasets == ("mnist5k", "digits")
    assert suite_from_dict(suite.to_dict()) == suite
    assert suite.content_hash() == suite_from_dict(suite.to_dict()).content_hash()


def test_unknown_suite_key_names_the_valid_keys() -> None:
    with pytest.raises(SuiteError, match="^epochz: unknown key; valid: name, description, datasets"):
        suite_from_dict({"datasets": ["digits"], "encoders": ["mlp"], "epochz": 3})


def test_unknown_train_key_is_refused() -> None:
    with pytest.raises(SuiteError, match=r"^train\.lr: unknown key; valid: epochs, .*learning_rate"):
        suite_from_dict({"datasets": ["digits"], "encoders": ["mlp"], "train": {"lr": 0.1}})


def test_unknown_suite_name_lists_shipped_suites() -> None:
    with pytest.raises(SuiteError, match="valid suites: .*quick"):
        load_suite("nope")


def test_overrides_replace_grid_axes_and_epochs() -> None:
    suite = with_overrides(load_suite("quick"), datasets=["digits"], seeds=[3, 4], epochs=2)
    assert suite.datasets == ("digits",) and suite.seeds == (3, 4) and suite.train.epochs == 2


def test_plan_puts_baselines_first_and_keys_jobs_by_content(tiny_suite: Path) -> None:
    plan = make_plan(load_suite(str(tiny_suite)))
    objectives = [job.objective for job in plan.jobs]
    assert objectives == ["raw", "pca", "autoencoder", "simclr"]
    keys = {job.key() for job in plan.jobs}
    assert len(keys) == len(plan.jobs)
    suite = load_suite(str(tiny_suite))
    again = make_plan(dataclasses.replace(suite, train=dataclasses.replace(suite.train, epochs=2)))
    assert {job.key() for job in again.jobs if job.uses_encoder}.isdisjoint(keys)


def test_plan_rejects_unknown_names_with_choices(tiny_suite: Path) -> None:
    suite = load_suite(str(tiny_suite))
    with pytest.raises(UnknownNameError, match="unknown objective 'simclrr'; valid objectives: .*simclr"):
        make_plan(with_overrides(suite, objectives=["simclrr"]))
    with pytest.raises(UnknownNameError, match="unknown dataset 'no_such_data'; valid datasets: .*digits"):
        make_plan(with_overrides(suite, datasets=["no_such_data"]))


def test_plan_skips_incompatible_pairs_with_a_reason(tiny_suite: Path) -> None:
    suite = with_overrides(load_suite(str(tiny_suite)), encoders=["mlp", "cnn"], datasets=["digits"])
    plan = make_plan(suite)
    assert any(job.encoder == "cnn" for job in plan.jobs)
    assert all(skip.reason for skip in plan.skipped)


def test_variant_pairs_only_with_its_partners() -> None:
    suite = suite_from_dict(
        {
            "datasets": ["digits"],
            "encoders": ["mlp", "linear"],
            "objectives": ["linear_ae"],
            "baselines": [],
            "variants": {"linear_ae": {"objective": "autoencoder", "decoder": "linear", "pairs_with": ["linear"]}},
        }
    )
    plan = make_plan(suite)
    assert [(j.encoder, j.objective, dict(j.objective_options)) for j in plan.jobs] == [
        ("linear", "linear_ae", {"decoder": "linear"})
    ]
    assert plan.skipped[0].encoder == "mlp" and "pairs only with linear" in plan.skipped[0].reason


def test_empty_grid_is_an_error() -> None:
    suite = suite_from_dict({"datasets": ["digits"], "encoders": ["mlp"], "objectives": [], "baselines": []})
    with pytest.raises(SuiteError, match="grid is empty"):
        make_plan(suite)


def test_every_shipped_suite_plans() -> None:
    from sslbench.benchmarks.suite import available_suites, load_suite

    for name in available_suites():
        if name == "byod":
            continue  # needs the user's data file
        assert make_plan(load_suite(name)).jobs, name


def test_standard_suite_compares_simclr_with_supervised_at_the_same_longer_budget() -> None:
    """The long-budget CNN variant trains SimCLR, the supervised upper bound and nothing else, with one budget."""
    from sslbench.benchmarks.suite import load_suite

    plan = make_plan(load_suite("standard"))
    long_jobs = [j for j in plan.jobs if j.encoder == "cnn_long" and j.seed == 0]
    assert sorted(j.objective for j in long_jobs) == ["random", "simclr", "supervised"]
    assert len({(j.train, tuple(sorted(j.encoder_options.items()))) for j in long_jobs}) == 1
    assert long_jobs[0].train.epochs > plan.jobs[0].train.epochs
    assert {j.objective for j in plan.jobs if j.encoder == "cnn"} >= {"simsiam", "simsiam_no_stopgrad", "supervised"}
    assert len({j.seed for j in plan.jobs}) == 3


def test_jobs_that_train_nothing_go_first_then_the_most_training_work() -> None:
    """The flow's submission order is a permutation of the plan: every job that trains nothing first, then the
    training jobs by epochs × views per example, largest first, in plan order among equals."""
    from sslbench.benchmarks.plan import expected_training_work, submission_order

    plan = make_plan(with_overrides(load_suite("labels"), seeds=[0, 1]))
    order = submission_order(plan.jobs)
    assert sorted(job.key() for job in order) == sorted(job.key() for job in plan.jobs)
    trains = [job.trains for job in order]
    assert trains == sorted(trains) and not trains[0] and trains[-1]
    work = [expected_training_work(job) for job in order if job.trains]
    assert work == sorted(work, reverse=True)
    for value in set(work):  # among equals, the plan's order
        equal = [job.key() for job in order if job.trains and expected_training_work(job) == value]
        assert equal == [job.key() for job in plan.jobs if job.trains and expected_training_work(job) == value]
    by_kind = {(job.objective, job.label_fraction): expected_training_work(job) for job in plan.jobs}
    epochs = plan.jobs[0].train.epochs
    assert by_kind[("simclr", 1.0)] == (1, 2 * epochs) and by_kind[("autoencoder", 1.0)] == (1, epochs)
    # a label subset trains the steps of a run on every label
    assert by_kind[("supervised", 1.0)] == by_kind[("supervised", 0.01)] == (1, epochs)
    assert by_kind[("raw", 1.0)] == by_kind[("random", 1.0)] == (0, 0.0)
    # the views each objective declares: BYOL's two groups of one view, DINO's 2 global and 6 local crops
    standard = {job.objective: expected_training_work(job) for job in make_plan(load_suite("standard")).jobs}
    assert standard["byol"] == (1, 2 * 8) and standard["dino"] == (1, 8 * 8)


def test_fixed_step_budgets_rank_by_steps_times_batch_before_epoch_budgets(tiny_suite: Path) -> None:
    from sslbench.benchmarks.plan import expected_training_work, submission_order
    from sslbench.ssl_models.configs import TrainConfig

    (autoencoder,) = [job for job in make_plan(load_suite(str(tiny_suite))).jobs if job.objective == "autoencoder"]
    fixed = dataclasses.replace(autoencoder, train=TrainConfig(iterations=200, large_set_iterations=600, batch_size=8))
    longer = dataclasses.replace(autoencoder, train=dataclasses.replace(autoencoder.train, epochs=50))
    assert expected_training_work(fixed) == (2, 600 * 8)
    assert submission_order([autoencoder, longer, fixed]) == [fixed, longer, autoencoder]
