"""The planner: expands a suite into jobs, using only the components' declared capabilities.

A job is one (dataset, seed, encoder, objective) cell, or a baseline (raw input, PCA, random encoder,
supervised encoder). Incompatible pairs are skipped with a stated reason.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from benchmarks.suite import Suite, SuiteError
from ssl_models.augment import DEFAULT_AUGMENTATION
from ssl_models.data import DATASETS, check_loader_options, modality_of
from ssl_models.encoders import ENCODERS
from ssl_models.evaluate.probes import ProbeConfig
from ssl_models.objectives import OBJECTIVES
from ssl_models.registry import UnknownNameError
from ssl_models.train import TrainConfig

CODE_VERSION = "1"
ENCODER_FREE_BASELINES = ("raw", "pca")


@dataclass(frozen=True)
class JobSpec:
    """Everything one job needs, as plain data (small, hashable by content, JSON-able)."""

    dataset: str
    modality: str
    seed: int
    encoder: str
    encoder_name: str
    objective: str
    objective_name: str
    family: str
    embedding_dim: int
    train: TrainConfig
    probe: ProbeConfig
    test_fraction: float
    augmentation: str | None = None
    augmentation_options: Mapping[str, Any] = field(default_factory=dict)
    n_views: int = 0
    encoder_options: Mapping[str, Any] = field(default_factory=dict)
    objective_options: Mapping[str, Any] = field(default_factory=dict)
    data_file: str | None = None
    data_shape: tuple[int, ...] | None = None
    dataset_options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_baseline(self) -> bool:
        """True for raw, PCA, random-encoder and supervised jobs."""
        return self.family in ("baseline", "supervised")

    @property
    def uses_encoder(self) -> bool:
        """True when the job has an encoder (pretrained, or only initialised for the random baseline)."""
        return self.objective_name not in ENCODER_FREE_BASELINES

    def config(self) -> dict[str, Any]:
        """The job's full configuration as JSON-able data (stored in the jobs table)."""
        return json.loads(json.dumps(dataclasses.asdict(self), default=list))

    def key(self) -> str:
        """Content hash of the configuration and code version: equal keys give equal results."""
        payload = json.dumps({"config": self.config(), "code": CODE_VERSION}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def label(self) -> str:
        """Short human-readable name, e.g. ``mnist5k · cnn · simclr · seed 0``."""
        parts = [self.dataset] + ([self.encoder] if self.encoder else []) + [self.objective, f"seed {self.seed}"]
        return " · ".join(parts)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "JobSpec":
        """Inverse of :meth:`config`."""
        values = dict(config)
        values["train"] = TrainConfig(**values["train"])
        values["probe"] = ProbeConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in values["probe"].items()})
        values["data_shape"] = tuple(values["data_shape"]) if values.get("data_shape") else None
        return cls(**values)


@dataclass(frozen=True)
class Skipped:
    """A grid cell the planner left out, and why."""

    dataset: str
    encoder: str
    objective: str
    reason: str


@dataclass
class Plan:
    """The jobs to run, in order, and the skipped cells."""

    jobs: list[JobSpec]
    skipped: list[Skipped]


def _resolve(suite: Suite, label: str, kind: str) -> tuple[str, dict[str, Any], tuple[str, ...]]:
    """(registry name, options, partner restriction) of an encoder/objective label."""
    variant = suite.variants.get(label)
    if variant is not None:
        if variant.kind != kind:
            raise SuiteError(f"'{label}' is an {variant.kind} variant but is listed among the {kind}s")
        name, options, pairs = variant.target, dict(variant.options), variant.pairs_with
    else:
        name, options, pairs = label, {}, ()
    registry = OBJECTIVES if kind == "objective" else ENCODERS
    if name not in registry:
        if kind == "objective" and name in ("raw", "pca", "random"):
            raise SuiteError(f"'{name}' is a baseline; list it under 'baselines', not 'objectives'")
        variants = sorted(v.label for v in suite.variants.values() if v.kind == kind)
        valid = registry.names() + variants
        raise UnknownNameError(f"unknown {kind} '{label}'; valid {kind}s: {', '.join(valid)}")
    defaults = (suite.objective_options if kind == "objective" else suite.encoder_options).get(name, {})
    return name, {**defaults, **options}, pairs


def _job_settings(common: dict[str, Any], encoder_options: dict[str, Any], objective_options: dict[str, Any]) -> dict[str, Any]:
    """Job fields from the suite-wide ones, with a variant's own ``embedding_dim`` and ``train`` overrides applied.

    E.g. the linear autoencoder of the Eckart–Young–Mirsky check gets a k = 16 code and a longer budget.
    """
    settings = dict(common)
    encoder_options, objective_options = dict(encoder_options), dict(objective_options)
    for options in (encoder_options, objective_options):
        if "embedding_dim" in options:
            settings["embedding_dim"] = int(options.pop("embedding_dim"))
        if "train" in options:
            try:
                settings["train"] = dataclasses.replace(settings["train"], **dict(options.pop("train")))
            except TypeError as error:
                raise SuiteError(f"bad train override in a variant: {error}") from None
    return {**settings, "encoder_options": encoder_options, "objective_options": objective_options}


