"""Start two overlapping grids on one ``--out`` at the same instant, N times; count failures and lost rows.

    python -m sslbench.benchmarks.reliability.concurrent_starts --trials 20 --work /tmp/trials

Each trial uses a fresh output folder, so the two runs race to create the same split and cache files. A trial
is clean when both runs exit 0, every planned job of each run has an ``ok`` row with its metrics, and the job
both grids share has the same metrics in both runs.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from sslbench import results

GRID = textwrap.dedent("""
    name = "{name}"
    datasets = ["digits"]
    encoders = ["mlp"]
    objectives = [{objectives}]
    baselines = ["raw"]
    embedding_dim = 8
    [train]
    epochs = 1
    batch_size = 256
    [augment]
    n_views = 2
    [probe]
    linear_c_grid = [1.0]
    kmeans_restarts = 1
""")
GRIDS = {"left": '"autoencoder", "simclr"', "right": '"simclr", "vicreg"'}  # they share raw and simclr
JOBS_PER_GRID = 3  # raw + two objectives


def trial(work: Path, index: int) -> dict[str, Any]:
    """One simultaneous start of both grids on a fresh output folder."""
    out = work / f"out-{index}"
    procs = {}
    for name, objectives in GRIDS.items():
        suite = work / f"{name}.toml"
        suite.write_text(GRID.format(name=name, objectives=objectives))
        procs[name] = subprocess.Popen(
            [sys.executable, "-m", "sslbench", "run", str(suite), "--out", str(out)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    codes = {name: proc.wait() for name, proc in procs.items()}
    outputs = {name: proc.stdout.read() if proc.stdout else "" for name, proc in procs.items()}
    df = results.load(out, metric="linear_acc")
    jobs = results.read_table(out, "jobs").to_pandas()
    runs = results.read_table(out, "runs").to_pandas()[["run_id", "suite"]]
    ok_jobs = jobs[jobs["status"] == "ok"].merge(runs, on="run_id").groupby("suite").size().to_dict()
    with_metrics = df.groupby("suite")["job_id"].nunique().to_dict()
    lost = sum(JOBS_PER_GRID - min(JOBS_PER_GRID, int(with_metrics.get(name, 0))) for name in GRIDS)
    shared = df[df["objective"] == "simclr"].groupby("suite")["value"].first()
    return {
        "trial": index,
        "exit_codes": codes,
        "ok_jobs": ok_jobs,
        "lost_rows": lost,
        "shared_job_agrees": bool(shared.nunique() == 1 and len(shared) == 2),
        "waited": any("in use by sslbench PID" in text for text in outputs.values()),
        "tracebacks": sum("Traceback" in text for text in outputs.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--work", required=True, help="folder for suites and one output folder per trial")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for index in range(args.trials):
        rows.append(trial(work, index))
        print(json.dumps(rows[-1]), flush=True)
    failures = sum(any(code != 0 for code in row["exit_codes"].values()) for row in rows)
    summary = {
        "trials": len(rows),
        "spurious_failures": failures,
        "lost_rows": sum(r["lost_rows"] for r in rows),
        "shared_job_disagreements": sum(not r["shared_job_agrees"] for r in rows),
        "tracebacks": sum(r["tracebacks"] for r in rows),
        "second_run_waited": sum(r["waited"] for r in rows),
    }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
