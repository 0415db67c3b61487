"""Encoders, one module per architecture family, registered by name.

Adding an encoder is one module that registers an ``Encoder`` subclass, plus its import line below.
"""

from sslbench.ssl_models.encoders import (  # noqa: F401  (registration)
    cnn,
    gnn,  # noqa: F401  (registration)
    gru,  # noqa: F401  (registration)
    mlp,
    selective_ssm,  # noqa: F401  (registration)
    ssm,  # noqa: F401  (registration)
    transformer,  # noqa: F401  (registration)
    ts2vec,  # noqa: F401  (registration)
)
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.encoders.registry import ENCODERS, build_encoder

__all__ = ["ENCODERS", "Encoder", "build_encoder"]
