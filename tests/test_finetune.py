"""The finetune evaluator: an encoder copy + linear head trained end to end, the epoch chosen on validation."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from sslbench.benchmarks.config import SuiteError
from sslbench.benchmarks.plan import make_plan
from sslbench.benchmarks.suite import suite_from_dict
from sslbench.ssl_models.configs import FinetuneConfig, ProbeConfig
from sslbench.ssl_models.data.base import SplitData
from sslbench.ssl_models.data.label_subsets import label_subset
from sslbench.ssl_models.data.splits import validation_rows
from sslbench.ssl_models.encoders import build_encoder
from sslbench.ssl_models.evaluate import EvaluationContext, embed, run_evaluators
from sslbench.ssl_models.evaluate.finetune import fine_tune, finetune_rows
from sslbench.ssl_models.evaluate.probes import linear_probe
from sslbench.ssl_models.job import JobSpec

PROBE = ProbeConfig(linear_c_grid=(1.0,), label_fractions=(0.1, 1.0), label_draws=2)
QUICK = FinetuneConfig(epochs=6, learning_rate=3e-3, batch_size=32, patience=3)


def _split(sample_shape: tuple[int, ...], n_train: int = 240, n_test: int = 120, seed: int = 0) -> SplitData:
    """Two classes told apart by the sign of the first input value only (linearly separable, margin 0.5)."""
    rng = np.random.default_rng(seed)

    def part(n: int) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.integers(0, 2, n)
        inputs = rng.normal(size=(n, *sample_shape)).astype(np.float32)
        flat = inputs.reshape(n, -1)
        flat[:, 0] = (2 * labels - 1) * (0.5 + np.abs(flat[:, 0]))
        return inputs, labels

    (x_train, y_train), (x_test, y_test) = part(n_train), part(n_test)
    return SplitData(
        name="separable",
        modality="vector",
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        train_index=np.arange(n_train),
        test_index=np.arange(n_train, n_train + n_test),
        n_classes=2,
        validation_rows=validation_rows(y_train, n_train, 0.25, seed),
    )


def _encoder(name: str, sample_shape: tuple[int, ...], embedding_dim: int = 4) -> torch.nn.Module:
    torch.manual_seed(0)
    encoder = build_encoder(name, sample_shape, embedding_dim)
    encoder.eval()
    return encoder


def _context(split: SplitData, encoder: torch.nn.Module, config: FinetuneConfig | None, seed: int = 0):
    train, test = embed(encoder, split.x_train), embed(encoder, split.x_test)
    requested = {"finetune": config} if config is not None else {}
    return EvaluationContext(split, seed, train, test, encoder=encoder, probe=PROBE, requested=requested)


def _finetune_metrics(context: EvaluationContext) -> dict[str, float]:
    return {k: v for k, v in run_evaluators(context).items() if "finetune" in k}


def test_finetune_is_off_unless_requested_and_names_its_metrics() -> None:
    split, encoder = _split((12,)), _encoder("mlp", (12,))
    assert _finetune_metrics(_context(split, encoder, None)) == {}
    metrics = _finetune_metrics(_context(split, encoder, QUICK))
    assert {"finetune_acc", "finetune_epoch/validation", "finetune_acc/validation"} <= set(metrics)
    for draw in (0, 1):
        assert f"label_finetune_acc/labels=0.1/draw={draw}" in metrics
        assert 0 <= metrics[f"label_finetune_epoch/validation/labels=0.1/draw={draw}"] <= QUICK.epochs
    assert not any("labels=1" in key for key in metrics)  # 100 % is the plain finetune_acc


def test_permuting_test_labels_and_inputs_changes_neither_the_epoch_nor_the_weights() -> None:
    split, encoder = _split((12,)), _encoder("mlp", (12,))
    rng = np.random.default_rng(3)
    blind = dataclasses.replace(
        split, y_test=rng.permutation(split.y_test), x_test=rng.normal(size=split.x_test.shape).astype(np.float32)
    )
    first = fine_tune(encoder, split, split.fit_rows, split.validation_rows, QUICK, PROBE, 0)
    second = fine_tune(encoder, blind, split.fit_rows, split.validation_rows, QUICK, PROBE, 0)
    assert first.epoch == second.epoch and first.epoch > 0  # the selection did something
    assert first.validation_acc == second.validation_acc
    for (name, a), (_, b) in zip(first.network.state_dict().items(), second.network.state_dict().items()):
        assert torch.equal(a, b), name


@pytest.mark.parametrize("name, sample_shape", [("mlp", (12,)), ("cnn", (1, 8, 8)), ("gru", (2, 16))])
def test_the_jobs_encoder_is_left_byte_equal_and_runs_are_seeded(name: str, sample_shape: tuple[int, ...]) -> None:
    split, encoder = _split(sample_shape), _encoder(name, sample_shape)
    before = {k: v.clone() for k, v in encoder.state_dict().items()}
    metrics = _finetune_metrics(_context(split, encoder, QUICK))
    after = encoder.state_dict()
    assert before.keys() == after.keys() and all(torch.equal(before[k], after[k]) for k in before)
    assert not encoder.training
    assert metrics == _finetune_metrics(_context(split, encoder, QUICK))
    assert metrics["finetune_acc"] > 0.5


def test_with_zero_epochs_finetuning_is_the_frozen_linear_probe_of_the_fitting_rows() -> None:
    split, encoder = _split((12,), seed=4), _encoder("mlp", (12,), embedding_dim=6)
    train, test = embed(encoder, split.x_train), embed(encoder, split.x_test)
    fit = split.fit_rows
    probe = dataclasses.replace(PROBE, linear_c_grid=(0.01, 0.1, 1.0))
    expected, _, _ = linear_probe(train[fit], split.y_train[fit], test, split.y_test, probe, 0)
    context = dataclasses.replace(_context(split, encoder, FinetuneConfig(epochs=0)), probe=probe)
    metrics = _finetune_metrics(context)
    assert metrics["finetune_epoch/validation"] == 0 and metrics["finetune_acc"] == expected


def test_on_a_separable_set_finetuning_beats_the_frozen_probe_of_a_poor_encoder() -> None:
    """A random 2-d embedding of 30-d inputs loses the one separating direction; fine-tuning finds it."""
    split, encoder = _split((30,), n_train=400, n_test=200, seed=1), _encoder("mlp", (30,), embedding_dim=2)
    context = _context(split, encoder, FinetuneConfig(epochs=30, learning_rate=3e-3, batch_size=32, patience=10))
    fit = split.fit_rows
    frozen, _, _ = linear_probe(
        context.train_embeddings[fit], split.y_train[fit], context.test_embeddings, split.y_test, PROBE, 0
    )
    metrics = _finetune_metrics(context)
    assert metrics["finetune_acc"] >= frozen and metrics["finetune_acc"] >= 0.9 > frozen


def test_label_subsets_are_the_probes_draws_and_the_epoch_is_chosen_on_other_validation_rows() -> None:
    split = _split((12,), n_train=400)
    for draw in (0, 1):
        (small, small_held), (large, large_held) = (finetune_rows(split, f, 0, draw) for f in (0.05, 0.3))
        assert np.array_equal(small, label_subset(split.y_train, 0.05, 0, draw))  # the linear probe's own draw
        assert set(small) <= set(large) and set(split.y_train[small]) == {0, 1}
        for rows, held_out in ((small, small_held), (large, large_held)):
            assert not set(rows) & set(held_out) and set(held_out) <= set(split.validation_rows)
            assert len(held_out) >= len(split.validation_rows) - len(rows)
    fit, held_out = finetune_rows(split, 1.0, 0, 0)
    assert np.array_equal(fit, split.fit_rows) and np.array_equal(held_out, split.validation_rows)
    assert not np.array_equal(finetune_rows(split, 0.05, 0, 0)[0], finetune_rows(split, 0.05, 0, 1)[0])


def _suite(**finetune: object) -> dict:
    return {
        "name": "ft",
        "datasets": ["digits"],
        "encoders": ["mlp"],
        "objectives": ["simclr"],
        "baselines": ["raw", "random"],
        "finetune": finetune,
    }


def test_suite_finetune_table_reaches_objective_jobs_only_and_keeps_other_keys() -> None:
    plan = make_plan(suite_from_dict(_suite(epochs=3, learning_rate=1e-3)))
    simclr = next(job for job in plan.jobs if job.objective == "simclr")
    assert simclr.finetune == FinetuneConfig(epochs=3, learning_rate=1e-3)
    assert simclr.requested_evaluators() == {"finetune": simclr.finetune}
    assert all(job.finetune is None for job in plan.jobs if job.baseline)
    assert JobSpec.from_config(simclr.config()) == simclr
    plain = dataclasses.replace(simclr, finetune=None)
    assert "finetune" not in plain.config()  # jobs without fine-tuning keep their keys (and caches)
    without = {k: v for k, v in _suite().items() if k != "finetune"}
    assert "finetune" not in suite_from_dict(without).to_dict()


@pytest.mark.parametrize(
    "finetune, message",
    [
        ({"epoch": 3}, "finetune.epoch: unknown key; valid: epochs, learning_rate, batch_size, weight_decay, patience"),
        ({"learning_rate": -1.0}, "finetune.learning_rate: must be above 0"),
        ({"patience": 0}, "finetune.patience: must be at least 1"),
    ],
)
def test_bad_finetune_settings_are_one_line_naming_the_key(finetune: dict, message: str) -> None:
    with pytest.raises(SuiteError) as error:
        suite_from_dict(_suite(**finetune))
    assert str(error.value).startswith(message) and "\n" not in str(error.value)


def test_bad_finetune_settings_on_the_command_line_exit_2_and_write_nothing(tmp_path: Path, cli) -> None:
    suite = tmp_path / "bad.toml"
    suite.write_text('datasets = ["digits"]\nencoders = ["mlp"]\nobjectives = ["simclr"]\n[finetune]\nlr = 0.1\n')
    done = cli("run", str(suite), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and done.stderr.strip().startswith("sslbench: error: finetune.lr: unknown key")
    assert not (tmp_path / "out").exists()


def test_tiny_finetune_suite_end_to_end(tmp_path: Path, cli, prefect_api: None) -> None:
    """A run with [finetune] shows the fine-tuned table in report.md and stores the metrics in Parquet."""
    from sslbench.results.store import read_table

    suite = tmp_path / "ft.toml"
    suite.write_text(
        "\n".join(
            [
                'datasets = ["digits"]',
                'encoders = ["mlp"]',
                'objectives = ["autoencoder"]',
                'baselines = ["raw"]',
                "embedding_dim = 16",
                "[train]",
                "epochs = 1",
                "[probe]",
                "linear_c_grid = [1.0]",
                "kmeans_restarts = 2",
                "label_fractions = [0.1, 1.0]",
                "[finetune]",
                "epochs = 2",
                "learning_rate = 1e-3",
            ]
        )
        + "\n"
    )
    out = tmp_path / "out"
    done = cli("run", str(suite), "--out", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    metrics = read_table(out, "metrics").to_pandas()
    tuned = metrics[metrics["metric"] == "finetune_acc"]
    assert len(tuned) == 2 and set(tuned["split"]) == {"test", "validation"}  # the objective's job only
    assert (tuned["selected_on"] == "validation-epoch").all() and tuned["value"].between(0.5, 1.0).all()
    assert (metrics["metric"] == "label_finetune_acc").any()
    (report_file,) = (out / "reports").glob("*/report.md")
    report = report_file.read_text()
    assert "Fine-tuned accuracy" in report and "Fine-tuned (encoder + linear head) accuracy against" in report
