"""The planner: expands a suite into jobs, using only the components' declared capabilities.

A job is one (dataset, seed, encoder, objective) cell, or a baseline (``ssl_models.baselines``: per dataset
and seed for an encoder-free one, per encoder for one that builds an encoder). Incompatible pairs are skipped
with a stated reason.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sslbench.benchmarks.suite import Suite, SuiteError
from sslbench.ssl_models.augment import DEFAULT_AUGMENTATION
from sslbench.ssl_models.baselines import BASELINES, baseline_names
from sslbench.ssl_models.data import DATASETS, modality_of
from sslbench.ssl_models.encoders import ENCODERS
from sslbench.ssl_models.job import JobSpec
from sslbench.ssl_models.objectives import OBJECTIVES
from sslbench.ssl_models.objectives.registry import job_view_groups
from sslbench.ssl_models.registry import UnknownNameError


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
        if kind == "objective" and name in BASELINES:
            raise SuiteError(f"'{name}' is a baseline; list it under 'baselines', not 'objectives'")
        variants = sorted(v.label for v in suite.variants.values() if v.kind == kind)
        valid = registry.names() + variants
        raise UnknownNameError(f"unknown {kind} '{label}'; valid {kind}s: {', '.join(valid)}")
    defaults = (suite.objective_options if kind == "objective" else suite.encoder_options).get(name, {})
    return name, {**defaults, **options}, pairs


def _job_settings(
    common: dict[str, Any], encoder_options: dict[str, Any], objective_options: dict[str, Any]
) -> dict[str, Any]:
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


@dataclass(frozen=True)
class _Method:
    """What trains (or only builds) a cell's encoder: an objective, or a baseline that uses an encoder."""

    label: str
    objective_name: str
    options: dict[str, Any]
    pairs: tuple[str, ...]
    family: str
    trains: bool
    baseline: str = ""


def _objective_method(label: str, name: str, options: dict[str, Any], pairs: tuple[str, ...]) -> _Method:
    return _Method(label, name, options, pairs, OBJECTIVES.get(name).family, trains=True)


def _baseline_method(name: str) -> _Method:
    baseline = BASELINES.get(name)
    return _Method(name, str(baseline.objective), {}, (), baseline.family, baseline.trains, baseline=name)


def _skip_reason(
    encoder_label: str,
    encoder_name: str,
    encoder_pairs: tuple[str, ...],
    method: _Method,
    modality: str,
    unlabelled: bool,
) -> str | None:
    """Why a cell cannot run (the encoder's modalities, a variant's pairs, the objective's needs), or None."""
    encoder_cls, objective_cls = ENCODERS.get(encoder_name), OBJECTIVES.get(method.objective_name)
    if modality not in encoder_cls.modalities:
        return f"encoder {encoder_name} reads {', '.join(encoder_cls.modalities)} data, not {modality}"
    if encoder_pairs and method.label not in encoder_pairs:
        return f"encoder variant {encoder_label} pairs only with {', '.join(encoder_pairs)}"
    if method.pairs and encoder_label not in method.pairs:
        return f"objective variant {method.label} pairs only with {', '.join(method.pairs)}"
    if not method.trains:
        return None
    if (reason := objective_cls.incompatibility(encoder_cls, modality, method.options)) is not None:
        return reason
    return "the data has no labels" if objective_cls.needs_labels and unlabelled else None


def label_subset_jobs(supervised: JobSpec) -> list[JobSpec]:
    """The supervised baseline again on each label fraction below 1 and draw of its probe settings."""
    return [
        dataclasses.replace(supervised, label_fraction=fraction, label_draw=draw)
        for fraction in supervised.probe.scarce_fractions
        for draw in range(supervised.probe.label_draws)
    ]


