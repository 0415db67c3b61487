"""TS2Vec's hierarchical contrastive loss on two overlapping random crops.

Yue et al. (2022), "TS2Vec: Towards Universal Representation of Time Series" (AAAI); reference code
``ts2vec.py`` (crops) and ``models/losses.py`` (loss). With per-step representations r1, r2 (B, T, D) of the
overlap seen from two crops, and raw dot products as similarities (no normalisation, no temperature):

    instance(r1, r2) = mean_t mean_i ½[ℓ_t(i, B+i) + ℓ_t(B+i, i)],   ℓ_t(a, b) = −log softmax_{k≠a}(z_{t,a}·z_{t,k})_b
                       over the 2B vectors z_t = [r1_{:,t}; r2_{:,t}] of step t (other series are negatives)
    temporal(r1, r2) = mean_i mean_t ½[ℓ_i(t, T+t) + ℓ_i(T+t, t)]
                       over the 2T vectors z_i = [r1_{i,:}; r2_{i,:}] of series i (other steps are negatives)
    loss = (1/S) Σ_s [α·instance(r1^s, r2^s) + (1 − α)·temporal(r1^s, r2^s)],  r^{s+1} = maxpool_2(r^s) along time,

over the scales s = 0 … S−1 while the length exceeds 1, plus the instance term alone at length 1 (it counts as a
scale in S). The instance term is 0 for a batch of one series and the temporal term 0 for one step. Published
defaults: α = 0.5, temporal contrast from the finest scale on (temporal_unit 0).

Crops (one draw per batch): an overlap [a, b) of length ≥ 2 is drawn, then crop 1 = [a1, b) and crop 2 = [a, b2)
with a1 ≤ a and b2 ≥ b; every series is shifted by its own random offset that keeps both crops inside it.
The encoder sees each whole crop (the context around the overlap), the loss compares only the overlap.
Deviation: none from the paper's loss and crops; the trainer's optimiser and budget are set in the suite
(TS2Vec: AdamW lr 1e-3, batch 8, 200 iterations, 600 for sets of over 100 000 values, no schedule), and the
evaluated encoder is the equal-weight mean of the initial weights and every iterate, θ_avg = (θ_0 + … + θ_n)/(n + 1)
(the reference code's ``AveragedModel``, whose first ``update_parameters`` call is made on the initial weights).
"""

from __future__ import annotations

import copy
from typing import NamedTuple

import torch
import torch.nn.functional as F
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.objectives.base import Batch, Objective
from sslbench.ssl_models.objectives.registry import OBJECTIVES


