"""Supervised upper bound: the same encoder trained with labels (cross entropy through a linear head),
same budget as the self-supervised runs; the head is scaffolding and the frozen encoder is probed like the rest.

    loss = −(1/B) Σ_i log softmax(W f(x_i) + b)_{y_i}
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ssl_models.encoders.base import Encoder
from ssl_models.objectives.base import Batch, Objective
from ssl_models.objectives.registry import OBJECTIVES


@OBJECTIVES.register("supervised")
class Supervised(Objective):
    """Cross entropy with a linear classification head; trains on augmented views when the bank has them."""

    family = "supervised"
    needs_labels = True
    n_views = 1

    def __init__(self, encoder: Encoder, n_classes: int = 10) -> None:
        super().__init__(encoder)
        self.head = nn.Linear(encoder.embedding_dim, n_classes)

    def forward(self, batch: Batch) -> torch.Tensor:
        if batch.labels is None:
            raise ValueError("the supervised objective needs labels")
        inputs = batch.views[:, 0] if batch.views is not None else batch.inputs
        return F.cross_entropy(self.head(self.encoder(inputs)), batch.labels)
