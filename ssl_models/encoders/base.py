"""The encoder contract: native-modality batch in, embedding (B, embedding_dim) out.

An encoder reads the dataset in its own *view* (a flat vector for an MLP, a grid for a CNN, a sequence of
rows for sequence models), converting inside ``forward`` so every family sees the same examples.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import ClassVar

import torch
from sslbench.ssl_models.padding import valid_lengths
from sslbench.ssl_models.search_space import Tunable
from torch import nn


class Encoder(nn.Module):
    """Base class: subclasses set the class attributes and implement ``forward``.

    Attributes:
        modalities: dataset modalities this encoder can read.
        causal: output at step t depends only on inputs up to t (next-step prediction needs it).
        provides_tokens: implements ``tokens(x) -> (B, T, D)`` (masked and next-step objectives need it).
        reads_padding: after ``honour_padding()``, the embedding of a zero-padded (B, C, T) series ignores its
            padding (``ssl_models.padding``): extra trailing zeros change no embedding.
        any_input_size: reads examples of any spatial size or length, not only ``sample_shape`` (global
            pooling); multi-crop objectives need it for their smaller local views.
        search_space: the constructor options equal-budget tuning searches by default (``ssl_models.search_space``).
    """

    modalities: ClassVar[tuple[str, ...]] = ()
    causal: ClassVar[bool] = False
    provides_tokens: ClassVar[bool] = False
    reads_padding: ClassVar[bool] = False
    any_input_size: ClassVar[bool] = False
    search_space: ClassVar[Mapping[str, Tunable]] = {}

    def __init__(self, sample_shape: tuple[int, ...], embedding_dim: int) -> None:
        super().__init__()
        if embedding_dim < 1:
            raise ValueError(f"embedding_dim must be positive, got {embedding_dim}")
        self.sample_shape = tuple(sample_shape)
        self.embedding_dim = embedding_dim
        self.padded = False

    def honour_padding(self) -> None:
        """Treat (B, C, T) inputs as zero-padded at the end: pooling and attention skip the padding."""
        if not self.reads_padding:
            raise ValueError(f"{type(self).__name__} cannot skip padding")
        self.padded = True

    def valid_lengths(self, inputs: torch.Tensor) -> torch.Tensor | None:
        """Real steps per example (B,) for padded (B, C, T) inputs; None when every step is real."""
        return valid_lengths(inputs) if self.padded and inputs.dim() == 3 else None

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
