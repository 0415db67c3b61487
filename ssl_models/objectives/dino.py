"""DINO: self-distillation with no labels; a student matches a momentum teacher's sharpened prototypes.

Caron, Touvron, Misra, Jégou, Mairal, Bojanowski & Joulin (2021), "Emerging Properties in Self-Supervised
Vision Transformers".

Student h_s(f_s(·)) and teacher h_t(f_t(·)) map a view to K prototype scores; the teacher is an exponential
moving average of the student and gets no gradient. With centre c (K,), temperatures τ_t < τ_s (sharpening),
the global views G (2, full size) and all views V = G ∪ L (plus ``n_local_views`` smaller local crops L):

    P_t(x) = softmax((h_t(f_t(x)) − c) / τ_t),   P_s(x) = softmax(h_s(f_s(x)) / τ_s)
    loss   = (1 / B) Σ_i mean over pairs (g ∈ G, v ∈ V, v ≠ g) of  −Σ_k P_t(x_ig)_k log P_s(x_iv)_k
    after each step: θ_t ← m θ_t + (1 − m) θ_s (m on BYOL's cosine from ``momentum`` to 1),
                     c ← m_c c + (1 − m_c) · mean over the batch's teacher scores of the global views

Head: projector MLP → bottleneck z → K scores ⟨z / ‖z‖, w_k / ‖w_k‖⟩ (the paper's weight-normalised last layer
with its norm fixed to 1). Scaled down for small encoders: K = 256 prototypes (paper 65 536), a 512-wide head
with BatchNorm (the paper's ResNet variant), 6 local views (paper 6–10); τ_t is fixed at 0.04 (the paper warms
it up from 0.04 to 0.07 in its first 30 epochs). Views: global crops of scale (0.4, 1) at full size, local
crops of scale (0.05, 0.4) at 3/7 of the size (96 / 224 px in the paper); sequence views crop 20–50 % (local)
of the series.

Example::

    dino = DINO(encoder, n_local_views=6)
    loss = dino(Batch(inputs=images, groups={"global": global_views, "local": local_views}))
    loss.backward(); optimizer.step(); dino.after_step()
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from sslbench.ssl_models.augment.views import ViewGroup
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.objectives._common import MomentumSchedule, ema_update, frozen_copy, projector
from sslbench.ssl_models.objectives.base import Batch, Objective
from sslbench.ssl_models.objectives.registry import OBJECTIVES
from sslbench.ssl_models.search_space import MOMENTUM, Tunable
from torch import nn

N_LOCAL_VIEWS = 6
LOCAL_CROP_FRACTION = 3 / 7
GLOBAL_VIEWS = ViewGroup("global", 2, {"image": {"crop_scale": (0.4, 1.0)}, "sequence": {"crop_scale": (0.4, 1.0)}})


def local_views(n_views: int, crop_fraction: float) -> ViewGroup:
    """``n_views`` local crops: scale (0.05, 0.4) at ``crop_fraction`` of the size; 20–50 % of a series."""
    image = {"crop_scale": (0.05, 0.4), "output_fraction": crop_fraction}
    return ViewGroup(
        "local", n_views, {"image": image, "sequence": {"crop_scale": (0.2, 0.5), "crop_probability": 1.0}}
    )


def dino_loss(
    teacher_scores: torch.Tensor,
    student_scores: torch.Tensor,
    centre: torch.Tensor,
    teacher_temperature: float,
    student_temperature: float,
) -> torch.Tensor:
    """mean over examples and pairs (g, v ≠ g) of H(P_t(g), P_s(v)).

    teacher_scores: (B, G, K) of the global views; student_scores: (B, V, K) of all views, global ones first.
    """
    n_global, n_views = teacher_scores.shape[1], student_scores.shape[1]
    teacher = F.softmax((teacher_scores - centre) / teacher_temperature, dim=-1)
    student = F.log_softmax(student_scores / student_temperature, dim=-1)
    cross_entropy = -torch.einsum("bgk,bvk->bgv", teacher, student)
    pairs = ~torch.eye(n_global, n_views, dtype=torch.bool, device=cross_entropy.device)
    return cross_entropy[:, pairs].mean()


class PrototypeHead(nn.Module):
    """projector MLP → z → cosine scores against K prototypes: ⟨z / ‖z‖, w_k / ‖w_k‖⟩."""

    def __init__(self, in_dim: int, hidden_dim: int, bottleneck_dim: int, n_prototypes: int) -> None:
        super().__init__()
        self.projector = projector(in_dim, hidden_dim, bottleneck_dim, depth=3)
        self.prototypes = nn.Parameter(torch.randn(n_prototypes, bottleneck_dim) / bottleneck_dim**0.5)

    def forward(self, embeddings: torch.Tensor) -> torch.Tensor:
        return F.normalize(self.projector(embeddings), dim=1) @ F.normalize(self.prototypes, dim=1).T


@OBJECTIVES.register("dino")
class DINO(MomentumSchedule, Objective):
    """Student encoder + prototype head distil an EMA teacher's centred, sharpened multi-crop scores."""

    family = "non-contrastive"
    search_space = {"momentum": Tunable(0.9, 0.999, limits=MOMENTUM)}
    n_views = 2
    centre: torch.Tensor

    def __init__(
        self,
        encoder: Encoder,
        n_local_views: int = N_LOCAL_VIEWS,
        local_crop_fraction: float = LOCAL_CROP_FRACTION,
        n_prototypes: int = 256,
        teacher_temperature: float = 0.04,
        student_temperature: float = 0.1,
        centre_momentum: float = 0.9,
        momentum: float = 0.996,
        cosine_momentum: bool = True,
        hidden_dim: int = 512,
        bottleneck_dim: int = 64,
    ) -> None:
        super().__init__(encoder)
        # validates the view options
        self.view_groups({"n_local_views": n_local_views, "local_crop_fraction": local_crop_fraction})
        if not 0 < teacher_temperature < student_temperature:
            raise ValueError(
                f"DINO sharpens the teacher: need 0 < teacher_temperature < "
                f"student_temperature, got {teacher_temperature} and {student_temperature}"
            )
        if not 0.0 <= centre_momentum <= 1.0:
            raise ValueError(f"centre_momentum must be in [0, 1], got {centre_momentum}")
        self.init_momentum(momentum, cosine_momentum)
        self.teacher_temperature, self.student_temperature = teacher_temperature, student_temperature
        self.centre_momentum = centre_momentum
        self.head = PrototypeHead(encoder.embedding_dim, hidden_dim, bottleneck_dim, n_prototypes)
        self.projector = self.head.projector
        self.teacher_encoder = frozen_copy(encoder)
        self.teacher_head = frozen_copy(self.head)
        self.register_buffer("centre", torch.zeros(n_prototypes))
        self.batch_centre: torch.Tensor | None = None

    @classmethod
    def view_groups(cls, options: Mapping[str, Any] | None = None) -> tuple[ViewGroup, ...]:
        """Two global views at full size, ``n_local_views`` local crops at ``local_crop_fraction`` of it."""
        options = options or {}
        n_local = options.get("n_local_views", N_LOCAL_VIEWS)
        fraction = options.get("local_crop_fraction", LOCAL_CROP_FRACTION)
        if isinstance(n_local, bool) or not isinstance(n_local, int) or n_local < 0:
            raise ValueError(f"n_local_views must be a non-negative integer, got {n_local!r}")
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
            raise ValueError(f"local_crop_fraction must be in (0, 1], got {fraction!r}")
        return (GLOBAL_VIEWS, local_views(n_local, fraction)) if n_local else (GLOBAL_VIEWS,)

    def scores(self, encoder: nn.Module, head: nn.Module, views: torch.Tensor) -> torch.Tensor:
        """(B, V, *shape) views → (B, V, K) prototype scores, all views in one pass."""
        batch, n_views = views.shape[:2]
        return head(encoder(views.flatten(0, 1))).unflatten(0, (batch, n_views))

    def forward(self, batch: Batch) -> torch.Tensor:
        global_views = batch.group(GLOBAL_VIEWS.name)
        student = self.scores(self.encoder, self.head, global_views)
        if "local" in batch.groups:
            student = torch.cat([student, self.scores(self.encoder, self.head, batch.group("local"))], dim=1)
        with torch.no_grad():
            teacher = self.scores(self.teacher_encoder, self.teacher_head, global_views)
            self.batch_centre = teacher.float().mean(dim=(0, 1))
        return dino_loss(teacher, student, self.centre, self.teacher_temperature, self.student_temperature)

    @torch.no_grad()
    def after_step(self) -> None:
        momentum = self.momentum
        ema_update(self.teacher_encoder, self.encoder, momentum)
        ema_update(self.teacher_head, self.head, momentum)
        if self.batch_centre is not None:
            self.centre.mul_(self.centre_momentum).add_(self.batch_centre, alpha=1.0 - self.centre_momentum)
        self.step += 1
