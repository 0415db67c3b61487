"""The dataset registry: ``@register_dataset(name, modality)`` on a zero-argument loader returning a RawDataset."""

from __future__ import annotations

from typing import Callable

from ssl_models.data.base import MODALITIES, DatasetLoader
from ssl_models.registry import Registry

DATASETS: Registry[DatasetLoader] = Registry("dataset")


def register_dataset(name: str, modality: str) -> Callable[[DatasetLoader], DatasetLoader]:
    """Register a loader under ``name``, declaring its modality so planners need not load the data."""
    if modality not in MODALITIES:
        raise ValueError(f"unknown modality '{modality}'; valid modalities: {', '.join(MODALITIES)}")

    def decorate(loader: DatasetLoader) -> DatasetLoader:
        loader.modality = modality  # type: ignore[attr-defined]
        return DATASETS.register(name)(loader)

    return decorate


def modality_of(name: str) -> str:
    """The modality that dataset ``name`` declared at registration."""
    return DATASETS.get(name).modality  # type: ignore[attr-defined]
