"""View groups: the views an objective consumes, as named groups, each with its own pipeline and bank.

An objective that declares nothing consumes ``n_views`` views of one group, DEFAULT_GROUP, made by the
modality's augmentation with the suite's options and the job's seed: the bank of earlier versions, same key
and same views. A declared group overrides augmentation options per modality (DINO's small local crops, BYOL's
blur and solarisation) and is drawn with its own seed, sha256(seed, name): groups never share random draws.

Example::

    LOCAL = ViewGroup("local", 6, {"image": {"crop_scale": (0.05, 0.4), "output_fraction": 3 / 7}})
    banks = group_banks([GLOBAL, LOCAL], "image", "image", {}, bank_views=8, seed=0)
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sslbench.ssl_models.augment.bank import bank_key
from sslbench.ssl_models.augment.registry import build_augmentation

DEFAULT_GROUP = "views"


@dataclass(frozen=True)
class ViewGroup:
    """``n_views`` views per example: the modality's augmentation, ``options[modality]`` overriding it."""

    name: str
    n_views: int
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.n_views < 1:
            raise ValueError(f"view group '{self.name}' needs at least one view, got {self.n_views}")

    def options_for(self, modality: str) -> dict[str, Any]:
        """This group's augmentation options on ``modality`` data (empty: the modality's own pipeline)."""
        return dict(self.options.get(modality, {}))

    def resizes(self, modality: str) -> bool:
        """True when this group's views of ``modality`` data are smaller than the examples (multi-crop)."""
        return float(self.options_for(modality).get("output_fraction", 1.0)) != 1.0

    def seed(self, job_seed: int) -> int:
        """The job's seed for DEFAULT_GROUP; int(sha256("seed:name")[:8]) >> 1 for a declared group."""
        if self.name == DEFAULT_GROUP:
            return job_seed
        return int.from_bytes(hashlib.sha256(f"{job_seed}:{self.name}".encode()).digest()[:8], "little") >> 1


@dataclass(frozen=True)
class GroupBank:
    """How one group's bank is made: augmentation, full options (the group's pipeline), views kept, seed."""

    group: str
    augmentation: str
    options: Mapping[str, Any]
    n_views: int
    seed: int

    def key(self, data_fingerprint: str) -> str:
        """The bank's content key (``bank_key``): it changes with every option of the group's pipeline."""
        return bank_key(data_fingerprint, self.augmentation, dict(self.options), self.n_views, self.seed)

    def output_shape(self, sample_shape: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of one view of an example of ``sample_shape``."""
        augment = build_augmentation(self.augmentation, sample_shape, dict(self.options))
        return tuple(getattr(augment, "output_shape", sample_shape))


def group_banks(
    groups: Sequence[ViewGroup],
    modality: str,
    augmentation: str,
    options: Mapping[str, Any],
    bank_views: int,
    seed: int,
) -> list[GroupBank]:
    """One bank per group: ``augmentation`` with the suite's ``options`` under the group's own, ``bank_views``
    (≥ the group's ``n_views``) views per example, from the group's seed."""
    banks = []
    for group in groups:
        if bank_views < group.n_views:
            raise ValueError(
                f"view group '{group.name}' draws {group.n_views} views but its bank would hold only {bank_views}"
            )
        pipeline = {**options, **group.options_for(modality)}
        banks.append(GroupBank(group.name, augmentation, pipeline, bank_views, group.seed(seed)))
    return banks


ASYMMETRIC_VIEWS = (
    ViewGroup("first", 1, {"image": {"blur_probability": 1.0, "solarize_probability": 0.0}}),
    ViewGroup("second", 1, {"image": {"blur_probability": 0.1, "solarize_probability": 0.2}}),
)
"""BYOL's two asymmetric pipelines (Grill et al. 2020, Table 6): Gaussian blur with probability 1.0 on the
first view and 0.1 on the second, solarisation 0.0 and 0.2; the rest (crop, affine, noise, erasing) is the
modality's pipeline. MoCo v3 (Chen et al. 2021) uses the same pair. Off images both use the modality's
pipeline."""
