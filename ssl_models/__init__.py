"""sslbench's pure-PyTorch library: datasets, augmentations, encoders, objectives, evaluation.

Importing it never imports Prefect; everything here is usable from a notebook::

    from sslbench.ssl_models import data, encoders, objectives
    split = data.load("digits", seed=0)
    encoder = encoders.build("mlp", split.sample_shape, embedding_dim=32)
"""

from sslbench.ssl_models.registry import Registry, UnknownNameError

__all__ = ["Registry", "UnknownNameError"]
