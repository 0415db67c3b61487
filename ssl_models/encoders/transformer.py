"""Transformer encoders over patches of an image or time steps of a sequence: bidirectional, and causal.

Vaswani et al. (2017), "Attention is all you need"; Dosovitskiy et al. (2021), "An image is worth 16×16 words"
(ViT: patch embedding, learned positions, CLS token); Xiong et al. (2020), "On layer normalization in the
transformer architecture" (pre-norm).

Tokens: an image (C, H, W) is cut into non-overlapping p×p patches in raster order (p = ``patch_size``,
default the largest common divisor of H and W that is ≤ min(H, W) / 7: 4 on 28×28, the masked autoencoder's
default grid); a sequence (C, T) gives one token per time step (or per window of ``patch_size`` steps).
Each patch is embedded linearly and gets a learned position embedding; then

    [x ← x + MHSA(LN(x));  x ← x + MLP(LN(x))] × n_layers → LN

``transformer`` attends in both directions and embeds with a CLS token (``pooling="cls"``, default) or the
mean of the tokens; ``causal_transformer`` masks attention to earlier tokens (token t sees tokens ≤ t), so its
tokens are causal, and embeds with the last token (``pooling="last"``, default) or the mean.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from sslbench.ssl_models.encoders._common import pool_tokens
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.encoders.registry import ENCODERS
from sslbench.ssl_models.padding import step_mask
from sslbench.ssl_models.vocabulary import default_patch_size
from torch import nn


def _initialise(module: nn.Module) -> None:
    """ViT/MAE initialisation: Xavier-uniform projections (each layer its own draw), zero biases, unit norms."""
    if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d)):
        nn.init.xavier_uniform_(module.weight.view(module.weight.shape[0], -1))
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.MultiheadAttention):
        nn.init.xavier_uniform_(module.in_proj_weight)
        nn.init.zeros_(module.in_proj_bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


@ENCODERS.register("transformer")
class TransformerEncoder(Encoder):
    """Pre-norm Transformer encoder over patch or time-step tokens with learned positions.

    Options: ``d_model`` 64; ``n_heads`` 4; ``n_layers`` 4; ``mlp_ratio`` 4 (MLP width mlp_ratio·d_model);
    ``dropout`` 0.0; ``patch_size`` (images: default ≈ 7×7 patches; sequences: 1); ``pooling`` "cls" (default)
    | "mean".
    """

    modalities = ("image", "sequence")
    provides_tokens = True
    reads_padding = True
    poolings: ClassVar[tuple[str, ...]] = ("cls", "mean")

    def __init__(
        self,
        sample_shape: tuple[int, ...],
        embedding_dim: int,
        d_model: int = 64,
        n_heads: int = 4,
        n_layers: int = 4,
        mlp_ratio: int = 4,
        dropout: float = 0.0,
        patch_size: int | None = None,
        pooling: str | None = None,
    ) -> None:
        super().__init__(sample_shape, embedding_dim)
        family = "causal_transformer" if self.causal else "transformer"
        self.pooling = pooling or self.poolings[0]
        if self.pooling not in self.poolings:
            raise ValueError(f"{family}: unknown pooling '{pooling}'; valid choices: {', '.join(self.poolings)}")
        if d_model < 1 or n_layers < 1 or n_heads < 1 or d_model % n_heads:
            raise ValueError(
                f"{family}: need positive d_model, n_layers, n_heads with n_heads dividing d_model, "
                f"got {d_model}, {n_layers}, {n_heads}"
            )
        self.patch_embedding, n_tokens = self._patch_embedding(family, d_model, patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, d_model)) if self.pooling == "cls" else None
        self.position = nn.Parameter(torch.zeros(1, n_tokens + (self.cls_token is not None), d_model))
        layer = nn.TransformerEncoderLayer(
            d_model, n_heads, mlp_ratio * d_model, dropout, activation="gelu", batch_first=True, norm_first=True
        )
        self.layers = nn.TransformerEncoder(layer, n_layers, norm=nn.LayerNorm(d_model), enable_nested_tensor=False)
        self.head = nn.Linear(d_model, embedding_dim)
        if self.causal:
            self.register_buffer(
                "attention_mask", nn.Transformer.generate_square_subsequent_mask(n_tokens), persistent=False
            )
        self.apply(_initialise)
        nn.init.trunc_normal_(self.position, std=0.02)
        if self.cls_token is not None:
            nn.init.trunc_normal_(self.cls_token, std=0.02)

    def _patch_embedding(self, family: str, d_model: int, patch_size: int | None) -> tuple[nn.Conv1d | nn.Conv2d, int]:
        """A linear embedding of non-overlapping patches (a convolution with stride = kernel), and the token count."""
        if len(self.sample_shape) == 3:
            channels, height, width = self.sample_shape
            patch = patch_size or default_patch_size(height, width)
            if patch < 1 or height % patch or width % patch:
                raise ValueError(f"{family}: patch_size {patch} does not divide the {height}×{width} image")
            return nn.Conv2d(channels, d_model, patch, stride=patch), (height // patch) * (width // patch)
        if len(self.sample_shape) == 2:
            channels, steps = self.sample_shape
            patch = patch_size or 1
            if patch < 1 or steps % patch:
                raise ValueError(f"{family}: patch_size {patch} does not divide the sequence length {steps}")
            return nn.Conv1d(channels, d_model, patch, stride=patch), steps // patch
        raise ValueError(
            f"{family} reads (C, T) sequences or (C, H, W) images, got examples of shape {self.sample_shape}"
        )

    def _token_lengths(self, inputs: torch.Tensor) -> torch.Tensor | None:
        """Real tokens per example for padded sequences (a patch holding any real step is real), else None."""
        lengths = self.valid_lengths(inputs)
        if lengths is None:
            return None
        patch = self.patch_embedding.kernel_size[0]
        return (lengths + patch - 1) // patch

    def _encode(self, inputs: torch.Tensor) -> torch.Tensor:
        """Output of the stack (B, [CLS +] T, d_model); padding tokens are never attended to."""
        tokens = self.patch_embedding(inputs).flatten(2).transpose(1, 2)
        lengths = self._token_lengths(inputs)
        padding = None if lengths is None else ~step_mask(lengths, tokens.shape[1])
        if self.cls_token is not None:
            tokens = torch.cat([self.cls_token.expand(len(tokens), -1, -1), tokens], dim=1)
            if padding is not None:
                padding = torch.cat([padding.new_zeros(len(padding), 1), padding], dim=1)
        tokens = tokens + self.position
        if self.causal:
            if padding is not None:  # one mask type for both masks: an additive float mask, like the causal one
                padding = torch.zeros(padding.shape, dtype=tokens.dtype, device=tokens.device).masked_fill(
                    padding, float("-inf")
                )
            return self.layers(tokens, mask=self.attention_mask, is_causal=True, src_key_padding_mask=padding)
        return self.layers(tokens, src_key_padding_mask=padding)

    def tokens(self, inputs: torch.Tensor) -> torch.Tensor:
        """Per-patch (or per-step) outputs (B, T, d_model), CLS excluded."""
        encoded = self._encode(inputs)
        return encoded[:, 1:] if self.cls_token is not None else encoded

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        encoded = self._encode(inputs)
        if self.cls_token is not None:
            return self.head(encoded[:, 0])
        return self.head(pool_tokens(encoded, self.pooling, self._token_lengths(inputs)))


@ENCODERS.register("causal_transformer")
class CausalTransformerEncoder(TransformerEncoder):
    """The Transformer encoder with a causal attention mask; embedding = last token (default) or mean.

    Options: as ``transformer``, with ``pooling`` "last" (default) | "mean".
    """

    causal = True
    poolings = ("last", "mean")
