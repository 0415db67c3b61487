"""Device and seeding helpers: a CUDA device when present, the CPU otherwise; one seed fixes everything."""

from __future__ import annotations

import random

import numpy as np
import torch


def default_device() -> torch.device:
    """``cuda`` when a GPU is visible, else ``cpu`` (never hard-coded)."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a CPU ``torch.Generator`` seeded with ``seed``."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    generator = torch.Generator()
    generator.manual_seed(seed)
    return generator
