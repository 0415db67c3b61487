"""Self-supervised objectives, one small module each, registered by name.

Adding an objective is one module that registers an ``Objective`` subclass, plus its import line below.
"""

from ssl_models.objectives import autoencoder, infonce, supervised  # noqa: F401  (registration)
from ssl_models.objectives.base import FAMILIES, Batch, Objective
from ssl_models.objectives.registry import OBJECTIVES, build_objective

__all__ = ["FAMILIES", "OBJECTIVES", "Batch", "Objective", "build_objective"]