def _pairwise_contrast(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """Mean over the leading axis G of InfoNCE between rows of (G, N, D) ``first`` and ``second``: each of the 2N
    vectors of a group is classified against the other 2N − 1 by dot product, its positive the same row of the
    other side."""
    n_rows = first.shape[1]
    vectors = torch.cat([first, second], dim=1)
    similarity = vectors @ vectors.transpose(1, 2)
    logits = torch.tril(similarity, diagonal=-1)[:, :, :-1] + torch.triu(similarity, diagonal=1)[:, :, 1:]
    log_probability = -F.log_softmax(logits, dim=-1)
    rows = torch.arange(n_rows, device=first.device)
    return (log_probability[:, rows, n_rows + rows - 1].mean() + log_probability[:, n_rows + rows, rows].mean()) / 2


def instance_contrastive_loss(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """Contrast of (B, T, D) representations across series, per step; 0 when B = 1."""
    if first.shape[0] == 1:
        return first.new_zeros(())
    return _pairwise_contrast(first.transpose(0, 1), second.transpose(0, 1))


def temporal_contrastive_loss(first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """Contrast of (B, T, D) representations across steps, per series; 0 when T = 1."""
    if first.shape[1] == 1:
        return first.new_zeros(())
    return _pairwise_contrast(first, second)


def hierarchical_contrastive_loss(
    first: torch.Tensor, second: torch.Tensor, alpha: float = 0.5, temporal_unit: int = 0
) -> torch.Tensor:
    """Mean over the max-pool-by-2 scales of α·instance + (1 − α)·temporal (temporal from scale ``temporal_unit``)."""
    if first.shape != second.shape:
        raise ValueError(f"the two crops' overlaps differ in shape: {tuple(first.shape)} and {tuple(second.shape)}")
    loss = first.new_zeros(())
    scales = 0
    while first.shape[1] > 1:
        if alpha != 0:
            loss = loss + alpha * instance_contrastive_loss(first, second)
        if scales >= temporal_unit and alpha != 1:
            loss = loss + (1 - alpha) * temporal_contrastive_loss(first, second)
        scales += 1
        first = F.max_pool1d(first.transpose(1, 2), kernel_size=2).transpose(1, 2)
        second = F.max_pool1d(second.transpose(1, 2), kernel_size=2).transpose(1, 2)
    if first.shape[1] == 1:
        if alpha != 0:
            loss = loss + alpha * instance_contrastive_loss(first, second)
        scales += 1
    return loss / scales


class CropPair(NamedTuple):
    """Two crops sharing the overlap [overlap_start, overlap_end) before each series' ``offsets`` shift."""

    first_start: int
    overlap_start: int
    overlap_end: int
    second_end: int
    offsets: torch.Tensor

    @property
    def overlap_length(self) -> int:
        """Steps in the overlap."""
        return self.overlap_end - self.overlap_start


def draw_crops(batch: int, steps: int, generator: torch.Generator, min_overlap: int = 2) -> CropPair:
    """TS2Vec's crop draw: overlap length in [min_overlap, T], its start, the crops' outer ends, per-series offsets."""
    if steps < min_overlap:
        raise ValueError(f"ts2vec needs series of at least {min_overlap} steps, got {steps}")

    def integer(low: int, high: int) -> int:  # uniform on [low, high)
        return int(torch.randint(low, high, (1,), generator=generator).item())

    length = integer(min_overlap, steps + 1)
    start = integer(0, steps - length + 1)
    end = start + length
    first_start = integer(0, start + 1)
    second_end = integer(end, steps + 1)
    offsets = torch.randint(-first_start, steps - second_end + 1, (batch,), generator=generator)
    return CropPair(first_start, start, end, second_end, offsets)


def take_per_row(inputs: torch.Tensor, starts: torch.Tensor, length: int) -> torch.Tensor:
    """(B, C, T) → (B, C, length): series i from step starts[i]."""
    index = starts.to(inputs.device)[:, None] + torch.arange(length, device=inputs.device)
    return torch.gather(inputs, 2, index[:, None, :].expand(-1, inputs.shape[1], -1))


@OBJECTIVES.register("ts2vec")
class TS2Vec(Objective):
    """Hierarchical contrast of the overlap of two random crops, through the encoder's per-step ``tokens``.

    Options: ``alpha`` (weight of the instance term, 0.5), ``temporal_unit`` (first scale with temporal contrast,
    0), ``average_weights`` (evaluate the running mean of the iterates, True, as the reference code).
    """

    family = "contrastive"
    requires = frozenset({"tokens"})
    modalities = ("sequence",)

    def __init__(
        self, encoder: Encoder, alpha: float = 0.5, temporal_unit: int = 0, average_weights: bool = True
    ) -> None:
        super().__init__(encoder)
        if not 0.0 <= alpha <= 1.0:
            raise ValueError(f"ts2vec: alpha must be in [0, 1], got {alpha}")
        if temporal_unit < 0:
            raise ValueError(f"ts2vec: temporal_unit must be non-negative, got {temporal_unit}")
        self.alpha, self.temporal_unit = alpha, temporal_unit
        # With averaging, ``encoder`` (the one evaluated) holds the mean of the initial weights and the iterates of
        # ``online`` (the one trained); it never enters the loss, so it gets no gradient and the optimiser leaves it
        # alone. It starts as the initial weights, the first of the averaged points.
        self.online = copy.deepcopy(encoder) if average_weights else encoder
        self.averaged_points = 1

    def forward(self, batch: Batch) -> torch.Tensor:
        inputs = batch.inputs
        crops = draw_crops(
            inputs.shape[0],
            inputs.shape[-1],
            self.random_generator(torch.device("cpu")),
            min_overlap=2 ** (self.temporal_unit + 1),
        )
        first = self.online.tokens(
            take_per_row(inputs, crops.offsets + crops.first_start, crops.overlap_end - crops.first_start)
        )
        second = self.online.tokens(
            take_per_row(inputs, crops.offsets + crops.overlap_start, crops.second_end - crops.overlap_start)
        )
        length = crops.overlap_length
        return hierarchical_contrastive_loss(first[:, -length:], second[:, :length], self.alpha, self.temporal_unit)

    @torch.no_grad()
    def after_step(self) -> None:
        """θ_avg ← θ_avg + (θ − θ_avg) / (n + 1) over the n points averaged so far: the equal-weight mean of the
        initial weights and every iterate."""
        if self.online is self.encoder:
            return
        self.averaged_points += 1
        for average, current in zip(self.encoder.parameters(), self.online.parameters()):
            average.add_(current.detach() - average, alpha=1.0 / self.averaged_points)
        for average_buffer, buffer in zip(self.encoder.buffers(), self.online.buffers()):
            average_buffer.copy_(buffer)
