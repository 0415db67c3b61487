"""The dataset registry: ``@register_dataset(name, modality)`` on a zero-argument loader returning a RawDataset.

Families of datasets named ``prefix:argument`` (e.g. ``ucr:GunPoint``) register one loader factory with
``register_dataset_family``; ``DATASETS.get("ucr:GunPoint")`` builds (and remembers) the loader on demand.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sslbench.ssl_models.data.base import MODALITIES, DatasetLoader
from sslbench.ssl_models.options import options_model, validated
from sslbench.ssl_models.registry import Registry, UnknownNameError

LoaderFactory = Callable[[str], DatasetLoader]


class DatasetRegistry(Registry[DatasetLoader]):
    """A registry of loaders that also resolves ``prefix:argument`` names through registered families."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self._families: dict[str, tuple[str, LoaderFactory]] = {}
        self._arguments: dict[str, str] = {}
        self._resolved: dict[str, DatasetLoader] = {}
        self._modalities: dict[str, str] = {}

    def register_loader(self, name: str, modality: str) -> Callable[[DatasetLoader], DatasetLoader]:
        """Decorator that registers a loader under ``name`` with the modality it declares."""

        def decorate(loader: DatasetLoader) -> DatasetLoader:
            self.register(name)(loader)
            self._modalities[name] = modality
            return loader

        return decorate

    def modality(self, name: str) -> str:
        """The modality that dataset ``name`` (or its ``prefix:`` family) declared at registration."""
        self.get(name)
        return self._modalities[name]

    def register_family(self, prefix: str, modality: str, make_loader: LoaderFactory, argument: str = "Name") -> None:
        """Resolve ``prefix:argument`` names with ``make_loader(argument)`` (UnknownNameError for a bad argument);
        ``argument`` describes the argument in listings (``ucr:<Name>``)."""
        if prefix in self._families:
            raise ValueError(f"{self.kind} family '{prefix}:' is registered twice")
        self._families[prefix] = (modality, make_loader)
        self._arguments[prefix] = argument

    def families(self) -> list[str]:
        """Patterns of the registered families, e.g. ``ucr:<Name>``."""
        return [f"{prefix}:<{self._arguments[prefix]}>" for prefix in sorted(self._families)]

    def get(self, name: str) -> DatasetLoader:
        """The loader registered as ``name``, or built by the family its ``prefix:`` names."""
        prefix, colon, argument = name.partition(":")
        if not colon or prefix not in self._families:
            try:
                return super().get(name)
            except UnknownNameError as error:
                families = ", ".join(self.families())
                raise UnknownNameError(f"{error}{'; families: ' + families if families else ''}") from None
        if name not in self._resolved:
            modality, make_loader = self._families[prefix]
            self._resolved[name] = make_loader(argument)
            self._modalities[name] = modality
        return self._resolved[name]

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            self.get(name)
        except UnknownNameError:
            return False
        return True


DATASETS: DatasetRegistry = DatasetRegistry("dataset")


def register_dataset(name: str, modality: str) -> Callable[[DatasetLoader], DatasetLoader]:
    """Register a loader under ``name``, declaring its modality so planners need not load the data."""
    if modality not in MODALITIES:
        raise ValueError(f"unknown modality '{modality}'; valid modalities: {', '.join(MODALITIES)}")
    return DATASETS.register_loader(name, modality)


def check_loader_options(name: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` typed by dataset ``name``'s loader parameters (a ``Literal`` names the choices), checked without
    loading the data; a ValueError naming ``dataset_options.NAME.KEY`` and the valid choices otherwise."""
    where = f"dataset_options.{name}"
    return validated(options_model(where, DATASETS.get(name)), options, where)


def modality_of(name: str) -> str:
    """The modality that dataset ``name`` declared at registration."""
    return DATASETS.modality(name)


def register_dataset_family(
    prefix: str, modality: str, argument: str = "Name"
) -> Callable[[LoaderFactory], LoaderFactory]:
    """Register a factory ``argument -> loader`` answering every dataset name ``prefix:argument``."""
    if modality not in MODALITIES:
        raise ValueError(f"unknown modality '{modality}'; valid modalities: {', '.join(MODALITIES)}")

    def decorate(make_loader: LoaderFactory) -> LoaderFactory:
        DATASETS.register_family(prefix, modality, make_loader, argument)
        return make_loader

    return decorate
