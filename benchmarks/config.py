"""The typed shape of a suite file, checked once, at the edge, with one-line errors that name the location.

Top-level keys, ``[train]``, ``[probe]``, ``[finetune]`` and ``[augment]`` are strict pydantic models; every
component table (``[objective_options.X]``, ``[encoder_options.X]``, ``[augment.options.X]``,
``[dataset_options.X]``, and each ``[variants.LABEL]``) is checked against a model built from that component's
declared parameters (``ssl_models.options``), so a new objective's options are typed without being listed here.
Numeric bounds are stated once, in ``RANGES``.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal

from pydantic import Field
from sslbench.ssl_models.baselines import baseline_names, default_baselines
from sslbench.ssl_models.configs import FinetuneConfig, ProbeConfig, TrainConfig
from sslbench.ssl_models.options import Options, Range, options_model, validated

BASELINES = default_baselines()  # a suite that names none runs these
VALID_BASELINES = tuple(baseline_names())
MAX_SEED = 2**32 - 1  # NumPy's seed range
# Every numeric setting's bounds, by location. One place, so every bound is stated once.
RANGES: dict[str, Range] = {
    "embedding_dim": Range(1, 65_536),
    "test_fraction": Range(0.0, 1.0, low_open=True, high_open=True),
    "seeds": Range(0, MAX_SEED),
    "augment.n_views": Range(1, 1024),
    "train.epochs": Range(1, 100_000),
    "train.batch_size": Range(1, 1_000_000),
    "train.learning_rate": Range(0.0, 10.0, low_open=True),
    "train.weight_decay": Range(0.0, 10.0),
    "train.iterations": Range(1, 100_000_000),
    "train.large_set_iterations": Range(1, 100_000_000),
    "probe.linear_c_grid": Range(0.0, 1e12, low_open=True),
    "probe.cv_folds": Range(2, 100),
    "probe.max_iter": Range(1, 1_000_000),
    "probe.knn_neighbours": Range(1, 10_000),
    "probe.kmeans_restarts": Range(1, 1000),
    "probe.unlabelled_clusters": Range(2, 10_000),
    "finetune.epochs": Range(0, 100_000),
    "finetune.learning_rate": Range(0.0, 10.0, low_open=True),
    "finetune.batch_size": Range(1, 1_000_000),
    "finetune.weight_decay": Range(0.0, 10.0),
    "finetune.patience": Range(1, 100_000),
}
# Parameters the framework passes to each kind of component itself, so they are no suite options.
GIVEN = {
    "objective": ("encoder",),
    "encoder": ("sample_shape", "embedding_dim"),
    "augmentation": ("sample_shape", "modality"),
    "dataset": (),
}


class SuiteError(ValueError):
    """A suite or override that cannot run; one line: the location, what is wrong and the valid choices."""


def _section(name: str) -> dict[str, Range]:
    """The bounds of ``[name]``'s keys, by key."""
    return {key.partition(".")[2]: bound for key, bound in RANGES.items() if key.startswith(f"{name}.")}


def _ranged(key: str, annotation: Any) -> Any:
    return RANGES[key].bound(annotation)


Table = dict[str, Any]
TRAIN = options_model("train", TrainConfig, ranges=_section("train"), noun="key")
PROBE = options_model("probe", ProbeConfig, ranges=_section("probe"), noun="key")
FINETUNE = options_model("finetune", FinetuneConfig, ranges=_section("finetune"), noun="key")


class AugmentSection(Options):
    """``[augment]``: views per training example in the bank, and options per augmentation name."""

    noun = "key"
    n_views: _ranged("augment.n_views", int) = 4  # type: ignore[valid-type]
    options: dict[str, Table] = Field(default_factory=dict)


