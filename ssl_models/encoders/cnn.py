"""Convolutional encoder: 2-D convolutions on the grid view of images, 1-D convolutions on (C, T) sequences.

One architecture, built for the rank of the examples (the layers differ only in their dimension):

    [conv3 → BN → ReLU] × 2 → maxpool2, twice (width, 2·width channels) → adaptive average pool → Linear

The adaptive pool keeps 2×2 cells of an image and 4 steps of a sequence, so the head reads 8·width features
either way. Pooling rounds up (``ceil_mode``), so short sequences and small images still fit.

Padded sequences (``honour_padding``): each block's output is zeroed on the padding, so the next convolution
sees the zeros its own padding would give, the max-pools (of ReLU outputs ≥ 0) ignore it, and the adaptive pool
averages each example's real steps only — extra trailing zeros change no embedding.
"""

from __future__ import annotations

from typing import cast

import torch
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.encoders.registry import ENCODERS
from sslbench.ssl_models.padding import step_mask
from torch import nn

# Layer types per number of spatial dimensions: 1 for sequences (B, C, T), 2 for images (B, C, H, W).
_LAYERS = {
    1: (nn.Conv1d, nn.BatchNorm1d, nn.MaxPool1d, nn.AdaptiveAvgPool1d, 4),
    2: (nn.Conv2d, nn.BatchNorm2d, nn.MaxPool2d, nn.AdaptiveAvgPool2d, 2),
}


def _conv_block(dims: int, in_channels: int, out_channels: int) -> nn.Sequential:
    conv, norm, _, _, _ = _LAYERS[dims]
    return nn.Sequential(
        conv(in_channels, out_channels, 3, padding=1, bias=False), norm(out_channels), nn.ReLU(inplace=True)
    )


def conv_features(dims: int, in_channels: int, width: int) -> nn.Sequential:
    """The convolutional trunk for ``dims`` spatial dimensions: (B, C, *grid) → (B, 8·width)."""
    _, _, max_pool, adaptive_pool, cells = _LAYERS[dims]
    return nn.Sequential(
        _conv_block(dims, in_channels, width),
        _conv_block(dims, width, width),
        max_pool(2, ceil_mode=True),
        _conv_block(dims, width, 2 * width),
        _conv_block(dims, 2 * width, 2 * width),
        max_pool(2, ceil_mode=True),
        adaptive_pool(cells),
        nn.Flatten(),
    )


@ENCODERS.register("cnn")
class CNNEncoder(Encoder):
    """Conv trunk (2-D for (C, H, W) images, 1-D for (C, T) sequences) → Linear(embedding_dim).

    Options: ``width`` (channels of the first two convolutions; the last two have 2·width), default 32;
    ``head`` (default True): with False there is no Linear, and the embedding is the pooled convolutional features
    themselves, 8·width dimensions (``embedding_dim`` is then ignored), as with a ResNet's pooled output in
    SimCLR (Chen et al. 2020), whose projector sits directly on it and whose linear probe reads it.
    """

    modalities = ("image", "sequence")
    reads_padding = True
    any_input_size = True

    def __init__(self, sample_shape: tuple[int, ...], embedding_dim: int, width: int = 32, head: bool = True) -> None:
        super().__init__(sample_shape, embedding_dim)
        dims = len(self.sample_shape) - 1
        if dims not in _LAYERS:
            raise ValueError(
                f"cnn needs (C, H, W) images or (C, T) sequences, got examples of shape {self.sample_shape}"
            )
        if width < 1:
            raise ValueError(f"cnn: width must be positive, got {width}")
        self.features = conv_features(dims, self.sample_shape[0], width)
        if not isinstance(head, bool):
            raise ValueError(f"cnn: head must be true or false, got {head!r}")
        self.head = nn.Linear(8 * width, embedding_dim) if head else nn.Identity()
        if not head:
            self.embedding_dim = 8 * width
        for module in self.modules():
            if isinstance(module, (nn.Conv1d, nn.Conv2d)):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
        self.memory_format = torch.channels_last if dims == 2 else torch.contiguous_format
        self.features.to(memory_format=self.memory_format)

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        """Images run channels-last (NHWC): convolution, batch norm, ReLU and pooling are 1.25–1.3× faster so."""
        lengths = self.valid_lengths(inputs)
        if lengths is None:
            return self.head(self.features(inputs.contiguous(memory_format=self.memory_format)))
        return self.head(self._padded_features(inputs, lengths))

    def _padded_features(self, inputs: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """The trunk on zero-padded (B, C, T) series, skipping each example's padding (see the module docstring)."""
        hidden = inputs
        for layer in self.features:
            if isinstance(layer, nn.Sequential):
                hidden = layer(hidden) * step_mask(lengths, hidden.shape[-1])[:, None, :].to(hidden.dtype)
            elif isinstance(layer, nn.MaxPool1d):
                hidden, lengths = layer(hidden), (lengths + 1) // 2
            elif isinstance(layer, nn.AdaptiveAvgPool1d):
                pooled = hidden.new_empty(*hidden.shape[:2], cast(int, layer.output_size))
                for length in lengths.unique().tolist():
                    rows = lengths == length
                    pooled[rows] = layer(hidden[rows, :, :length])
                hidden = pooled
            else:
                hidden = layer(hidden)
        return hidden
