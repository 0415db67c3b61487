"""Device and seeding helpers: a CUDA device when present, the CPU otherwise; one seed fixes everything."""

from __future__ import annotations

import contextlib
import random
import threading
from collections.abc import Iterator

import numpy as np
import torch

_GLOBAL_RNG_LOCK = threading.RLock()


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


@contextlib.contextmanager
def seeded_global_rng(seed: int) -> Iterator[None]:
    """Run a block with torch's global generator seeded by ``seed``, restored afterwards, holding a lock.

    For code that can only draw from the global generator (module initialisation, torchvision transforms):
    the lock keeps parallel jobs in threads from interleaving their draws, so each gets what its seed gives.
    """
    with _GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield
