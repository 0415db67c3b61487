"""Pretraining throughput: the suite's loop (``ssl_models.train.pretrain``) against a plain PyTorch loop.

Both loops train the same model (same seed, same initial weights), objective, batch size and data (MNIST-5k
training split, a view bank of ``--bank-views`` augmented views per example, memory-mapped from a .npy file
as the suite reads it, or held in memory with ``--bank memory``). The plain loop is what one would write by
hand: tensors in memory (a memory-mapped bank is read in once), ``randperm`` batches, distinct views picked
per example, AdamW, backward, step. Each timed call runs end to end (optimiser creation, data conversion
included); runs of the two loops are interleaved, alternating which goes first, after one untimed warm-up
each. Reported per encoder: median
samples/s of each loop and the median over repeats of the paired ratio suite / plain (goal ≥ 0.9); the
same ratio from process CPU time (``cpu ratio``) is steadier when other processes share the cores. Runs use
one intra-op thread by default: with more, OpenMP threads spin-wait on cores other processes hold, and
throughput swings by 10× between runs on a shared machine (``--threads N`` to measure that regime).

    python -m sslbench.benchmarks.perf.pretrain_step --out pretrain_step.json [--encoders mlp,cnn,ssm]
        [--objective simclr] [--repeats 3] [--epochs 1] [--batch-size 256] [--examples 4000] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sslbench.ssl_models import data
from sslbench.ssl_models.augment import DEFAULT_AUGMENTATION, generate_bank, open_bank
from sslbench.ssl_models.encoders import build_encoder
from sslbench.ssl_models.objectives import Batch, Objective, build_objective
from sslbench.ssl_models.train import TrainConfig, pretrain

GOAL_RATIO = 0.9
CPU = torch.device("cpu")


def make_objective(
    encoder: str, objective: str, sample_shape: tuple[int, ...], embedding_dim: int, seed: int
) -> Objective:
    """A freshly initialised objective; equal arguments give equal weights."""
    torch.manual_seed(seed)
    return build_objective(objective, build_encoder(encoder, sample_shape, embedding_dim))


def suite_loop(
    objective: Objective, inputs: np.ndarray, bank: np.ndarray | None, config: TrainConfig, seed: int
) -> int:
    """``ssl_models.train.pretrain`` as the pretrain task calls it; returns the number of examples trained on."""
    pretrain(objective, inputs, config, seed, bank=bank, device=CPU)
    return config.epochs * max(1, len(inputs) // config.batch_size) * config.batch_size


def plain_loop(
    objective: Objective, inputs: np.ndarray, bank: np.ndarray | None, config: TrainConfig, seed: int
) -> int:
    """A hand-written loop over in-memory tensors: shuffled full batches, AdamW; returns examples trained on."""
    generator = torch.Generator().manual_seed(seed)
    inputs_t = torch.from_numpy(np.ascontiguousarray(inputs))
    bank_t = None if bank is None else torch.from_numpy(np.array(bank) if isinstance(bank, np.memmap) else bank)
    optimizer = torch.optim.AdamW(objective.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    objective.train()
    n_batches = max(1, len(inputs) // config.batch_size)
    for _ in range(config.epochs):
        order = torch.randperm(len(inputs), generator=generator)
        for start in range(0, n_batches * config.batch_size, config.batch_size):
            index = order[start : start + config.batch_size]
            views = None
            if objective.n_views and bank_t is not None:
                choice = torch.rand(len(index), bank_t.shape[1], generator=generator).argsort(dim=1)[
                    :, : objective.n_views
                ]
                views = bank_t[index[:, None], choice]
            loss = objective(Batch(inputs=inputs_t[index], views=views))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    objective.eval()
    return config.epochs * n_batches * config.batch_size


LOOPS: dict[str, Callable[..., int]] = {"suite": suite_loop, "plain": plain_loop}


def measure_encoder(
    encoder: str, args: argparse.Namespace, inputs: np.ndarray, bank: np.ndarray | None
) -> dict[str, Any]:
    """Interleaved timed runs of both loops for one encoder; medians and the paired ratio."""
    config = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, learning_rate=1e-3)
    shape = tuple(inputs.shape[1:])
    warm_up = TrainConfig(epochs=1, batch_size=args.batch_size)
    for loop in LOOPS.values():
        loop(
            make_objective(encoder, args.objective, shape, args.embedding_dim, args.seed),
            inputs[: 2 * args.batch_size],
            None if bank is None else bank[: 2 * args.batch_size],
            warm_up,
            args.seed,
        )
    rates: dict[str, list[float]] = {name: [] for name in LOOPS}
    cpu_rates: dict[str, list[float]] = {name: [] for name in LOOPS}
    for repeat in range(args.repeats):
        names = list(LOOPS) if repeat % 2 == 0 else list(reversed(LOOPS))
        for name in names:
            objective = make_objective(encoder, args.objective, shape, args.embedding_dim, args.seed)
            wall, cpu = time.perf_counter(), time.process_time()
            samples = LOOPS[name](objective, inputs, bank, config, args.seed)
            rates[name].append(samples / (time.perf_counter() - wall))
            cpu_rates[name].append(samples / (time.process_time() - cpu))
    ratios = [suite / plain for suite, plain in zip(rates["suite"], rates["plain"])]
    cpu_ratios = [suite / plain for suite, plain in zip(cpu_rates["suite"], cpu_rates["plain"])]
    return {
        "encoder": encoder,
        "suite_samples_per_second": statistics.median(rates["suite"]),
        "plain_samples_per_second": statistics.median(rates["plain"]),
        "ratio": statistics.median(ratios),
        "cpu_ratio": statistics.median(cpu_ratios),
        "suite_runs": rates["suite"],
        "plain_runs": rates["plain"],
        "paired_ratios": ratios,
        "suite_cpu_runs": cpu_rates["suite"],
        "plain_cpu_runs": cpu_rates["plain"],
        "paired_cpu_ratios": cpu_ratios,
    }


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--encoders", default="mlp,cnn,ssm", help="comma-separated encoder registry names")
    parser.add_argument("--objective", default="simclr", help="objective registry name (simclr reads 2 bank views)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each loop per encoder")
    parser.add_argument("--epochs", type=int, default=1, help="epochs per timed run")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--embedding-dim", type=int, default=64)
    parser.add_argument(
        "--examples", type=int, default=None, help="use the first N training examples (default: all 4000)"
    )
    parser.add_argument("--bank", choices=("memmap", "memory"), default="memmap", help="how the view bank is held")
    parser.add_argument("--bank-views", type=int, default=4, help="views per example in the bank")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch intra-op threads (default 1: both loops get the same, and busy cores do not scramble it)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="write the measurements as JSON here")
    args = parser.parse_args(argv)
    threads_before = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        split = data.load("mnist5k", args.seed)
        inputs = split.x_train[: args.examples] if args.examples else split.x_train
        with tempfile.TemporaryDirectory() as scratch:
            bank_path = generate_bank(
                inputs, DEFAULT_AUGMENTATION[split.modality], {}, args.bank_views, args.seed, Path(scratch) / "bank.npy"
            )
            bank = open_bank(bank_path, verify=False)
            if args.bank == "memory":
                bank = np.array(bank)
            results = [measure_encoder(name, args, inputs, bank) for name in args.encoders.split(",")]
            del bank
    finally:
        torch.set_num_threads(threads_before)
    print(
        f"pretraining throughput, {args.objective}, batch {args.batch_size}, {len(inputs)} MNIST-5k examples, "
        f"{args.bank} bank of {args.bank_views} views, {args.threads} threads, median of {args.repeats}"
    )
    print(f"{'encoder':<10} {'suite /s':>10} {'plain /s':>10} {'ratio':>7} {'cpu ratio':>10}")
    for row in results:
        verdict = "met" if row["ratio"] >= GOAL_RATIO else "NOT met"
        print(
            f"{row['encoder']:<10} {row['suite_samples_per_second']:10.1f} {row['plain_samples_per_second']:10.1f} "
            f"{row['ratio']:7.3f} {row['cpu_ratio']:10.3f}  {verdict} (goal ratio >= {GOAL_RATIO})"
        )
    report = {
        "objective": args.objective,
        "batch_size": args.batch_size,
        "epochs": args.epochs,
        "examples": len(inputs),
        "bank": args.bank,
        "bank_views": args.bank_views,
        "threads": args.threads,
        "repeats": args.repeats,
        "goal_ratio": GOAL_RATIO,
        "results": results,
    }
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main(sys.argv[1:])
    sys.exit(0)
