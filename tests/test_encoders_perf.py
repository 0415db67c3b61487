"""The pretraining-throughput benchmark runs end to end on a small slice and writes its report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sslbench.benchmarks.perf import pretrain_step


def test_pretrain_step_benchmark_reports_both_loops_and_their_ratio(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "pretrain_step.json"
    report = pretrain_step.main(
        [
            "--encoders",
            "linear",
            "--examples",
            "256",
            "--batch-size",
            "64",
            "--repeats",
            "2",
            "--bank-views",
            "3",
            "--threads",
            "1",
            "--out",
            str(out),
        ]
    )
    assert json.loads(out.read_text()) == json.loads(json.dumps(report))
    (row,) = report["results"]
    assert row["encoder"] == "linear" and len(row["paired_ratios"]) == 2
    assert row["suite_samples_per_second"] > 0 and row["plain_samples_per_second"] > 0 and row["ratio"] > 0
    assert "linear" in capsys.readouterr().out
