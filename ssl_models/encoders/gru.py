"""Recurrent baseline: a multi-layer GRU over the sequence view (time steps, or image rows).

Cho, van Merriënboer, Gulcehre, Bahdanau, Bougares, Schwenk & Bengio (2014), "Learning phrase representations
using RNN encoder–decoder for statistical machine translation":

    r_t = σ(W_r x_t + U_r h_{t−1}),  z_t = σ(W_z x_t + U_z h_{t−1})
    n_t = tanh(W_n x_t + r_t ⊙ (U_n h_{t−1}))
    h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}

Unidirectional, so causal; ``tokens`` are the top layer's hidden states h_t (B, T, hidden_dim) and the
embedding is Linear(h_{T−1}) (``pooling="last"``) or Linear(mean_t h_t). Each gate's input matrix is
Xavier-uniform and its recurrent matrix orthogonal; biases are zero.
"""

from __future__ import annotations

import torch
from sslbench.ssl_models.encoders._common import CausalSequenceEncoder, as_sequence, check_pooling, sequence_dims
from sslbench.ssl_models.encoders.registry import ENCODERS
from torch import nn


@ENCODERS.register("gru")
class GRUEncoder(CausalSequenceEncoder):
    """GRU stack over the sequence view → Linear(embedding_dim) of the last (or mean) hidden state.

    Options: ``hidden_dim`` 128; ``n_layers`` 2; ``dropout`` 0.0 (between layers); ``pooling`` "last" | "mean".
    """

    def __init__(
        self,
        sample_shape: tuple[int, ...],
        embedding_dim: int,
        hidden_dim: int = 128,
        n_layers: int = 2,
        dropout: float = 0.0,
        pooling: str = "last",
    ) -> None:
        super().__init__(sample_shape, embedding_dim)
        _, features = sequence_dims(self.sample_shape, "gru")
        if hidden_dim < 1 or n_layers < 1:
            raise ValueError(f"gru: hidden_dim and n_layers must be positive, got {hidden_dim} and {n_layers}")
        self.pooling = check_pooling(pooling, "gru")
        self.gru = nn.GRU(features, hidden_dim, n_layers, batch_first=True, dropout=dropout if n_layers > 1 else 0.0)
        for name, weight in self.gru.named_parameters():
            if name.startswith("bias"):
                nn.init.zeros_(weight)
                continue
            for gate in weight.chunk(3, dim=0):
                (nn.init.xavier_uniform_ if name.startswith("weight_ih") else nn.init.orthogonal_)(gate)
        self.head = nn.Linear(hidden_dim, embedding_dim)

    def tokens(self, inputs: torch.Tensor) -> torch.Tensor:
        """Top-layer hidden states (B, T, hidden_dim); h_t depends on steps 0..t only."""
        return self.gru(as_sequence(inputs).contiguous())[0]
