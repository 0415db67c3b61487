"""Self-supervised objectives, one small module each, registered by name.

Adding an objective is one module that registers an ``Objective`` subclass, plus its import line below.
"""

from sslbench.ssl_models.objectives import autoencoder  # noqa: F401  (registration)
from sslbench.ssl_models.objectives import barlow_twins  # noqa: F401
from sslbench.ssl_models.objectives import byol  # noqa: F401
from sslbench.ssl_models.objectives import denoising_autoencoder  # noqa: F401
from sslbench.ssl_models.objectives import dino  # noqa: F401
from sslbench.ssl_models.objectives import infonce  # noqa: F401
from sslbench.ssl_models.objectives import masked_autoencoder  # noqa: F401
from sslbench.ssl_models.objectives import moco_v3  # noqa: F401
from sslbench.ssl_models.objectives import next_step  # noqa: F401
from sslbench.ssl_models.objectives import simsiam  # noqa: F401
from sslbench.ssl_models.objectives import sparse_autoencoder  # noqa: F401
from sslbench.ssl_models.objectives import spectral_contrastive  # noqa: F401
from sslbench.ssl_models.objectives import supervised  # noqa: F401
from sslbench.ssl_models.objectives import triplet  # noqa: F401
from sslbench.ssl_models.objectives import ts2vec  # noqa: F401
from sslbench.ssl_models.objectives import vicreg  # noqa: F401
from sslbench.ssl_models.objectives.base import Batch, Objective
from sslbench.ssl_models.objectives.registry import OBJECTIVES, build_objective
from sslbench.ssl_models.vocabulary import FAMILIES

__all__ = ["FAMILIES", "OBJECTIVES", "Batch", "Objective", "build_objective"]
