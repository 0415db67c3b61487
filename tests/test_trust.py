"""Numbers people can trust: a frozen, untouched encoder; probes fitted on train only; verified caches;
users' data files validated with clear messages; a run reproduced from its tables."""

from __future__ import annotations

import dataclasses
from datetime import UTC
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from cli_runs import Cli, TinyRun
from helpers import evaluate_embeddings
from sslbench.benchmarks.plan import make_plan
from sslbench.benchmarks.suite import load_suite, with_overrides
from sslbench.ssl_models import data
from sslbench.ssl_models.data.user_file import UserDataError, load_user_file
from sslbench.ssl_models.encoders import build_encoder
from sslbench.ssl_models.evaluate import ProbeConfig, embed
from sslbench.ssl_models.evaluate.probes import fit_linear_probe
from sslbench.tasks.data import prepare_split
from sslbench.tasks.pretrain import pretrain_job


def test_evaluation_leaves_weights_and_batchnorm_statistics_unchanged() -> None:
    split = data.load("digits", 0)
    encoder = build_encoder("cnn", split.sample_shape, 16)
    encoder.train()
    with torch.no_grad():
        encoder(torch.from_numpy(split.x_train[:64]))  # move BatchNorm running statistics off their init
    before = {k: v.clone() for k, v in encoder.state_dict().items()}
    train, test = embed(encoder, split.x_train), embed(encoder, split.x_test)
    evaluate_embeddings(
        train, split.y_train, test, split.y_test, 10, 0, ProbeConfig(linear_c_grid=(1.0,), kmeans_restarts=1)
    )
    after = encoder.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert encoder.training, "embed restores the caller's train/eval mode"


def test_embedding_uses_eval_mode_batchnorm() -> None:
    split = data.load("digits", 0)
    encoder = build_encoder("cnn", split.sample_shape, 16).train()
    one = embed(encoder, split.x_test[:1])
    many = embed(encoder, split.x_test[:32])[:1]
    assert np.allclose(one, many, atol=1e-5), "in eval mode an example's embedding cannot depend on its batch"


def test_test_labels_cannot_influence_the_fitted_probe() -> None:
    rng = np.random.default_rng(0)
    train, y_train = rng.standard_normal((200, 6)), rng.integers(0, 3, 200)
    test = rng.standard_normal((50, 6))
    config = ProbeConfig(linear_c_grid=(0.01, 0.1, 1.0))
    model_a, c_a = fit_linear_probe(train, y_train, config, seed=0)
    model_b, c_b = fit_linear_probe(train, y_train, config, seed=0)
    assert c_a == c_b and np.array_equal(model_a.predict_proba(test), model_b.predict_proba(test))
    y_test, shuffled = rng.integers(0, 3, 50), rng.permutation(3)[rng.integers(0, 3, 50)]
    first = evaluate_embeddings(train, y_train, test, y_test, 3, 0, config)
    second = evaluate_embeddings(train, y_train, test, shuffled, 3, 0, config)
    assert first["linear_c"] == second["linear_c"] and first["effective_rank"] == second["effective_rank"]


def _tiny_job(tmp_path: Path):
    suite = with_overrides(
        load_suite("quick"), datasets=["digits"], encoders=["mlp"], objectives=["autoencoder"], epochs=1, baselines=[]
    )
    job = make_plan(suite).jobs[0]
    return job, prepare_split(job, str(tmp_path))


def test_tampered_or_truncated_checkpoint_is_recomputed_not_trusted(tmp_path: Path) -> None:
    job, split = _tiny_job(tmp_path)
    first = pretrain_job(job, split, None, str(tmp_path))
    assert not first["cached"] and pretrain_job(job, split, None, str(tmp_path))["cached"]
    checkpoint = Path(first["checkpoint"])
    checkpoint.write_bytes(checkpoint.read_bytes()[:-100])
    again = pretrain_job(job, split, None, str(tmp_path))
    assert not again["cached"] and again["history"] == first["history"]
    record = tmp_path / "cache" / "pretrain" / f"{job.key()}.json"
    record.write_text(record.read_text().replace('"history": [', '"history": [9.0, '))
    assert not pretrain_job(job, split, None, str(tmp_path))["cached"]


