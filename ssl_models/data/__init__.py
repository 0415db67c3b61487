"""Datasets: a registry of loaders, and the split contract every later stage consumes.

Adding a dataset is one module that registers a loader, plus its import line below. Parameterised families
(``ucr:<Name>``, ``ucr_padded:<Name>``) resolve any name of the form ``prefix:argument``.

Files that must be downloaded (MNIST, Fashion-MNIST, CIFAR-10, TU graphs, UCR sets not bundled with aeon) live
under ``data_root()`` (``$SSLBENCH_DATA``, default ``~/.cache/sslbench``); a loader that finds them absent and
cannot download raises DatasetUnavailableError, one line saying where the files must go.
"""

from collections.abc import Mapping
from typing import Any

from sslbench.ssl_models.data import (  # noqa: F401  (registration)
    digits,
    graph_families,  # noqa: F401  (registration)
    karate_club,  # noqa: F401  (registration)
    mnist5k,
    mnist5k_superpixels,  # noqa: F401  (registration)
    torchvision_images,  # noqa: F401  (registration)
    tu_graphs,  # noqa: F401  (registration)
    ucr,  # noqa: F401  (registration)
)
from sslbench.ssl_models.data.base import MODALITIES, RawDataset, SplitData
from sslbench.ssl_models.data.registry import (
    DATASETS,
    check_loader_options,
    modality_of,
    register_dataset,
    register_dataset_family,
)
from sslbench.ssl_models.data.splits import VALIDATION_FRACTION, split_dataset
from sslbench.ssl_models.data.storage import DatasetUnavailableError, data_root
from sslbench.ssl_models.lds import dataset as _lds_dataset  # noqa: F401  (registration)


def load(
    name: str,
    seed: int,
    test_fraction: float = 0.2,
    options: Mapping[str, Any] | None = None,
    validation_fraction: float = VALIDATION_FRACTION,
) -> SplitData:
    """Load dataset ``name`` (with its declared loader ``options``) and split it with ``seed`` (stratified, or the
    dataset's official split), with a validation part of ``validation_fraction`` of the training split."""
    return split_dataset(
        DATASETS.get(name)(**dict(options or {})),
        seed=seed,
        test_fraction=test_fraction,
        validation_fraction=validation_fraction,
    )


__all__ = [
    "DATASETS",
    "check_loader_options",
    "DatasetUnavailableError",
    "MODALITIES",
    "RawDataset",
    "SplitData",
    "data_root",
    "load",
    "modality_of",
    "register_dataset",
    "register_dataset_family",
    "split_dataset",
]
