"""The random-encoder baseline: the job's encoder at its seeded initial weights, never trained.

It is built inside an autoencoder only so that every checkpoint has the same form.
"""

from __future__ import annotations

from sslbench.ssl_models.baselines.base import BASELINES, Baseline


@BASELINES.register("random")
class RandomEncoder(Baseline):
    """f_θ₀(x): the encoder with its initial weights θ₀ (seeded), probed like a pretrained one."""

    title = "random encoder"
    margin_reference = True
    marker = "^"
    objective = "autoencoder"
