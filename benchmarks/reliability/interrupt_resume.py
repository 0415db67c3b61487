"""Ctrl-C a live run after T seconds, time its exit, resume it, and compare its metrics with an uninterrupted run.

    python -m sslbench.benchmarks.reliability.interrupt_resume --work /tmp/interrupt --after 45

The signal goes to the run's whole process group, as a terminal's Ctrl-C does. The run passes when it exits 130
within the stated seconds, the same command then resumes the same run id to completion (exit 0), and every metric
of the resumed run equals the uninterrupted run's.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd

from sslbench import results

SUITE = textwrap.dedent("""
    name = "interrupt"
    datasets = ["digits"]
    encoders = ["mlp"]
    objectives = ["autoencoder", "simclr", "vicreg"]
    baselines = ["raw"]
    embedding_dim = 8
    [train]
    epochs = {epochs}
    batch_size = 64
    [probe]
    linear_c_grid = [1.0]
    kmeans_restarts = 1
""")


def _command(suite: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "sslbench", "run", str(suite), "--out", str(out)]


def _metrics(out: Path) -> pd.Series:
    frame = results.load(out)
    return frame.set_index(["objective", "encoder", "metric"])["value"].sort_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", required=True, help="folder for the suite and the two output folders")
    parser.add_argument("--after", type=float, default=45.0, help="seconds after the start to send Ctrl-C")
    parser.add_argument("--epochs", type=int, default=60, help="epochs per job (the run must outlast --after)")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    suite = work / "interrupt.toml"
    suite.write_text(SUITE.format(epochs=args.epochs))
    reference, interrupted = work / "reference", work / "interrupted"

    started = time.perf_counter()
    whole = subprocess.run(_command(suite, reference), capture_output=True, text=True)
    whole_seconds = time.perf_counter() - started

    run = subprocess.Popen(
        _command(suite, interrupted),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    time.sleep(args.after)
    sent = time.perf_counter()
    os.killpg(run.pid, signal.SIGINT)
    first = run.communicate(timeout=600)[0]
    exit_seconds = time.perf_counter() - sent
    jobs = results.read_table(interrupted, "jobs").to_pandas()
    statuses = jobs["status"].value_counts().to_dict()
    run_ids = set(jobs["run_id"])

    resumed = subprocess.run(_command(suite, interrupted), capture_output=True, text=True)
    same = _metrics(reference).equals(_metrics(interrupted))
    print(
        json.dumps(
            {
                "uninterrupted_exit": whole.returncode,
                "uninterrupted_seconds": round(whole_seconds, 1),
                "signal_after_seconds": args.after,
                "interrupted_exit": run.returncode,
                "exit_seconds_after_signal": round(exit_seconds, 2),
                "statuses_after_interrupt": statuses,
                "resumed_same_run": set(results.read_table(interrupted, "runs").to_pandas()["run_id"]) == run_ids,
                "resume_exit": resumed.returncode,
                "metrics_equal_uninterrupted": bool(same),
                "tracebacks": sum("Traceback" in text for text in (first, resumed.stdout, resumed.stderr)),
                "load_average": os.getloadavg()[0],
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
