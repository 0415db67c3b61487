"""Compute efficiency of every encoder family, and where a suite's wall time goes; one run, Parquet + Markdown.

(a) Per encoder family (MLP, CNN, GNN, SSM, selective SSM, GRU, Transformer) on MNIST-5k, the families suite's
    step (SimCLR, batch 256, a bank of augmented views), trained by the suite's loop and by a minimal
    hand-written loop (``benchmarks.perf.pretrain_step``), runs interleaved:
    - samples/s of each loop and their ratio (goal ≥ 0.9, i.e. within 10 %);
    - achieved FLOP/s = FLOPs of one step (``torch.utils.flop_counter.FlopCounterMode``: matmuls and
      convolutions, forward + backward; a grouped convolution's weight gradient counted as its forward, since
      torch's formula drops the groups and counts a depthwise kernel's once per channel pair) × steps ÷ seconds,
      divided by the FLOP/s of a large float32 matmul (2n³ FLOPs for n × n) measured in the same run: the
      fraction of the practical limit the step reaches.
      Both are per CPU-second of this (single-threaded) process, so other processes on the cores change them
      little; wall-clock samples/s are reported too.
(b) Each pipeline stage's share of a suite's wall time (split, bank, pretrain, embed, probe, report; "other" is
    the rest: Prefect, tables, checkpoints), the suite run through the real flow from an empty ``--out``.

Everything runs under the flow's thread policy (``ssl_models.threads``: passive OpenMP, one torch thread).

    python -m sslbench.benchmarks.perf.encoder_efficiency --out perf-out [--families mlp,cnn] [--examples 512]
        [--repeats 3] [--suite quick] [--datasets digits] [--skip-stages]
"""

from __future__ import annotations

from sslbench.flows import runtime

runtime.configure()  # the thread policy, before torch is imported

import argparse  # noqa: E402
import contextlib  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
import torch  # noqa: E402
from sslbench.benchmarks.perf.pretrain_step import make_objective, plain_loop, suite_loop  # noqa: E402
from sslbench.ssl_models import data, threads  # noqa: E402
from sslbench.ssl_models.augment import DEFAULT_AUGMENTATION, generate_bank, open_bank  # noqa: E402
from sslbench.ssl_models.objectives import Objective  # noqa: E402
from sslbench.ssl_models.train import TrainConfig, iterate_batches  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode, conv_flop_count  # noqa: E402

FAMILIES = ("mlp", "cnn", "gnn", "ssm", "selective_ssm", "gru", "transformer")
GOAL_LOOP_RATIO = 0.9
GOAL_EFFICIENCY = {"cnn": 0.45, "gnn": 0.15, "ssm": 0.15, "selective_ssm": 0.15}
STAGES = ("split", "bank", "pretrain", "embed", "probe", "report")


def matmul_flops_per_second(size: int = 2048, repeats: int = 5) -> float:
    """Median FLOP per CPU-second of a float32 (size × size) @ (size × size) matmul: 2·size³ FLOPs per product."""
    generator = torch.Generator().manual_seed(0)
    left, right = torch.randn(size, size, generator=generator), torch.randn(size, size, generator=generator)
    left @ right
    seconds = []
    for _ in range(repeats):
        started = time.process_time()
        left @ right
        seconds.append(time.process_time() - started)
    return 2 * size**3 / statistics.median(seconds)


def conv_backward_flops(
    grad_out_shape: Sequence[int],
    x_shape: Sequence[int],
    w_shape: Sequence[int],
    *args: Any,
    **kwargs: Any,
) -> int:
    """FLOPs of ``aten.convolution_backward``: each requested gradient (input, weight) costs what the forward does,
    2·batch·∏(output positions)·∏(weight shape) (w = (c_out, c_in / groups, *kernel)), for any groups."""
    transposed, output_mask = args[4], args[7]
    forward = conv_flop_count(list(x_shape), list(w_shape), list(grad_out_shape), transposed)
    return forward * (int(output_mask[0]) + int(output_mask[1]))


def step_flops(objective: Objective, inputs: np.ndarray, bank: np.ndarray, batch_size: int, seed: int) -> int:
    """FLOPs (matmuls and convolutions) of one training step: the loss's forward and backward on one batch."""
    batch = next(iterate_batches(inputs, None, bank, objective.n_views, batch_size, np.random.default_rng(seed)))
    objective.train()
    with FlopCounterMode(
        display=False, custom_mapping={torch.ops.aten.convolution_backward: conv_backward_flops}
    ) as counter:
        objective(batch).backward()
    objective.zero_grad(set_to_none=True)
    return int(counter.get_total_flops())


