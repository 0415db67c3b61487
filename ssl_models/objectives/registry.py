"""The objective registry: name → Objective subclass."""

from __future__ import annotations

from typing import Any

from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.objectives.base import Objective
from sslbench.ssl_models.registry import Registry

OBJECTIVES: Registry[type[Objective]] = Registry("objective")


def build_objective(name: str, encoder: Encoder, options: dict[str, Any] | None = None) -> Objective:
    """Wrap ``encoder`` in objective ``name`` with its scaffolding."""
    cls = OBJECTIVES.get(name)
    try:
        return cls(encoder, **(options or {}))
    except TypeError as error:
        raise ValueError(f"objective '{name}': bad options {sorted(options or {})}: {error}") from None
