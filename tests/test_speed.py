"""The speed work keeps results: thread policy, device-resident batches, opt-in bf16, the efficiency benchmark."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import torch
from sslbench.benchmarks.perf import encoder_efficiency
from sslbench.flows import runtime
from sslbench.ssl_models import threads
from sslbench.ssl_models.encoders import build_encoder
from sslbench.ssl_models.objectives import build_objective
from sslbench.ssl_models.train import TrainConfig, iterate_batches, pretrain
from torch.utils.flop_counter import FlopCounterMode


def test_policy_is_in_the_environment_and_the_users_settings_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    runtime.configure()
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE" and os.environ["OMP_NUM_THREADS"] == "3"
    assert threads.job_threads() == 3


def test_tests_run_under_the_policy_one_torch_thread() -> None:
    assert torch.get_num_threads() == threads.job_threads() == int(os.environ["OMP_NUM_THREADS"])


def test_single_threaded_blas_limits_blas_inside_and_restores_it() -> None:
    from threadpoolctl import threadpool_info

    with threads.single_threaded_blas():
        assert all(pool["num_threads"] == 1 for pool in threadpool_info())


@pytest.mark.parametrize("n_views, bank_views", [(2, 4), (1, 1), (0, 3)])
def test_device_resident_batches_equal_host_batches(n_views: int, bank_views: int) -> None:
    rng = np.random.default_rng(0)
    inputs, labels = rng.random((37, 2, 3)).astype(np.float32), rng.integers(0, 5, 37)
    bank = rng.random((37, bank_views, 2, 3)).astype(np.float32)
    host = list(iterate_batches(inputs, labels, bank, n_views, 8, np.random.default_rng(1)))
    resident = list(
        iterate_batches(*(torch.from_numpy(a) for a in (inputs, labels, bank)), n_views, 8, np.random.default_rng(1))
    )
    assert len(host) == len(resident) == 4
    for a, b in zip(host, resident):
        assert torch.equal(a.inputs, b.inputs) and torch.equal(a.labels, b.labels)
        assert (a.views is None and b.views is None) if not n_views else torch.equal(a.views, b.views)


def _trained(precision: str, seed: int = 0) -> tuple[list[float], dict[str, torch.Tensor]]:
    torch.manual_seed(seed)
    objective = build_objective("autoencoder", build_encoder("mlp", (1, 8, 8), 8))
    inputs = np.random.default_rng(seed).random((96, 1, 8, 8)).astype(np.float32)
    result = pretrain(
        objective, inputs, TrainConfig(epochs=2, batch_size=32, precision=precision), seed, device=torch.device("cpu")
    )
    return result.history, objective.state_dict()


def test_pretraining_is_bit_identical_for_a_fixed_policy_and_bf16_is_opt_in_and_close() -> None:
    (history, weights), (again, weights_again) = _trained("float32"), _trained("float32")
    assert history == again and all(torch.equal(weights[k], weights_again[k]) for k in weights)
    bf16_history, _ = _trained("bfloat16")
    assert np.all(np.isfinite(bf16_history)) and bf16_history != history
    assert np.allclose(bf16_history, history, rtol=0.1)


def test_an_unknown_precision_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="train.precision must be one of float32, bfloat16, got 'half'"):
        TrainConfig(precision="half")


@pytest.mark.parametrize("groups", [1, 4, 16])
def test_convolution_flops_count_each_gradient_as_one_forward_for_any_groups(groups: int) -> None:
    inputs = torch.randn(3, 16, 20, requires_grad=True)
    weight = torch.randn(16, 16 // groups, 5, requires_grad=True)
    forward = 2 * 3 * 16 * (16 // groups) * 5 * 16  # batch · c_out · c_in/groups · kernel · output positions
    outputs = torch.nn.functional.conv1d(inputs, weight, groups=groups)
    mapping = {torch.ops.aten.convolution_backward: encoder_efficiency.conv_backward_flops}
    with FlopCounterMode(display=False, custom_mapping=mapping) as counter:
        outputs.sum().backward()
    assert counter.get_total_flops() == 2 * forward
    outputs = torch.nn.functional.conv1d(inputs, weight.detach(), groups=groups)  # the input's gradient only
    with FlopCounterMode(display=False, custom_mapping=mapping) as counter:
        outputs.sum().backward()
    assert counter.get_total_flops() == forward


def test_step_flops_of_a_linear_autoencoder_match_the_hand_count() -> None:
    torch.manual_seed(0)
    objective = build_objective("autoencoder", build_encoder("linear", (1, 8, 8), 16), {"decoder": "linear"})
    inputs = np.random.default_rng(0).random((40, 1, 8, 8)).astype(np.float32)
    # forward: encoder and decoder, 2·B·64·16 each; backward: decoder weight and input grads, encoder weight grad
    assert encoder_efficiency.step_flops(objective, inputs, None, 32, 0) == 5 * 2 * 32 * 64 * 16


def test_efficiency_benchmark_writes_parquet_and_markdown(tmp_path: Path) -> None:
    report = encoder_efficiency.main(
        [
            "--families",
            "mlp",
            "--examples",
            "64",
            "--batch-size",
            "32",
            "--repeats",
            "1",
            "--skip-stages",
            "--out",
            str(tmp_path),
        ]
    )
    (row,) = report["families"]
    assert row["suite_samples_per_s"] > 0 and row["plain_samples_per_s"] > 0 and 0 < row["efficiency"]
    assert pq.read_table(tmp_path / "encoder_efficiency.parquet").column("family").to_pylist() == ["mlp"]
    assert "| mlp |" in (tmp_path / "encoder_efficiency.md").read_text()