class SuiteFile(Options):
    """The top level of a suite file; each table below it is checked by its own model."""

    noun = "key"
    name: str = "custom"
    description: str = ""
    datasets: list[str] | None = None  # required unless data_file names the user's own data
    encoders: list[str]
    objectives: list[str] = Field(default_factory=list)
    seeds: _ranged("seeds", list[int]) = Field(default_factory=lambda: [0])  # type: ignore[valid-type]
    baselines: list[Literal[VALID_BASELINES]] = Field(  # type: ignore[valid-type]
        default_factory=lambda: list(BASELINES)
    )
    embedding_dim: _ranged("embedding_dim", int) = 64  # type: ignore[valid-type]
    test_fraction: _ranged("test_fraction", float) = 0.2  # type: ignore[valid-type]
    train: Table = Field(default_factory=dict)
    dataset_train: dict[str, Table] = Field(default_factory=dict)
    dataset_options: dict[str, Table] = Field(default_factory=dict)
    augment: Table = Field(default_factory=dict)
    probe: Table = Field(default_factory=dict)
    objective_options: dict[str, Table] = Field(default_factory=dict)
    encoder_options: dict[str, Table] = Field(default_factory=dict)
    variants: dict[str, Table] = Field(default_factory=dict)
    tuning: Table | None = None
    finetune: Table | None = None  # present: the on-request finetune evaluator runs on every objective's job
    data_file: str | None = None
    data_shape: Annotated[list[Annotated[int, Field(ge=1)]], Field(min_length=1)] | None = None


def checked(model: type[Options], values: Any, where: str = "", given_only: bool = True) -> dict[str, Any]:
    """``validated`` raising SuiteError."""
    return validated(model, values, where, SuiteError, given_only)


def _registry(kind: str) -> Any:
    """The registry of ``kind`` components, imported on first use (torch loads with the components)."""
    if kind == "objective":
        from sslbench.ssl_models.objectives import OBJECTIVES

        return OBJECTIVES
    if kind == "encoder":
        from sslbench.ssl_models.encoders import ENCODERS

        return ENCODERS
    if kind == "augmentation":
        from sslbench.ssl_models.augment import AUGMENTATIONS

        return AUGMENTATIONS
    from sslbench.ssl_models.data import DATASETS

    return DATASETS


def component_model(kind: str, name: str, where: str) -> type[Options]:
    """The options model of component ``name`` of ``kind``; an unknown name is refused at ``where``."""
    registry = _registry(kind)
    try:
        component = registry.get(name)
    except ValueError as error:  # UnknownNameError, or a family name whose argument is bad
        raise SuiteError(f"{where}: {error}") from None
    return _model_of(kind, component)


@cache
def _model_of(kind: str, component: Any) -> type[Options]:
    return options_model(f"{kind} {getattr(component, '__name__', component)}", component, GIVEN[kind])


def component_options(kind: str, tables: dict[str, Table], where: str) -> dict[str, Table]:
    """Each ``[where.NAME]`` table checked against component ``NAME``'s declared parameters."""
    return {
        name: checked(component_model(kind, name, f"{where}.{name}"), values, f"{where}.{name}")
        for name, values in tables.items()
    }


def variant(label: str, entry: Table) -> tuple[str, str, Table, tuple[str, ...]]:
    """(kind, target, options, pairs_with) of ``[variants.LABEL]``: ``objective = NAME`` or
    ``encoder = NAME``, an optional ``pairs_with`` list, ``embedding_dim`` and ``train`` overrides, and the
    target's own options."""
    where = f"variants.{label}"
    kinds = [kind for kind in ("objective", "encoder") if kind in entry]
    if len(kinds) != 1:
        found = "both" if kinds else "neither"
        raise SuiteError(f"{where}: names {found} of objective = NAME and encoder = NAME; name exactly one")
    kind = kinds[0]
    target = entry[kind]
    if not isinstance(target, str):
        raise SuiteError(f"{where}.{kind}: must be a string, got {target!r}")
    options = component_model(kind, target, f"{where}.{kind}")
    model = _variant_model(kind, options)
    values = checked(model, entry, where)
    values.pop(kind)
    pairs = tuple(values.pop("pairs_with", ()))
    return kind, target, values, pairs


@cache
def _variant_model(kind: str, options: type[Options]) -> type[Options]:
    """The component's options model plus the keys every variant has."""
    from pydantic import create_model

    target: dict[str, Any] = {kind: (str, ...)}
    return create_model(
        f"{kind} variant",
        __base__=options,
        **target,
        pairs_with=(list[str], []),
        embedding_dim=(_ranged("embedding_dim", int), None),
        train=(TRAIN, None),
    )
