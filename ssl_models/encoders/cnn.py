"""Convolutional encoder on the 2-D grid view of images."""

from __future__ import annotations

import torch
from torch import nn

from ssl_models.encoders.base import Encoder
from ssl_models.encoders.registry import ENCODERS


def _conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


@ENCODERS.register("cnn")
class CNNEncoder(Encoder):
    """[conv3×3 → BN → ReLU] × 2 → maxpool, twice (width, 2·width channels) → 2×2 adaptive pool → Linear."""

    modalities = ("image",)

    def __init__(self, sample_shape: tuple[int, ...], embedding_dim: int, width: int = 32) -> None:
        super().__init__(sample_shape, embedding_dim)
        if len(self.sample_shape) != 3:
            raise ValueError(f"cnn needs (C, H, W) images, got examples of shape {self.sample_shape}")
        channels = self.sample_shape[0]
        self.features = nn.Sequential(
            _conv_block(channels, width), _conv_block(width, width), nn.MaxPool2d(2),
            _conv_block(width, 2 * width), _conv_block(2 * width, 2 * width), nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(2), nn.Flatten(),
        )
        self.head = nn.Linear(2 * width * 4, embedding_dim)
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(inputs))
