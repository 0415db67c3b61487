"""Full MNIST, Fashion-MNIST and CIFAR-10 through torchvision, with their official train/test split.

Files are read from ``$SSLBENCH_DATA`` (default ``~/.cache/sslbench``) in torchvision's own layout
(``MNIST/raw/*-ubyte``, ``FashionMNIST/raw/*-ubyte``, ``cifar-10-batches-py/``) and downloaded there on first
use. Images become float32 (N, C, H, W) in [0, 1]; train examples come first, ``official_test`` marks the rest.
Everything is loaded into memory (MNIST 0.2 GB, CIFAR-10 0.7 GB as float32).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sslbench.ssl_models.data.base import RawDataset
from sslbench.ssl_models.data.registry import register_dataset
from sslbench.ssl_models.data.storage import DatasetUnavailableError, data_root, first_line


def open_torchvision(dataset_class: type, name: str, train: bool, expected_files: str) -> Any:
    """Instantiate a torchvision dataset from the data root, downloading once if its files are absent.

    A failed download raises DatasetUnavailableError naming where the files must go.
    """
    root = data_root()
    try:
        return dataset_class(str(root), train=train, download=False)
    except RuntimeError:
        pass
    try:
        return dataset_class(str(root), train=train, download=True)
    except Exception as error:  # noqa: BLE001 - any download failure means the same thing to the user
        raise DatasetUnavailableError(
            f"dataset '{name}' is not under {root} and could not be downloaded ({first_line(error)}); "
            f"run the loader once on a machine with internet and copy the folder, or put {expected_files} "
            f"under {root} (set SSLBENCH_DATA to change the folder)"
        ) from None


def _load(dataset_class: type, name: str, expected_files: str) -> RawDataset:
    parts = [open_torchvision(dataset_class, name, train, expected_files) for train in (True, False)]
    images = []
    for part in parts:
        pixels = part.data.numpy() if hasattr(part.data, "numpy") else np.asarray(part.data)
        images.append(pixels[:, None] if pixels.ndim == 3 else pixels.transpose(0, 3, 1, 2))
    inputs = np.concatenate(images).astype(np.float32) / 255.0
    labels = np.concatenate([np.asarray(part.targets, dtype=np.int64) for part in parts])
    official_test = np.arange(len(inputs)) >= len(parts[0].targets)
    return RawDataset(name, "image", inputs, labels, official_test=official_test, class_names=tuple(parts[0].classes))


@register_dataset("mnist", modality="image")
def load_mnist() -> RawDataset:
    """MNIST: 60,000 + 10,000 handwritten digits, 1×28×28."""
    from torchvision.datasets import MNIST

    return _load(MNIST, "mnist", "MNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte")


@register_dataset("fashion_mnist", modality="image")
def load_fashion_mnist() -> RawDataset:
    """Fashion-MNIST: 60,000 + 10,000 clothing images in 10 classes, 1×28×28."""
    from torchvision.datasets import FashionMNIST

    return _load(FashionMNIST, "fashion_mnist", "FashionMNIST/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte")


@register_dataset("cifar10", modality="image")
def load_cifar10() -> RawDataset:
    """CIFAR-10: 50,000 + 10,000 colour images in 10 classes, 3×32×32."""
    from torchvision.datasets import CIFAR10

    return _load(CIFAR10, "cifar10", "cifar-10-batches-py/ (data_batch_1..5, test_batch, batches.meta)")
