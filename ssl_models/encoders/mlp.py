"""Multi-layer perceptron on the flattened input, and the purely linear encoder z = W x + b."""

from __future__ import annotations

import torch
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.encoders.registry import ENCODERS
from torch import nn


@ENCODERS.register("mlp")
class MLPEncoder(Encoder):
    """flatten → [Linear → BatchNorm → ReLU] × depth → Linear(embedding_dim)."""

    modalities = ("image", "sequence", "vector")

    def __init__(
        self, sample_shape: tuple[int, ...], embedding_dim: int, hidden_dim: int = 512, depth: int = 2
    ) -> None:
        super().__init__(sample_shape, embedding_dim)
        layers: list[nn.Module] = [nn.Flatten()]
        width = self.input_size
        for _ in range(depth):
            layers += [nn.Linear(width, hidden_dim), nn.BatchNorm1d(hidden_dim), nn.ReLU(inplace=True)]
            width = hidden_dim
        layers.append(nn.Linear(width, embedding_dim))
        self.network = nn.Sequential(*layers)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.network(inputs)


@ENCODERS.register("linear")
class LinearEncoder(Encoder):
    """z = W·flatten(x) + b: with a linear decoder, the optimum spans the PCA subspace (Eckart–Young–Mirsky)."""

    modalities = ("image", "sequence", "vector")

    def __init__(self, sample_shape: tuple[int, ...], embedding_dim: int) -> None:
        super().__init__(sample_shape, embedding_dim)
        self.linear = nn.Linear(self.input_size, embedding_dim)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.linear(inputs.flatten(1))
