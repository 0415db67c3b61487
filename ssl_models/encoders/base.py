"""The encoder contract: native-modality batch in, embedding (B, embedding_dim) out.

An encoder reads the dataset in its own *view* (a flat vector for an MLP, a grid for a CNN, a sequence of
rows for sequence models), converting inside ``forward`` so every family sees the same examples.
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import nn


class Encoder(nn.Module):
    """Base class: subclasses set the class attributes and implement ``forward``.

    Attributes:
        modalities: dataset modalities this encoder can read.
        causal: output at step t depends only on inputs up to t (next-step prediction needs it).
        provides_tokens: implements ``tokens(x) -> (B, T, D)`` (masked and next-step objectives need it).
    """

    modalities: ClassVar[tuple[str, ...]] = ()
    causal: ClassVar[bool] = False
    provides_tokens: ClassVar[bool] = False

    def __init__(self, sample_shape: tuple[int, ...], embedding_dim: int) -> None:
        super().__init__()
        if embedding_dim < 1:
            raise ValueError(f"embedding_dim must be positive, got {embedding_dim}")
        self.sample_shape = tuple(sample_shape)
        self.embedding_dim = embedding_dim

    @property
    def input_size(self) -> int:
        """Number of scalars in one example."""
        return math.prod(self.sample_shape)

    def tokens(self, inputs: torch.Tensor) -> torch.Tensor:
        """Per-token features (B, T, D); only encoders with ``provides_tokens`` implement it."""
        raise NotImplementedError(f"{type(self).__name__} has no per-token features")

    def parameter_count(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)