def measure_family(
    family: str, args: argparse.Namespace, inputs: np.ndarray, bank: np.ndarray, limit: float
) -> dict[str, Any]:
    """Interleaved suite-loop and plain-loop runs of one family; medians, paired ratio, FLOP efficiency."""
    config = TrainConfig(epochs=1, batch_size=args.batch_size, learning_rate=1e-3)
    shape = tuple(inputs.shape[1:])
    build = lambda: make_objective(family, "simclr", shape, args.embedding_dim, args.seed)  # noqa: E731
    flops = step_flops(build(), inputs, bank, args.batch_size, args.seed)
    loops: dict[str, Callable[..., int]] = {"suite": suite_loop, "plain": plain_loop}
    for loop in loops.values():  # untimed warm-up of each
        loop(build(), inputs[: args.batch_size], bank[: args.batch_size], config, args.seed)
    rates: dict[str, list[float]] = {name: [] for name in loops}
    cpu_rates: dict[str, list[float]] = {name: [] for name in loops}
    for repeat in range(args.repeats):
        for name in list(loops) if repeat % 2 == 0 else list(reversed(loops)):
            objective = build()
            wall, cpu = time.perf_counter(), time.process_time()
            samples = loops[name](objective, inputs, bank, config, args.seed)
            rates[name].append(samples / (time.perf_counter() - wall))
            cpu_rates[name].append(samples / (time.process_time() - cpu))
    suite_cpu_rate = statistics.median(cpu_rates["suite"])
    achieved = flops / args.batch_size * suite_cpu_rate
    return {
        "family": family,
        "suite_samples_per_s": statistics.median(rates["suite"]),
        "plain_samples_per_s": statistics.median(rates["plain"]),
        "suite_samples_per_cpu_s": suite_cpu_rate,
        "plain_samples_per_cpu_s": statistics.median(cpu_rates["plain"]),
        "loop_ratio": statistics.median(s / p for s, p in zip(cpu_rates["suite"], cpu_rates["plain"])),
        "wall_loop_ratio": statistics.median(s / p for s, p in zip(rates["suite"], rates["plain"])),
        "step_gflop": flops / 1e9,
        "achieved_gflop_per_s": achieved / 1e9,
        "matmul_gflop_per_s": limit / 1e9,
        "efficiency": achieved / limit,
        "efficiency_goal": GOAL_EFFICIENCY.get(family, float("nan")),
    }


@contextlib.contextmanager
def stage_clocks() -> Iterator[dict[str, float]]:
    """Seconds spent in each stage's work during the block, summed over jobs, by timing the functions the tasks call."""

    from sslbench import ssl_models, tasks

    seconds = dict.fromkeys(STAGES, 0.0)
    targets = [
        (tasks.data, "load_split", "split"),
        (ssl_models.augment, "generate_bank", "bank"),
        (tasks.pretrain, "pretrain", "pretrain"),
        (tasks.evaluate, "embed", "embed"),
        (tasks.evaluate, "run_evaluators", "probe"),
        (tasks.evaluate, "validation_metrics", "probe"),
        (tasks.evaluate, "label_efficiency_metrics", "probe"),
        (tasks.report, "build_report", "report"),
    ]
    originals = [(module, name, getattr(module, name)) for module, name, _ in targets]

    def timed(function: Callable[..., Any], stage: str) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                seconds[stage] += time.perf_counter() - started

        return wrapper

    for (module, name, stage), (_, _, original) in zip(targets, originals):
        setattr(module, name, timed(original, stage))
    try:
        yield seconds
    finally:
        for module, name, original in originals:
            setattr(module, name, original)


