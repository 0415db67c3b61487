"""Augmentation and view-bank performance.

(a) Generation throughput of each modality's default augmentation, written into a bank: examples·views per
    second (images: MNIST-5k, sequences: lds, graphs: graph_families).
(b) Pretraining (MLP + SimCLR through ``ssl_models.train.pretrain``, one epoch over 2,048 examples) reading its
    two views per example from a memory-mapped bank of 4 vs the same loop with the views augmented per batch,
    best of 3 interleaved runs each; goal: bank time / on-the-fly time ≤ 1, for the whole loop and for the data
    path alone (batches drawn, no model). The bank's one-off generation is reported beside them.
(c) Memory of one pretraining epoch over a bank much larger than a batch, in a child process per bank: growth
    of the anonymous resident memory (RssAnon, sampled every 5 ms) for a bank 2× and 8× a base size; goal:
    the 8× bank adds under 10% of its extra bytes (mapped pages are file cache, not the process's memory). The
    8× bank copied into memory is measured for contrast; ru_maxrss, which counts mapped file pages, is reported.

Timings are wall-clock; the 1-minute load average at start and end is recorded, since other work on the
machine slows every number.

    python -m sslbench.benchmarks.perf.augment_bank --out augment_bank.json [--quick] [--memory-base-mb 32]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import numpy as np
import torch
from sslbench.ssl_models import data
from sslbench.ssl_models.augment import build_augmentation, generate_bank, open_bank
from sslbench.ssl_models.device import seed_everything
from sslbench.ssl_models.encoders import build_encoder
from sslbench.ssl_models.objectives import Objective, build_objective
from sslbench.ssl_models.train import TrainConfig, iterate_batches, pretrain

GENERATION_SETS = {"image": "mnist5k", "sequence": "lds", "graph": "graph_families"}
PRETRAIN_SETS = {"image": "mnist5k", "sequence": "lds"}
MEMORY_SAMPLE_SHAPE = (4, 256)
MEMORY_VIEWS = 4
CHEAP_SEQUENCE_OPTIONS = {
    "crop_probability": 0.0,
    "time_warp_probability": 0.0,
    "permutation_probability": 0.0,
    "time_mask_probability": 0.0,
}


class OnTheFlyViews:
    """A bank look-alike for ``iterate_batches``: ``views[index]`` augments ``inputs[index]`` afresh, (B, V, *shape)."""

    def __init__(self, inputs: np.ndarray, augmentation: str, n_views: int, seed: int) -> None:
        self.inputs, self.n_views, self.seed = inputs, n_views, seed
        self.augment = build_augmentation(augmentation, tuple(inputs.shape[1:]))
        self.shape = (len(inputs), n_views, *inputs.shape[1:])
        self.calls = 0

    def __getitem__(self, index: np.ndarray) -> np.ndarray:
        batch = torch.from_numpy(np.ascontiguousarray(self.inputs[index], dtype=np.float32))
        self.calls += 1
        seeds = [self.seed * 1_000_003 + self.calls * self.n_views + view for view in range(self.n_views)]
        views = [self.augment(batch, seed) for seed in seeds]
        return torch.stack(views, dim=1).numpy()

    def as_bank(self) -> np.ndarray:
        """Itself, typed as the bank it stands in for: ``iterate_batches`` reads only ``shape`` and ``[index]``
        of a bank held on the host."""
        return cast(np.ndarray, self)


def generation_throughput(inputs: np.ndarray, augmentation: str, n_views: int, scratch: Path) -> float:
    """Examples·views per second of ``generate_bank`` (augmenting, writing, hashing), after a warm-up batch."""
    build_augmentation(augmentation, tuple(inputs.shape[1:]))(torch.from_numpy(np.ascontiguousarray(inputs[:64])), 0)
    started = time.perf_counter()
    generate_bank(inputs, augmentation, {}, n_views, seed=0, path=scratch / f"throughput-{augmentation}.npy")
    return len(inputs) * n_views / (time.perf_counter() - started)


def _simclr(sample_shape: tuple[int, ...]) -> Objective:
    seed_everything(0)
    return build_objective("simclr", build_encoder("mlp", sample_shape, 64))


def _data_path_seconds(inputs: np.ndarray, views: np.ndarray) -> float:
    """Seconds to draw one epoch of batches (inputs and two views) without any model."""
    started = time.perf_counter()
    for _ in iterate_batches(inputs, None, views, 2, 256, np.random.default_rng(0)):
        pass
    return time.perf_counter() - started


def pretrain_comparison(
    inputs: np.ndarray, augmentation: str, n_views: int, config: TrainConfig, repeats: int, scratch: Path
) -> dict[str, float]:
    """Bank generation seconds; then, best of ``repeats`` interleaved runs each, seconds of pretraining from the
    mapped bank and with per-batch views, and of the data path alone (batches drawn, no model); on the CPU, where
    per-batch views are made."""
    started = time.perf_counter()
    path = generate_bank(inputs, augmentation, {}, n_views, seed=0, path=scratch / f"pretrain-{augmentation}.npy")
    measured = {"generate_s": time.perf_counter() - started}
    bank = open_bank(path)
    runs: dict[str, list[float]] = {
        "bank_train_s": [],
        "on_the_fly_train_s": [],
        "bank_data_s": [],
        "on_the_fly_data_s": [],
    }
    cpu = torch.device("cpu")
    for _ in range(repeats):
        on_the_fly = OnTheFlyViews(inputs, augmentation, n_views=2, seed=0).as_bank()
        runs["bank_train_s"].append(
            pretrain(_simclr(inputs.shape[1:]), inputs, config, seed=0, bank=bank, device=cpu).seconds
        )
        runs["on_the_fly_train_s"].append(
            pretrain(_simclr(inputs.shape[1:]), inputs, config, seed=0, bank=on_the_fly, device=cpu).seconds
        )
        runs["bank_data_s"].append(_data_path_seconds(inputs, bank))
        runs["on_the_fly_data_s"].append(
            _data_path_seconds(inputs, OnTheFlyViews(inputs, augmentation, 2, seed=0).as_bank())
        )
    measured.update({name: min(values) for name, values in runs.items()})
    measured["train_ratio"] = measured["bank_train_s"] / measured["on_the_fly_train_s"]
    measured["data_ratio"] = measured["bank_data_s"] / measured["on_the_fly_data_s"]
    return measured


def _rss_anon_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("RssAnon not in /proc/self/status (Linux only)")


def memory_child(bank_path: Path, inputs_path: Path, in_memory: bool, batch_size: int) -> dict[str, float]:
    """One pretraining epoch over a bank; peak RssAnon growth over the state after a two-batch warm-up, in MB."""
    inputs = np.load(inputs_path, mmap_mode="r")
    bank = open_bank(bank_path, verify=False)
    objective = _simclr(inputs.shape[1:])
    warm_up = 2 * batch_size
    pretrain(
        objective,
        np.asarray(inputs[:warm_up]),
        TrainConfig(epochs=1, batch_size=batch_size),
        seed=0,
        bank=np.asarray(bank[:warm_up]),
        device=torch.device("cpu"),
    )
    baseline = _rss_anon_bytes()
    if in_memory:
        bank = np.array(bank)
    peak, stop = [baseline], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _rss_anon_bytes())
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    pretrain(
        objective, inputs, TrainConfig(epochs=1, batch_size=batch_size), seed=0, bank=bank, device=torch.device("cpu")
    )
    stop.set()
    sampler.join()
    peak[0] = max(peak[0], _rss_anon_bytes())
    return {
        "anon_growth_mb": (peak[0] - baseline) / 2**20,
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def memory_comparison(base_mb: float, batch_size: int, scratch: Path) -> dict[str, float]:
    """RssAnon growth for mapped banks of 2× and 8× ``base_mb``, and the 8× bank held in memory."""
    per_example = MEMORY_VIEWS * int(np.prod(MEMORY_SAMPLE_SHAPE)) * 4
    measured: dict[str, float] = {}
    for factor in (2, 8):
        n_examples = int(factor * base_mb * 2**20 / per_example)
        rng = np.random.default_rng(factor)
        inputs = np.cumsum(rng.standard_normal((n_examples, *MEMORY_SAMPLE_SHAPE), dtype=np.float32), axis=2)
        inputs_path = scratch / f"memory-inputs-{factor}x.npy"
        np.save(inputs_path, inputs)
        bank_path = generate_bank(
            inputs,
            "sequence",
            CHEAP_SEQUENCE_OPTIONS,
            MEMORY_VIEWS,
            seed=0,
            path=scratch / f"memory-bank-{factor}x.npy",
        )
        del inputs
        modes = (False, True) if factor == 8 else (False,)
        for in_memory in modes:
            command = [
                sys.executable,
                "-m",
                "sslbench.benchmarks.perf.augment_bank",
                "--memory-child",
                str(bank_path),
                str(inputs_path),
                "--batch-size",
                str(batch_size),
                "--threads",
                str(torch.get_num_threads()),
            ]
            command += ["--in-memory"] if in_memory else []
            output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
            result = json.loads(output.strip().splitlines()[-1])
            label = f"{factor}x" + ("_in_memory" if in_memory else "")
            measured[f"memory_bank_{label}_mb"] = bank_path.stat().st_size / 2**20
            measured[f"memory_anon_growth_{label}_mb"] = result["anon_growth_mb"]
            measured[f"memory_ru_maxrss_{label}_mb"] = result["ru_maxrss_mb"]
    extra_bank = measured["memory_bank_8x_mb"] - measured["memory_bank_2x_mb"]
    extra_growth = measured["memory_anon_growth_8x_mb"] - measured["memory_anon_growth_2x_mb"]
    measured["memory_extra_growth_share"] = extra_growth / extra_bank
    return measured


GOALS = {
    "pretrain_image_train_ratio": ("<=", 1.0),
    "pretrain_sequence_train_ratio": ("<=", 1.0),
    "pretrain_image_data_ratio": ("<=", 1.0),
    "pretrain_sequence_data_ratio": ("<=", 1.0),
    "memory_extra_growth_share": ("<=", 0.1),
}


def print_table(measured: dict[str, float]) -> None:
    """One line per measurement, with the goal and whether it was met."""
    for name, value in measured.items():
        goal = GOALS.get(name)
        verdict = ""
        if goal is not None:
            met = value <= goal[1] if goal[0] == "<=" else value >= goal[1]
            verdict = f"  {'met' if met else 'NOT met'} (goal {goal[0]} {goal[1]})"
        print(f"{name:<40} {value:12.3f}{verdict}")


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", help="write the measurements as JSON here")
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run in seconds")
    parser.add_argument("--memory-base-mb", type=float, default=32.0, help="base bank size of (c); banks are 2× and 8×")
    parser.add_argument("--skip-memory", action="store_true", help="leave out (c), which starts child processes")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument(
        "--repeats", type=int, default=3, help="interleaved runs per pretraining mode in (b); best kept"
    )
    parser.add_argument("--threads", type=int, help="torch intra-op threads for the run (default: torch's own)")
    parser.add_argument("--memory-child", nargs=2, metavar=("BANK", "INPUTS"), help=argparse.SUPPRESS)
    parser.add_argument("--in-memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    previous_threads = torch.get_num_threads()
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        return _run(args)
    finally:
        torch.set_num_threads(previous_threads)


def _run(args: argparse.Namespace) -> dict[str, float]:
    """The measurements ``args`` ask for (or, in a child process, one memory measurement)."""
    if args.memory_child:
        result = memory_child(Path(args.memory_child[0]), Path(args.memory_child[1]), args.in_memory, args.batch_size)
        print(json.dumps(result))
        return result
    limit = 256 if args.quick else None
    pretrain_limit = 512 if args.quick else 2048
    config = TrainConfig(epochs=1, batch_size=args.batch_size)
    measured: dict[str, float] = {"load_average_start": os.getloadavg()[0], "torch_threads": torch.get_num_threads()}
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        for modality, dataset in GENERATION_SETS.items():
            inputs = data.DATASETS.get(dataset)().inputs[:limit]
            measured[f"generate_{modality}_views_per_s"] = generation_throughput(inputs, modality, 2, scratch)
        for modality, dataset in PRETRAIN_SETS.items():
            split = data.load(dataset, seed=0)
            inputs = split.x_train[:pretrain_limit]
            for key, value in pretrain_comparison(inputs, modality, 4, config, args.repeats, scratch).items():
                measured[f"pretrain_{modality}_{key}"] = value
        if not args.skip_memory:
            base_mb = 2.0 if args.quick else args.memory_base_mb
            measured.update(memory_comparison(base_mb, args.batch_size, scratch))
    measured["load_average_end"] = os.getloadavg()[0]
    print_table(measured)
    if args.out:
        Path(args.out).write_text(json.dumps(measured, indent=2))
    return measured


if __name__ == "__main__":
    main(sys.argv[1:])
    sys.exit(0)
