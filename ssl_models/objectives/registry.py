"""The objective registry: name → Objective subclass."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sslbench.ssl_models.augment.views import ViewGroup
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.objectives.base import Objective
from sslbench.ssl_models.registry import Registry

if TYPE_CHECKING:
    from sslbench.ssl_models.job import JobSpec

OBJECTIVES: Registry[type[Objective]] = Registry("objective")


def build_objective(name: str, encoder: Encoder, options: dict[str, Any] | None = None) -> Objective:
    """Wrap ``encoder`` in objective ``name`` with its scaffolding."""
    cls = OBJECTIVES.get(name)
    try:
        return cls(encoder, **(options or {}))
    except TypeError as error:
        raise ValueError(f"objective '{name}': bad options {sorted(options or {})}: {error}") from None


def job_view_groups(job: JobSpec) -> tuple[ViewGroup, ...]:
    """The view groups a job trains on: those of its objective with its options (DEFAULT_GROUP when it declares
    none), none when the job has no views (baselines, objectives of clean inputs)."""
    return OBJECTIVES.get(job.objective_name).view_groups(job.objective_options) if job.n_views else ()
