"""Self-supervised objectives, one small module each, registered by name.

Adding an objective is one module that registers an ``Objective`` subclass, plus its import line below.
"""

from sslbench.ssl_models.objectives import (
    autoencoder,  # noqa: F401  (registration)
    barlow_twins,  # noqa: F401
    byol,  # noqa: F401
    denoising_autoencoder,  # noqa: F401
    dino,  # noqa: F401
    infonce,  # noqa: F401
    masked_autoencoder,  # noqa: F401
    moco_v3,  # noqa: F401
    next_step,  # noqa: F401
    simsiam,  # noqa: F401
    sparse_autoencoder,  # noqa: F401
    spectral_contrastive,  # noqa: F401
    supervised,  # noqa: F401
    triplet,  # noqa: F401
    ts2vec,  # noqa: F401
    vicreg,  # noqa: F401
)
from sslbench.ssl_models.objectives.base import Batch, Objective
from sslbench.ssl_models.objectives.registry import OBJECTIVES, build_objective
from sslbench.ssl_models.vocabulary import FAMILIES

__all__ = ["FAMILIES", "OBJECTIVES", "Batch", "Objective", "build_objective"]
