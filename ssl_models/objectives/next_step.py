"""Next-step prediction: a causal sequence encoder's token at step t predicts the input at step t + 1.

The autoregressive objective of CPC's predictive half and of language/sequence modelling, here as
regression: van den Oord, Li & Vinyals (2018), "Representation learning with contrastive predictive coding";
Elman (1990), "Finding structure in time".

Sequences x are (B, C, T); the encoder is causal (token h_t depends on x_{≤t}) and provides tokens
(B, T, D). A linear head W (scaffolding) reads each token:

    x̂_{t+1} = W h_t + b
    loss    = (1 / (B·C·(T − 1))) Σ_i Σ_{t=0}^{T−2} ‖x_{i,t+1} − x̂_{i,t+1}‖²

The head is linear because, for a linear-Gaussian state-space model, the optimal one-step prediction (the
Kalman filter's) is linear in the filtered state: the encoder must carry that state. ``predict_next`` gives
the per-step predictions, which the LDS evaluator compares with the Kalman filter's optimal MSE.

Example::

    objective = NextStep(causal_encoder)                 # encoder.causal and encoder.provides_tokens
    loss = objective(Batch(inputs=sequences))            # (B, C, T)
    predictions = objective.predict_next(sequences)      # (B, C, T − 1): x̂_1 … x̂_{T−1}
"""

from __future__ import annotations

import torch
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.objectives._common import reconstruction_error
from sslbench.ssl_models.objectives.base import Batch, Objective
from sslbench.ssl_models.objectives.registry import OBJECTIVES
from torch import nn


@OBJECTIVES.register("next_step")
class NextStep(Objective):
    """Predict x_{t+1} from the causal token h_t with a linear head; mean squared error."""

    family = "predictive"
    requires = frozenset({"causal", "tokens"})
    modalities = ("sequence",)

    def __init__(self, encoder: Encoder) -> None:
        super().__init__(encoder)
        reason = self.incompatibility(type(encoder), "sequence")
        if reason is not None:
            raise ValueError(f"next_step cannot train {type(encoder).__name__}: {reason}")
        if len(encoder.sample_shape) != 2:
            raise ValueError(f"next_step needs (C, T) sequences, got examples of shape {encoder.sample_shape}")
        self.head = nn.Linear(self.token_dim(encoder), encoder.sample_shape[0])

    @staticmethod
    def token_dim(encoder: Encoder) -> int:
        """D of ``encoder.tokens``: read off one dummy sequence."""
        was_training = encoder.training
        encoder.eval()
        with torch.no_grad():
            dummy = torch.zeros(2, *encoder.sample_shape)
            dim = encoder.tokens(dummy).shape[-1]
        encoder.train(was_training)
        return dim

    def predict_next(self, inputs: torch.Tensor) -> torch.Tensor:
        """x̂_{t+1} = W h_t + b for t = 0 … T − 2, as (B, C, T − 1) aligned with ``inputs[:, :, 1:]``."""
        tokens = self.encoder.tokens(inputs)
        if tokens.shape[1] != inputs.shape[2]:
            raise ValueError(
                f"encoder gave {tokens.shape[1]} tokens for {inputs.shape[2]} time steps; "
                "next_step needs one token per step"
            )
        return self.head(tokens[:, :-1]).transpose(1, 2)

    def forward(self, batch: Batch) -> torch.Tensor:
        if batch.inputs.shape[2] < 2:
            raise ValueError("next_step needs sequences of at least two steps")
        return reconstruction_error(self.predict_next(batch.inputs), batch.inputs[:, :, 1:], self.encoder)
