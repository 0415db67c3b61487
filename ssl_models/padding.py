"""Zero-padded sequences: which steps of a (B, C, T) batch are real.

Unequal-length series (``ucr_padded:``) are stored zero-padded at the end, with the mask ``extras["mask"]``. The
mask cannot travel through every stage's tensors, so components read it back from the data contract: the real
steps of a padded series are those up to its last step with any non-zero channel, ``length = 1 + max{t : x[:, t] ≠ 0}``
(at least 1). Normalisation keeps the pads exactly zero and leaves real steps non-zero in some channel (a real
trailing step that is exactly 0 in every channel would read as padding). Components use it only when told the data
is padded (``Encoder.honour_padding``, the sequence augmentation's ``padded`` option), so unpadded data that
happens to end in zeros is read as it is.
"""

from __future__ import annotations

import torch


def valid_lengths(inputs: torch.Tensor) -> torch.Tensor:
    """(B, C, T) → (B,) int64: the number of real steps, 1 + the last step with a non-zero channel (at least 1)."""
    if inputs.dim() != 3:
        raise ValueError(f"valid_lengths needs a (B, C, T) batch, got shape {tuple(inputs.shape)}")
    nonzero = (inputs != 0).any(dim=1)
    steps = torch.arange(1, inputs.shape[2] + 1, device=inputs.device)
    return (nonzero * steps).amax(dim=1).clamp(min=1)


def step_mask(lengths: torch.Tensor, length: int) -> torch.Tensor:
    """(B,) lengths → (B, length) bool, True on the real steps."""
    return torch.arange(length, device=lengths.device)[None, :] < lengths[:, None]
