"""Peak memory of a ``sslbench run --data FILE`` run, as a multiple of the file's size.

    python -m sslbench.benchmarks.reliability.data_memory --work /tmp/memory --rows 12000 --features 1000

Two runs of the same command differ only in the file: a large one (rows × features float32) and a small one
(200 rows, 20 per class). The small run's peak is the interpreter's fixed cost (torch, Prefect, the report); the
difference of the peaks, divided by the difference of the file sizes, is the memory the data costs per byte of
file. Memory is the resident set of the ``sslbench`` process (sampled every 20 ms by psutil); the temporary
Prefect server is a separate process whose size does not depend on the data.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil


def write_file(path: Path, rows: int, features: int, classes: int = 10, seed: int = 0) -> int:
    """A labelled .npz of Gaussian class clusters; returns its size in bytes."""
    rng = np.random.default_rng(seed)
    labels = np.arange(rows) % classes  # balanced: every class has rows // classes examples or one more
    centres = rng.normal(size=(classes, features)).astype(np.float32)
    inputs = centres[labels] + rng.normal(size=(rows, features)).astype(np.float32)
    np.savez(path, inputs=inputs, labels=labels)
    return path.stat().st_size


def peak_rss(command: list[str], log: Path) -> tuple[int, int]:
    """(exit code, peak resident bytes of the command's own process); its output goes to ``log``."""
    with log.open("w") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    watched, peak = psutil.Process(process.pid), 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            try:
                peak = max(peak, watched.memory_info().rss)
            except psutil.NoSuchProcess:
                return
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait()
    done.set()
    sampler.join()
    return code, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True)
    parser.add_argument("--rows", type=int, default=12000)
    parser.add_argument("--features", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    figures = {}
    for name, rows in (("small", 200), ("large", args.rows)):
        data = work / f"{name}.npz"
        size = write_file(data, rows, args.features)
        command = [
            sys.executable,
            "-m",
            "sslbench",
            "run",
            "--data",
            str(data),
            "--out",
            str(work / f"out-{name}"),
            "--epochs",
            str(args.epochs),
            "--seeds",
            "0",
        ]
        code, peak = peak_rss(command, work / f"{name}.log")
        figures[name] = {"rows": rows, "file_bytes": size, "exit": code, "peak_rss_bytes": peak}
        print(json.dumps({name: figures[name]}), flush=True)
    small, large = figures["small"], figures["large"]
    per_byte = (large["peak_rss_bytes"] - small["peak_rss_bytes"]) / (large["file_bytes"] - small["file_bytes"])
    print(
        json.dumps(
            {
                "file_mb": round(large["file_bytes"] / 2**20, 1),
                "peak_mb": round(large["peak_rss_bytes"] / 2**20),
                "fixed_mb": round(small["peak_rss_bytes"] / 2**20),
                "data_memory_per_file_byte": round(per_byte, 2),
                "peak_over_file": round(large["peak_rss_bytes"] / large["file_bytes"], 1),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