def make_plan(suite: Suite) -> Plan:
    """Expand ``suite`` into jobs: per dataset and seed, baselines first, then every compatible pair.

    A user's data file (``suite.data_file``) is read once here to validate it and learn its modality;
    without labels, the baselines and objectives that need labels are skipped with that reason.
    """
    modalities: dict[str, str] = {}
    for dataset in suite.datasets:
        DATASETS.get(dataset)  # an unknown name raises, listing the datasets and name families
        modalities[dataset] = modality_of(dataset)
    for dataset in suite.dataset_options:  # their options are typed by the suite already
        if dataset not in modalities:
            raise SuiteError(
                f"dataset_options.{dataset}: names a dataset the suite does not run; "
                f"its datasets: {', '.join(modalities) or '(none)'}"
            )
    user_dataset, unlabelled = None, set()
    if suite.data_file is not None:
        from sslbench.ssl_models.data.user_file import load_user_file

        user = load_user_file(Path(suite.data_file), input_shape=suite.data_shape)
        user_dataset = user.name
        modalities[user.name] = user.modality
        if user.labels is None:
            unlabelled.add(user.name)
    encoders = {label: _resolve(suite, label, "encoder") for label in suite.encoders}
    baselines = [name for name in baseline_names() if name in suite.baselines]
    free = [name for name in baselines if not BASELINES.get(name).uses_encoder()]
    with_encoder = [_baseline_method(name) for name in baselines if BASELINES.get(name).uses_encoder()]
    objectives = [_objective_method(label, *_resolve(suite, label, "objective")) for label in suite.objectives]
    cells = [(e, m) for e in encoders for m in with_encoder] + [(e, m) for e in encoders for m in objectives]
    jobs: list[JobSpec] = []
    skipped: list[Skipped] = []
    for dataset, modality in modalities.items():
        augmentation = DEFAULT_AUGMENTATION.get(modality)
        for seed in suite.seeds:
            is_user_data = dataset == user_dataset
            common: dict[str, Any] = dict(
                dataset=dataset,
                modality=modality,
                seed=seed,
                embedding_dim=suite.embedding_dim,
                train=suite.train_for(dataset),
                probe=suite.probe,
                test_fraction=suite.test_fraction,
                data_file=suite.data_file if is_user_data else None,
                data_shape=suite.data_shape if is_user_data else None,
                dataset_options=dict(suite.dataset_options.get(dataset, {})),
            )
            for baseline in free:
                if BASELINES.get(baseline).needs_labels and dataset in unlabelled:
                    skipped.append(Skipped(dataset, "", baseline, "the data has no labels"))
                    continue
                jobs.append(
                    JobSpec(
                        encoder="",
                        encoder_name="",
                        objective=baseline,
                        objective_name="",
                        family=BASELINES.get(baseline).family,
                        baseline=baseline,
                        **common,
                    )
                )
            for encoder_label, method in cells:
                encoder_name, encoder_options, encoder_pairs = encoders[encoder_label]
                reason = _skip_reason(
                    encoder_label, encoder_name, encoder_pairs, method, modality, dataset in unlabelled
                )
                groups = OBJECTIVES.get(method.objective_name).view_groups(method.options) if method.trains else ()
                n_views = max((group.n_views for group in groups), default=0)
                if reason is None and n_views and augmentation is None:
                    reason = f"no augmentation for {modality} data"
                if reason is not None:
                    skipped.append(Skipped(dataset, encoder_label, method.label, reason))
                    continue
                job_augmentation = augmentation if n_views else None
                job = JobSpec(
                    encoder=encoder_label,
                    encoder_name=encoder_name,
                    objective=method.label,
                    objective_name=method.objective_name,
                    family=method.family,
                    augmentation=job_augmentation,
                    augmentation_options=suite.augment.options.get(job_augmentation, {}) if job_augmentation else {},
                    n_views=max(n_views, suite.augment.n_views) if n_views else 0,
                    baseline=method.baseline,
                    finetune=None if method.baseline else suite.finetune,
                    **_job_settings(common, encoder_options, method.options),
                )
                jobs.append(job)
                if method.baseline and BASELINES.get(method.baseline).label_fraction:
                    jobs += label_subset_jobs(job)
    if not jobs:
        raise SuiteError(
            "the grid is empty: no dataset × encoder × objective combination is compatible"
            + (f" ({skipped[0].reason})" if skipped else "")
        )
    skipped = list(dict.fromkeys(skipped))
    return Plan(jobs, skipped)


def expected_training_work(job: JobSpec) -> tuple[int, float]:
    """How much a job trains, to rank a grid's jobs by: (0, 0) for a job that trains nothing; else (1, epochs × v)
    for a budget in epochs and (2, steps × batch size × v) for a fixed number of optimiser steps (the larger of
    ``iterations`` and ``large_set_iterations``), where v is the views an example is encoded in per step: the
    views it trains on (``job_view_groups``, as ``tasks.pretrain`` draws them), at least 1 (the clean
    input). A supervised baseline on a label subset trains the steps of a run on every label (``tasks.pretrain``),
    so its work is that run's. Encoder, dataset and view sizes are left out: a grid's jobs mostly share them, and
    the order needs only to rank its long jobs before its short ones. The two kinds of budget are not compared
    with each other: without the dataset's size an epoch has no step count (a grid that mixes them ranks within
    each kind, the fixed-step jobs first)."""
    if not job.trains:
        return (0, 0.0)
    views = max(1, sum(group.n_views for group in job_view_groups(job)))
    train = job.train
    if train.iterations is not None:
        steps = max(train.iterations, train.large_set_iterations or 0)
        return (2, float(steps * train.batch_size * views))
    return (1, float(train.epochs * views))


def submission_order(jobs: list[JobSpec]) -> list[JobSpec]:
    """The order the flow hands jobs to its workers: first every job that trains nothing (baselines and random
    encoders: seconds each, so the first results show at once), then the training jobs, the most work first
    (``expected_training_work``; the longest-processing-time rule; in plan order among equals). A grid's last
    job is then a short one, not a long one started late with one worker idle beside it: the standard suite's
    30-epoch CNN SimCLR of seed 2 was its plan's last job and ran about 4 minutes alone at the end of a
    29.5-minute run."""

    def rank(job: JobSpec) -> tuple[bool, int, float]:
        kind, work = expected_training_work(job)
        return (kind > 0, -kind, -work)

    return sorted(jobs, key=rank)
