"""The encoder registry: name → Encoder subclass."""

from __future__ import annotations

from typing import Any

from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.registry import Registry

ENCODERS: Registry[type[Encoder]] = Registry("encoder")


def build_encoder(
    name: str, sample_shape: tuple[int, ...], embedding_dim: int, options: dict[str, Any] | None = None
) -> Encoder:
    """Instantiate encoder ``name`` for examples of ``sample_shape``."""
    cls = ENCODERS.get(name)
    try:
        return cls(tuple(sample_shape), embedding_dim, **(options or {}))
    except TypeError as error:
        raise ValueError(f"encoder '{name}': bad options {sorted(options or {})}: {error}") from None
