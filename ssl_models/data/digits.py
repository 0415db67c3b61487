"""scikit-learn's digits: 1,797 handwritten digits as 1×8×8 images in [0, 1] (raw values 0–16)."""

import numpy as np
from sslbench.ssl_models.data.base import RawDataset
from sslbench.ssl_models.data.registry import register_dataset


@register_dataset("digits", modality="image")
def load_digits() -> RawDataset:
    """Load the bundled digits dataset."""
    from sklearn.datasets import load_digits as sklearn_digits

    bunch = sklearn_digits()
    images = (bunch.images.astype(np.float32) / 16.0)[:, None, :, :]
    return RawDataset("digits", "image", images, bunch.target.astype(np.int64), class_names=tuple(map(str, range(10))))
