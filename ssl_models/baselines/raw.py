"""The raw-input baseline: the probes read the input itself."""

from __future__ import annotations

import numpy as np
from sslbench.ssl_models.baselines.base import BASELINES, Baseline, raw_features


@BASELINES.register("raw")
class RawInput(Baseline):
    """The input itself, flattened: z = vec(x)."""

    title = "raw input"
    margin_reference = True
    marker = "s"
    beside_published = True

    @classmethod
    def features(
        cls, train: np.ndarray, test: np.ndarray, embedding_dim: int, seed: int
    ) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
        """Both splits flattened, no extra metrics."""
        return raw_features(train), raw_features(test), {}
