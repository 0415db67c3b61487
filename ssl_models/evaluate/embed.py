"""Embedding a dataset with a frozen encoder (eval mode, no gradients, weights untouched)."""

from __future__ import annotations

import numpy as np
import torch
from sslbench.ssl_models.device import default_device
from sslbench.ssl_models.host_tensors import host_tensor
from torch import nn


@torch.no_grad()
def embed(
    encoder: nn.Module, inputs: np.ndarray, batch_size: int = 1024, device: torch.device | None = None
) -> np.ndarray:
    """f(x) for every example, as float32 (N, D); the encoder's train/eval mode is restored afterwards.

    On a GPU each chunk is copied from pinned memory, asynchronously.
    """
    device = device or default_device()
    was_training = encoder.training
    encoder.to(device).eval()

    def chunk(start: int) -> torch.Tensor:
        rows = host_tensor(inputs[start : start + batch_size])
        return (rows.pin_memory() if device.type == "cuda" else rows).to(device, non_blocking=True)

    try:
        chunks = [encoder(chunk(start)).float().cpu().numpy() for start in range(0, len(inputs), batch_size)]
    finally:
        encoder.train(was_training)
    return np.concatenate(chunks).astype(np.float32)
