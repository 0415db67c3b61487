"""Prefect tasks, one per pipeline stage, each a thin wrapper over a plain function (testable via ``.fn``).

Stages: prepare_split → generate_views → pretrain → evaluate (or evaluate_baseline) → write_results → build_report.
Tasks take and return paths, job specs and small dicts, never tensors or DataFrames.
"""