def measure_stages(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Run a suite through the flow (thread runner, the CLI's defaults) from an empty folder; each stage's share."""
    from sslbench.benchmarks.suite import load_suite, with_overrides
    from sslbench.flows.benchmark import api_shared_with_workers, benchmark_flow, new_run_id, task_runner

    suite = with_overrides(load_suite(args.suite), datasets=args.datasets.split(",") if args.datasets else None)
    with tempfile.TemporaryDirectory() as scratch, api_shared_with_workers(), stage_clocks() as seconds:
        started = time.perf_counter()
        benchmark_flow.with_options(task_runner=task_runner("thread"))(
            suite=suite.to_dict(), out_dir=scratch, run_id=new_run_id(suite), use_cache=False
        )
        wall = time.perf_counter() - started
    busy = sum(seconds.values())
    rows = [
        {
            "suite": suite.name,
            "stage": stage,
            "seconds": value,
            "share_of_stage_time": value / busy if busy else 0.0,
            "suite_wall_s": wall,
        }
        for stage, value in seconds.items()
    ]
    workers = os.cpu_count() or 1
    other = max(0.0, wall * workers - busy)  # worker-seconds not in a stage: Prefect, tables, checkpoints, idle
    rows.append(
        {
            "suite": suite.name,
            "stage": "other (worker-seconds)",
            "seconds": other,
            "share_of_stage_time": float("nan"),
            "suite_wall_s": wall,
        }
    )
    return rows


def _markdown(families: list[dict[str, Any]], stages: list[dict[str, Any]], context: dict[str, Any]) -> str:
    lines = [
        f"# Encoder efficiency ({context['when']}, load average {context['load_start']:.1f} → "
        f"{context['load_end']:.1f} on {context['cores']} cores, {context['torch_threads']} torch thread)",
        "",
        f"Matmul limit: {families[0]['matmul_gflop_per_s']:.1f} GFLOP per CPU-second (float32, this run)."
        if families
        else "",
        "",
        "| family | suite samples/CPU-s | plain samples/CPU-s | suite ÷ plain (CPU; wall) | suite samples/s (wall) "
        "| GFLOP/step | GFLOP/CPU-s | ÷ matmul | goal |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in families:
        goal = "" if np.isnan(row["efficiency_goal"]) else f"≥ {row['efficiency_goal']:.2f}"
        lines.append(
            f"| {row['family']} | {row['suite_samples_per_cpu_s']:.0f} | {row['plain_samples_per_cpu_s']:.0f} | "
            f"{row['loop_ratio']:.2f}; {row['wall_loop_ratio']:.2f} | {row['suite_samples_per_s']:.0f} | "
            f"{row['step_gflop']:.2f} | {row['achieved_gflop_per_s']:.1f} | {row['efficiency']:.2f} | {goal} |"
        )
    if stages:
        lines += [
            "",
            f"## Stages of the {stages[0]['suite']} suite: {stages[0]['suite_wall_s']:.0f} s wall from an empty folder",
            "",
            "| stage | seconds | share |",
            "|---|---|---|",
        ]
        for row in stages:
            share = "" if np.isnan(row["share_of_stage_time"]) else f"{100 * row['share_of_stage_time']:.0f} %"
            lines.append(f"| {row['stage']} | {row['seconds']:.1f} | {share} |")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", default=",".join(FAMILIES), help="comma-separated encoder registry names")
    parser.add_argument("--examples", type=int, default=512, help="MNIST-5k training examples per timed epoch")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each loop per family")
    parser.add_argument("--suite", default="quick", help="suite whose stages are timed")
    parser.add_argument("--datasets", help="comma-separated subset of that suite's datasets")
    parser.add_argument("--skip-stages", action="store_true", help="measure only (a)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="perf-out", help="folder for encoder_efficiency.parquet, stages.parquet, .md")
    args = parser.parse_args(argv)
    threads.apply_job_threads()
    context = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_start": os.getloadavg()[0],
        "cores": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
    }
    split = data.load("mnist5k", args.seed)
    inputs = split.x_train[: args.examples]
    with tempfile.TemporaryDirectory() as scratch:
        bank = np.array(
            open_bank(
                generate_bank(
                    inputs, DEFAULT_AUGMENTATION[split.modality], {}, 4, args.seed, Path(scratch) / "bank.npy"
                ),
                verify=False,
            )
        )
    limit = matmul_flops_per_second()
    families = []
    for family in args.families.split(","):
        families.append(measure_family(family, args, inputs, bank, limit))
        print(
            f"{family:<14} suite {families[-1]['suite_samples_per_s']:8.0f}/s  "
            f"plain {families[-1]['plain_samples_per_s']:8.0f}/s  "
            f"ratio {families[-1]['loop_ratio']:.2f}  ÷ matmul {families[-1]['efficiency']:.3f}",
            flush=True,
        )
    stages = [] if args.skip_stages else measure_stages(args)
    context["load_end"] = os.getloadavg()[0]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist([{**row, **context} for row in families]), out / "encoder_efficiency.parquet")
    if stages:
        pq.write_table(pa.Table.from_pylist([{**row, **context} for row in stages]), out / "stages.parquet")
    markdown = _markdown(families, stages, context)
    (out / "encoder_efficiency.md").write_text(markdown)
    print(markdown)
    return {"families": families, "stages": stages}


if __name__ == "__main__":
    main(sys.argv[1:])
    sys.exit(0)
