"""NumPy rows as CPU tensors, for arrays sslbench shares read-only (a process's open split, memory-mapped banks)."""

from __future__ import annotations

import numpy as np
import torch


def host_tensor(rows: np.ndarray, dtype: type | None = None) -> torch.Tensor:
    """``rows`` as a CPU tensor: the same memory when the array is writable and contiguous, else a copy.

    ``torch.from_numpy`` warns on a read-only array (writing through the tensor would be undefined), so read-only
    rows (a slice of a shared split, a memory-mapped bank) are copied; a batch's copy is small.
    """
    array = np.ascontiguousarray(rows, dtype=dtype)
    if not array.flags.writeable:
        array = array.copy()
    return torch.from_numpy(array)