def make_plan(suite: Suite) -> Plan:
    """Expand ``suite`` into jobs: per dataset and seed, baselines first, then every compatible pair.

    A user's data file (``suite.data_file``) is read once here to validate it and learn its modality;
    without labels its supervised baseline is skipped with that reason.
    """
    modalities: dict[str, str] = {}
    for dataset in suite.datasets:
        DATASETS.get(dataset)  # an unknown name raises, listing the datasets and name families
        modalities[dataset] = modality_of(dataset)
    for dataset, options in suite.dataset_options.items():
        if dataset not in modalities:
            raise SuiteError(f"[dataset_options.{dataset}] names a dataset the suite does not run; "
                             f"its datasets: {', '.join(modalities) or '(none)'}")
        check_loader_options(dataset, options)
    user_dataset, unlabelled = None, set()
    if suite.data_file is not None:
        from ssl_models.data.user_file import load_user_file

        user = load_user_file(Path(suite.data_file), input_shape=suite.data_shape)
        user_dataset = user.name
        modalities[user.name] = user.modality
        if user.labels is None:
            unlabelled.add(user.name)
    encoders = {label: _resolve(suite, label, "encoder") for label in suite.encoders}
    objectives = {label: _resolve(suite, label, "objective") for label in suite.objectives}
    jobs: list[JobSpec] = []
    skipped: list[Skipped] = []
    for dataset, modality in modalities.items():
        augmentation = DEFAULT_AUGMENTATION.get(modality)
        for seed in suite.seeds:
            user = dataset == user_dataset
            common = dict(dataset=dataset, modality=modality, seed=seed, embedding_dim=suite.embedding_dim,
                          train=suite.train_for(dataset), probe=suite.probe, test_fraction=suite.test_fraction,
                          data_file=suite.data_file if user else None, data_shape=suite.data_shape if user else None,
                          dataset_options=dict(suite.dataset_options.get(dataset, {})))
            for baseline in ENCODER_FREE_BASELINES:
                if baseline in suite.baselines:
                    jobs.append(JobSpec(encoder="", encoder_name="", objective=baseline, objective_name=baseline,
                                        family="baseline", **common))
            cells = [(e, o) for e in encoders for o in objectives]
            baseline_cells = [(e, b) for e in encoders for b in ("random", "supervised") if b in suite.baselines]
            for encoder_label, objective_label in baseline_cells + cells:
                encoder_name, encoder_options, encoder_pairs = encoders[encoder_label]
                encoder_cls = ENCODERS.get(encoder_name)
                if objective_label in ("random", "supervised"):
                    objective_name, objective_options, objective_pairs = objective_label, {}, ()
                    family = "baseline" if objective_label == "random" else "supervised"
                else:
                    objective_name, objective_options, objective_pairs = objectives[objective_label]
                    family = OBJECTIVES.get(objective_name).family
                reason = None
                if modality not in encoder_cls.modalities:
                    reason = f"encoder {encoder_name} reads {', '.join(encoder_cls.modalities)} data, not {modality}"
                elif encoder_pairs and objective_label not in encoder_pairs:
                    reason = f"encoder variant {encoder_label} pairs only with {', '.join(encoder_pairs)}"
                elif objective_pairs and encoder_label not in objective_pairs:
                    reason = f"objective variant {objective_label} pairs only with {', '.join(objective_pairs)}"
                elif objective_name in OBJECTIVES:
                    objective_cls = OBJECTIVES.get(objective_name)
                    reason = objective_cls.incompatibility(encoder_cls, modality, objective_options)
                if reason is None and objective_name == "supervised" and dataset in unlabelled:
                    reason = "the data has no labels"
                if reason is not None:
                    skipped.append(Skipped(dataset, encoder_label, objective_label, reason))
                    continue
                objective_cls = None if objective_name == "random" else OBJECTIVES.get(objective_name)
                groups = objective_cls.view_groups(objective_options) if objective_cls else ()
                n_views = max((group.n_views for group in groups), default=0)
                if n_views and augmentation is None:
                    skipped.append(Skipped(dataset, encoder_label, objective_label, f"no augmentation for {modality} data"))
                    continue
                job_settings = _job_settings(common, encoder_options, objective_options)
                jobs.append(JobSpec(
                    encoder=encoder_label, encoder_name=encoder_name, objective=objective_label,
                    objective_name=objective_name, family=family, augmentation=augmentation if n_views else None,
                    augmentation_options=suite.augment.options.get(augmentation, {}) if n_views else {},
                    n_views=max(n_views, suite.augment.n_views) if n_views else 0, **job_settings,
                ))
    if not jobs:
        raise SuiteError("the grid is empty: no dataset × encoder × objective combination is compatible"
                         + (f" ({skipped[0].reason})" if skipped else ""))
    skipped = list(dict.fromkeys(skipped))
    return Plan(jobs, skipped)
