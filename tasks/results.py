"""Stage 6: turn a finished (or failed) job into table rows and append them; only the flow process writes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sslbench.results.store import write_rows
from sslbench.ssl_models.evaluate.metric_names import MetricName
from sslbench.ssl_models.job import JobSpec

STATUS_OF_ERROR = {"DivergedError": "diverged", "Interrupted": "interrupted"}  # a stage's error → job status


@dataclass
class JobOutcome:
    """What a job produced: status (ok, failed, diverged), error text, metrics, loss history, timing.

    ``pretrain_seconds`` and ``evaluate_seconds`` are measured inside each stage (None when the stage did not
    finish, or, for pretraining, when the job has none); ``seconds`` is their sum.
    """

    job: JobSpec
    status: str
    error: str = ""
    pretrain_seconds: float | None = None
    evaluate_seconds: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    history: list[float] = field(default_factory=list)
    trained: dict[str, Any] = field(default_factory=dict)
    cached: bool = False

    @property
    def seconds(self) -> float:
        """The job's own time: pretraining + evaluation, as measured by the stages that finished."""
        return (self.pretrain_seconds or 0.0) + (self.evaluate_seconds or 0.0)


def write_job(out_dir: str, run_id: str, outcome: JobOutcome) -> str:
    """Append the job's rows to jobs, metrics and history (one file each, named by job id: idempotent)."""
    job = outcome.job
    job_id = job.key()
    names = {key: MetricName.parse(key) for key in outcome.metrics}
    write_rows(
        out_dir,
        "metrics",
        run_id,
        [
            {
                "job_id": job_id,
                "metric": name.metric,
                "split": name.split,
                "value": float(outcome.metrics[key]),
                "selected_on": name.selected_on,
                "label_fraction": name.label_fraction,
                "label_draw": name.label_draw,
            }
            for key, name in names.items()
        ],
        part=job_id,
    )
    write_rows(
        out_dir,
        "history",
        run_id,
        [
            {"job_id": job_id, "epoch": epoch, "loss": float(loss)}
            for epoch, loss in enumerate(outcome.history, start=1)
        ],
        part=job_id,
    )
    write_rows(
        out_dir,
        "jobs",
        run_id,
        [
            {
                "job_id": job_id,
                "job_key": job_id,
                "dataset": job.dataset,
                "modality": job.modality,
                "encoder": job.encoder,
                "objective": job.objective,
                "family": job.family,
                "seed": job.seed,
                "config": json.dumps(job.config(), sort_keys=True),
                "status": outcome.status,
                "error": outcome.error,
                "seconds": outcome.seconds,
                "pretrain_seconds": outcome.pretrain_seconds,
                "evaluate_seconds": outcome.evaluate_seconds,
                "train_seconds": outcome.trained.get("train_seconds"),
                "parameters": outcome.trained.get("parameters"),
                "samples_per_second": outcome.trained.get("samples_per_second"),
                "checkpoint": outcome.trained.get("checkpoint"),
                "finished": datetime.now(UTC),
            }
        ],
        part=job_id,
    )
    return job_id