def test_tampered_split_is_rebuilt(tmp_path: Path) -> None:
    job, split = _tiny_job(tmp_path)
    Path(split).write_bytes(b"not an npz")
    rebuilt = prepare_split(job, str(tmp_path))
    assert data.SplitData.load(Path(rebuilt)).fingerprint() == data.load("digits", 0).fingerprint()


def _npz(path: Path, **arrays: np.ndarray) -> Path:
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    "arrays, message",
    [
        (
            {"inputs": np.array([[1.0, np.nan], [0.0, 1.0]]), "labels": np.array([0, 1])},
            "'inputs' has NaN or infinite values in 1 examples",
        ),
        ({"inputs": np.zeros((4, 3)), "labels": np.array([1, 1, 1, 1])}, "'labels' has a single class"),
        ({"inputs": np.zeros((4, 3)), "labels": np.array([0, 1, 0])}, "'labels' has 3 entries but there are 4 inputs"),
        ({"inputs": np.zeros((4,))}, "'inputs' has shape"),
        (
            {"inputs": np.zeros((4, 3)), "split": np.array(["train", "test", "val", "train"])},
            "'split' values \\['val'\\]",
        ),
        ({"values": np.zeros((4, 3))}, "no array 'inputs'"),
    ],
)
def test_bad_user_files_name_the_file_and_column(tmp_path: Path, arrays: dict[str, np.ndarray], message: str) -> None:
    path = _npz(tmp_path / "mine.npz", **arrays)
    with pytest.raises(UserDataError, match=message) as error:
        load_user_file(path)
    assert "mine.npz" in str(error.value)


def test_parquet_with_ragged_rows_or_a_wrong_declared_shape_is_refused(tmp_path: Path) -> None:
    ragged = tmp_path / "ragged.parquet"
    pq.write_table(pa.table({"input": [[1.0, 2.0], [1.0]], "label": ["a", "b"]}), ragged)
    with pytest.raises(UserDataError, match="ragged.parquet: column 'input' has rows of different lengths"):
        load_user_file(ragged)
    good = tmp_path / "images.parquet"
    pq.write_table(pa.table({"input": [[0.5] * 64] * 4, "label": ["a", "b", "a", "b"]}), good)
    with pytest.raises(UserDataError, match="declared shape \\(1, 9, 9\\) needs 81"):
        load_user_file(good, input_shape=(1, 9, 9))
    loaded = load_user_file(good, input_shape=(1, 8, 8))
    assert loaded.modality == "image" and loaded.inputs.shape == (4, 1, 8, 8) and list(loaded.labels) == [0, 1, 0, 1]


def test_unlabelled_user_data_gets_label_free_metrics_and_no_supervised_baseline(tmp_path: Path) -> None:
    digits = data.load("digits", 0)
    path = _npz(tmp_path / "unlabelled.npz", inputs=digits.x_train.reshape(len(digits.x_train), -1)[:300])
    suite = with_overrides(load_suite("byod"), data_file=path, epochs=1, seeds=[0])
    plan = make_plan(suite)
    assert {job.objective for job in plan.jobs} >= {"raw", "pca", "random", "autoencoder", "simclr"}
    assert "supervised" not in {job.objective for job in plan.jobs}
    assert any(s.objective == "supervised" and s.reason == "the data has no labels" for s in plan.skipped)
    assert any(s.encoder == "cnn" and "vector" in s.reason for s in plan.skipped)
    rng = np.random.default_rng(0)
    metrics = evaluate_embeddings(rng.standard_normal((100, 4)), None, rng.standard_normal((60, 4)), None, 0, 0)
    assert "linear_acc" not in metrics and "kmeans_nmi" not in metrics
    assert {"kmeans_silhouette", "effective_rank", "embedding_std"} <= set(metrics)


@pytest.mark.slow
def test_a_run_is_reproduced_metric_by_metric_from_its_tables(
    tiny_run: TinyRun, tmp_path: Path, prefect_api: None, cli: Cli
) -> None:
    out = tiny_run.copy(tmp_path)
    run_id = next((out / "tables" / "runs").iterdir()).name.removeprefix("run_id=")
    again = cli("reproduce", run_id, "--out", str(out))
    assert again.returncode == 0, again.stdout + again.stderr
    assert "splits: identical" in again.stdout and f"run {run_id} reproduced" in again.stdout
    assert "differs" not in again.stdout


