"""PyTorch Geometric, imported on first use: it takes seconds to import, and its import prints a FutureWarning about
``torch.jit.script`` that says nothing about the user's run."""

from __future__ import annotations

import importlib
import warnings
from types import ModuleType


def pyg(module: str = "") -> ModuleType:
    """``torch_geometric.<module>`` (``torch_geometric`` itself for ""), imported without its import-time warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*torch\.jit\.script.*", category=FutureWarning)
        return importlib.import_module(f"torch_geometric.{module}" if module else "torch_geometric")
