"""``sslbench clean``: remove cached artefacts that no run has used since a given run started."""

from __future__ import annotations

from pathlib import Path

from sslbench.results.store import read_table
from sslbench.tasks.artefacts import cache_dir

# Every folder under OUT/cache holds cached artefacts (splits, banks, checkpoints, pretrain and evaluate-vN
# records) except the markers of runs in progress.
NOT_CACHED = ("runs",)


def clean_cache(out_dir: str | Path, run_id: str | None = None, dry_run: bool = False) -> tuple[int, int]:
    """Delete cache files last used before ``run_id`` started (default: the latest run); (count, bytes)."""
    runs = read_table(out_dir, "runs").to_pandas()
    if runs.empty:
        raise ValueError(f"no finished run in {out_dir}; nothing to measure cache age against")
    if run_id is None:
        cutoff = runs["started"].max()
    elif run_id in set(runs["run_id"]):
        cutoff = runs.loc[runs["run_id"] == run_id, "started"].iloc[0]
    else:
        raise ValueError(f"unknown run '{run_id}'; runs in {out_dir}: {', '.join(sorted(runs['run_id']))}")
    cutoff_seconds = cutoff.timestamp()
    removed = freed = 0
    root = cache_dir(out_dir)
    folders = sorted(p for p in root.iterdir() if p.is_dir() and p.name not in NOT_CACHED) if root.is_dir() else []
    for folder in folders:
        for path in folder.glob("*"):
            if path.is_file() and path.stat().st_mtime < cutoff_seconds:
                removed += 1
                freed += path.stat().st_size
                if not dry_run:
                    path.unlink()
    return removed, freed
