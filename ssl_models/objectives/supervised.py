"""Supervised upper bound: the same encoder trained with labels (cross entropy through a linear head),
same budget as the self-supervised runs; the head is scaffolding and the frozen encoder is probed like the rest.

    loss = −(1/B) Σ_i log softmax(W f(x_i) + b)_{y_i}

By default it trains on augmented views when the bank has them; with ``clean_inputs`` it trains on the clean inputs
the probes see, which with a long budget (a suite variant's ``train`` override) makes the bound an upper bound
(the sequence suites' ``supervised_clean``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.objectives.base import Batch, Objective
from sslbench.ssl_models.objectives.registry import OBJECTIVES
from torch import nn


@OBJECTIVES.register("supervised")
class Supervised(Objective):
    """Cross entropy with a linear classification head; on augmented views when the bank has them, unless
    ``clean_inputs``."""

    family = "supervised"
    needs_labels = True
    n_views = 1

    def __init__(self, encoder: Encoder, n_classes: int = 10, clean_inputs: bool = False) -> None:
        super().__init__(encoder)
        if not isinstance(clean_inputs, bool):
            raise ValueError(f"supervised: clean_inputs must be true or false, got {clean_inputs!r}")
        self.head = nn.Linear(encoder.embedding_dim, n_classes)
        self.clean_inputs = clean_inputs

    def forward(self, batch: Batch) -> torch.Tensor:
        if batch.labels is None:
            raise ValueError("the supervised objective needs labels")
        inputs = batch.views[:, 0] if batch.views is not None and not self.clean_inputs else batch.inputs
        return F.cross_entropy(self.head(self.encoder(inputs)), batch.labels)
