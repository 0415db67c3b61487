"""Name → component registries: adding a dataset, encoder or objective is one file plus one import line."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class UnknownNameError(ValueError):
    """A name that is not registered; the message lists the valid choices."""


class Registry(Generic[T]):
    """A mapping from a registry name to a component (class or factory function).

    >>> OBJECTIVES = Registry("objective")
    >>> @OBJECTIVES.register("autoencoder")
    ... class Autoencoder: ...
    >>> OBJECTIVES.get("autoencoder")
    <class 'ssl_models.registry.Autoencoder'>
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator that registers its target under ``name`` (names are unique)."""

        def decorate(item: T) -> T:
            if name in self._items:
                raise ValueError(f"{self.kind} '{name}' is registered twice")
            self._items[name] = item
            return item

        return decorate

    def get(self, name: str) -> T:
        """The component registered as ``name``; an UnknownNameError naming the valid choices otherwise."""
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(
                f"unknown {self.kind} '{name}'; valid {self.kind}s: {', '.join(self.names())}"
            ) from None

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._items)

    def in_registration_order(self) -> list[str]:
        """Registered names in the order they were registered (their modules' import order)."""
        return list(self._items)

    def items(self) -> Iterator[tuple[str, T]]:
        """(name, component) pairs, sorted by name."""
        return ((name, self._items[name]) for name in self.names())

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __len__(self) -> int:
        return len(self._items)