@pytest.mark.slow
def test_user_data_file_runs_end_to_end(tmp_path: Path, prefect_api: None, cli: Cli) -> None:
    digits = data.load("digits", 0)
    inputs = np.concatenate([digits.x_train, digits.x_test]).reshape(-1, 64)[:400]
    labels = np.concatenate([digits.y_train, digits.y_test])[:400].astype(str)
    path = _npz(tmp_path / "my_digits.npz", inputs=inputs, labels=labels)
    out = tmp_path / "out"
    done = cli(
        "run", "--data", str(path), "--out", str(out), "--seeds", "0", "--epochs", "1", "--objectives", "autoencoder"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "my_digits · mlp · autoencoder · seed 0" in done.stdout and "Traceback" not in done.stderr
    bad = _npz(tmp_path / "bad.npz", inputs=np.zeros((4, 3)), labels=np.ones(4))
    refused = cli("run", "--data", str(bad), "--out", str(tmp_path / "o2"))
    assert refused.returncode == 2 and "bad.npz: 'labels' has a single class" in refused.stderr
    assert not (tmp_path / "o2").exists()


def test_report_says_why_probes_are_absent_for_unlabelled_data(tmp_path: Path) -> None:
    from datetime import datetime

    from sslbench.results.report import build_report
    from sslbench.results.store import write_rows

    for job_id, objective, value in [("a", "simclr", 0.4), ("b", "raw", 0.2)]:
        write_rows(
            tmp_path,
            "metrics",
            "r",
            [{"job_id": job_id, "metric": "kmeans_silhouette", "split": "test", "value": value}],
            part=job_id,
        )
        write_rows(
            tmp_path,
            "jobs",
            "r",
            [
                {
                    "job_id": job_id,
                    "dataset": "mine",
                    "encoder": "mlp" if objective != "raw" else "",
                    "objective": objective,
                    "family": "contrastive",
                    "seed": 0,
                    "status": "ok",
                }
            ],
            part=job_id,
        )
    write_rows(
        tmp_path,
        "runs",
        "r",
        [{"suite": "byod", "status": "ok", "started": datetime.now(UTC), "n_jobs": 2, "n_failed": 0}],
        part="run",
    )
    report = (build_report(tmp_path, "r") / "report.md").read_text()
    assert "This dataset has no labels" in report and "silhouette" in report.lower()


def test_a_dataset_whose_content_changed_gets_a_new_split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A split cached under the same name is not reused once the loader returns other data (e.g. a new version)."""
    from sslbench import tasks

    job, split = _tiny_job(tmp_path)
    original = data.SplitData.load(Path(split))
    changed = dataclasses.replace(original, x_train=original.x_train[:-1] + 0.5, y_train=original.y_train[:-1])
    monkeypatch.setattr(tasks.data, "load_split", lambda _job: changed)
    rebuilt = data.SplitData.load(Path(prepare_split(job, str(tmp_path))))
    assert rebuilt.fingerprint() == changed.fingerprint() != original.fingerprint()


def test_trained_and_evaluated_results_are_not_reused_for_a_changed_split(tmp_path: Path) -> None:
    from sslbench.tasks.evaluate import evaluate_baseline

    job, split = _tiny_job(tmp_path)
    baseline = dataclasses.replace(
        job, encoder="", encoder_name="", objective="raw", objective_name="", family="baseline", baseline="raw"
    )
    assert pretrain_job(job, split, None, str(tmp_path))["cached"] is False
    assert evaluate_baseline(baseline, split, str(tmp_path))["cached"] is False
    assert (
        pretrain_job(job, split, None, str(tmp_path))["cached"]
        and evaluate_baseline(baseline, split, str(tmp_path))["cached"]
    )
    original = data.SplitData.load(Path(split))
    changed = dataclasses.replace(original, x_train=original.x_train + 0.25)
    changed.save(Path(split))
    Path(split).with_suffix(".json").unlink()
    assert pretrain_job(job, split, None, str(tmp_path))["cached"] is False
    assert evaluate_baseline(baseline, split, str(tmp_path))["cached"] is False
