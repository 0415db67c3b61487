"""Values several test modules share (fixtures live in conftest.py)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sslbench.ssl_models.evaluate.collapse import embedding_diagnostics
from sslbench.ssl_models.evaluate.standard import probe_scores

# Image augmentation options that leave an image unchanged: full-size square crops, no rotation, shift, noise
# or erasing; a test switches on the one step it checks.
STILL = {
    "crop_scale": (1.0, 1.0),
    "crop_ratio": (1.0, 1.0),
    "rotation_degrees": 0.0,
    "translate": 0.0,
    "noise_std": 0.0,
    "erase_probability": 0.0,
}


def evaluate_embeddings(
    train: np.ndarray, y_train: Any, test: np.ndarray, *args: Any, **kwargs: Any
) -> dict[str, float]:
    """What the evaluate stage computes for one representation with the standard evaluators: the test embeddings'
    collapse diagnostics and :func:`probe_scores` (same arguments)."""
    return {**embedding_diagnostics(test), **probe_scores(train, y_train, test, *args, **kwargs)}
