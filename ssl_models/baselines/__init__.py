"""Baselines: reference points beside the objectives, each a registered component with declared traits.

Adding one is one module here plus its import line below; the import order is the order the report lists them.
"""

from sslbench.ssl_models.baselines.base import (
    BASELINES,
    Baseline,
    baseline_names,
    default_baselines,
    encoder_free_baselines,
    raw_features,
)
from sslbench.ssl_models.baselines import raw  # noqa: F401  (registration)
from sslbench.ssl_models.baselines import pca  # noqa: F401
from sslbench.ssl_models.baselines import random_features  # noqa: F401
from sslbench.ssl_models.baselines import random_encoder  # noqa: F401
from sslbench.ssl_models.baselines import supervised  # noqa: F401
from sslbench.ssl_models.baselines.pca import PCA

__all__ = [
    "BASELINES",
    "PCA",
    "Baseline",
    "baseline_names",
    "default_baselines",
    "encoder_free_baselines",
    "raw_features",
]
