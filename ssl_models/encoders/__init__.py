"""Encoders, one module per architecture family, registered by name.

Adding an encoder is one module that registers an ``Encoder`` subclass, plus its import line below.
"""

from sslbench.ssl_models.encoders import cnn, mlp  # noqa: F401  (registration)
from sslbench.ssl_models.encoders import gnn  # noqa: F401  (registration)
from sslbench.ssl_models.encoders import ssm  # noqa: F401  (registration)
from sslbench.ssl_models.encoders import selective_ssm  # noqa: F401  (registration)
from sslbench.ssl_models.encoders import transformer  # noqa: F401  (registration)
from sslbench.ssl_models.encoders import gru  # noqa: F401  (registration)
from sslbench.ssl_models.encoders import ts2vec  # noqa: F401  (registration)
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.encoders.registry import ENCODERS, build_encoder

__all__ = ["ENCODERS", "Encoder", "build_encoder"]
