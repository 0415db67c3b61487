"""The objective contract: an ``nn.Module`` that owns the encoder plus its scaffolding and returns a loss.

Scaffolding (decoder, projector, predictor, target network) lives in the objective and is discarded after
pretraining: only ``objective.encoder`` is evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from sslbench.ssl_models.augment.views import DEFAULT_GROUP, ViewGroup
from sslbench.ssl_models.encoders.base import Encoder
from sslbench.ssl_models.search_space import Tunable
from torch import nn


@dataclass
class Batch:
    """One training batch: clean inputs (B, *shape), ``n_views`` augmented views (B, V, *shape), labels (B,),
    and the views of every view group by name (B, V_group, *group_shape); ``views`` is DEFAULT_GROUP's."""

    inputs: torch.Tensor
    views: torch.Tensor | None = None
    labels: torch.Tensor | None = None
    groups: dict[str, torch.Tensor] = field(default_factory=dict)

    def to(self, device: torch.device) -> Batch:
        """The same batch on ``device``."""
        move = lambda t: None if t is None else t.to(device, non_blocking=True)  # noqa: E731
        return Batch(
            self.inputs.to(device, non_blocking=True),
            move(self.views),
            move(self.labels),
            {name: views.to(device, non_blocking=True) for name, views in self.groups.items()},
        )

    def group(self, name: str) -> torch.Tensor:
        """The views of group ``name``, (B, V, *shape)."""
        if name not in self.groups:
            raise ValueError(
                f"this objective needs the views of group '{name}'; the batch has "
                f"{', '.join(self.groups) or 'no view groups'}"
            )
        return self.groups[name]


class Objective(nn.Module):
    """Base class for self-supervised objectives.

    Attributes:
        family: one of ``ssl_models.vocabulary.FAMILIES`` (how the report groups objectives).
        n_views: augmented views per example the loss consumes; 0 means it uses the clean input only. An
            objective whose views are not ``n_views`` of the modality's augmentation declares ``view_groups``.
        needs_labels: trains with labels (only the supervised upper bound).
        requires: encoder capabilities needed, among ``{"tokens", "causal"}``.
        modalities: dataset modalities it applies to (empty: all).
        search_space: the constructor options equal-budget tuning searches by default (``ssl_models.search_space``).
    """

    family: ClassVar[str] = "autoencoding"
    n_views: ClassVar[int] = 0
    needs_labels: ClassVar[bool] = False
    requires: ClassVar[frozenset[str]] = frozenset()
    modalities: ClassVar[tuple[str, ...]] = ()
    search_space: ClassVar[Mapping[str, Tunable]] = {}

    def __init__(self, encoder: Encoder) -> None:
        super().__init__()
        self.encoder = encoder
        self.generator: torch.Generator | None = None

    @classmethod
    def view_groups(cls, options: Mapping[str, Any] | None = None) -> tuple[ViewGroup, ...]:
        """The groups of views the loss consumes with these constructor ``options``: by default ``n_views``
        views of DEFAULT_GROUP (the modality's augmentation), none when ``n_views`` is 0."""
        return (ViewGroup(DEFAULT_GROUP, cls.n_views),) if cls.n_views else ()

    def random_generator(self, device: torch.device) -> torch.Generator:
        """The generator for the loss's own randomness (noise, masks, negatives), seeded by the trainer.

        Objectives draw only from it, never from torch's global generator, so parallel jobs stay reproducible.
        """
        # Compare device types: a generator made for "cuda" reports "cuda", tensors report "cuda:0".
        if self.generator is None or self.generator.device.type != torch.device(device).type:
            self.generator = torch.Generator(device=device).manual_seed(
                0 if self.generator is None else self.generator.initial_seed()
            )
        return self.generator

    def forward(self, batch: Batch) -> torch.Tensor:  # pragma: no cover - abstract
        """Scalar loss for ``batch``."""
        raise NotImplementedError

    def start_training(self, total_steps: int) -> None:
        """Hook run once before the first optimiser step, with the run's step count (for schedules)."""

    def after_step(self) -> None:
        """Hook run after each optimiser step (EMA target updates override it)."""

    def projection_head(self) -> nn.Module | None:
        """The scaffolding head whose output the loss compares (the projector), or None for reconstruction losses.

        Collapse shows first in this output space (Chen & He 2021 measure the std of the L2-normalised projector
        output), so evaluation runs the collapse diagnostics on ``head(encoder(x))`` as well as on ``encoder(x)``.
        """
        head = getattr(self, "projector", None)
        return head if isinstance(head, nn.Module) else None

    def excluded_from_weight_decay(self) -> set[str]:
        """Names of parameters that must get no weight decay (e.g. SSM dynamics)."""
        return {name for name, _ in self.named_parameters() if getattr(_, "_no_weight_decay", False)}

    @classmethod
    def incompatibility(
        cls, encoder: type[Encoder], modality: str, options: Mapping[str, Any] | None = None
    ) -> str | None:
        """Why this objective (with ``options``) cannot train ``encoder`` on ``modality`` data, or None."""
        resized = [group.name for group in cls.view_groups(options) if group.resizes(modality)]
        if resized and not encoder.any_input_size:
            return (
                f"its {', '.join(resized)} views are smaller than the examples and {encoder.__name__} "
                f"reads only its fixed input size (an encoder with global pooling, e.g. cnn, reads any "
                f"size)"
            )
        if cls.modalities and modality not in cls.modalities:
            return f"{cls.__name__} applies to {', '.join(cls.modalities)} data, not {modality}"
        if "tokens" in cls.requires and not encoder.provides_tokens:
            return "needs an encoder with per-token features"
        if "causal" in cls.requires and not encoder.causal:
            return "needs a causal sequence encoder"
        return None
