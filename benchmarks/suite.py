"""Suites: TOML files validated once, at the edge, into typed, frozen objects.

A suite names datasets, encoders, objectives, baselines and seeds, plus training, augmentation and probe
settings. ``variants`` give a registry entry other options under a new label (e.g. SimSiam without its
stop-gradient) and may restrict the pairs it forms. See ``benchmarks/suites/quick.toml``.
"""

from __future__ import annotations

import dataclasses
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sslbench.benchmarks.config import (
    FINETUNE,
    PROBE,
    TRAIN,
    AugmentSection,
    SuiteError,
    SuiteFile,
    checked,
    component_options,
    variant,
)
from sslbench.benchmarks.tuning import TuningConfig, tuning_config
from sslbench.ssl_models.configs import FinetuneConfig, ProbeConfig, TrainConfig
from sslbench.ssl_models.files import json_sha256

SUITES_DIR = Path(__file__).parent / "suites"


@dataclass(frozen=True)
class Variant:
    """A registry ``target`` (objective or encoder) under a new ``label`` with other ``options``.

    ``pairs_with`` restricts the partners it is combined with (encoders for an objective variant,
    objectives for an encoder variant); empty means all.
    """

    label: str
    kind: str
    target: str
    options: Mapping[str, Any]
    pairs_with: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The ``[variants.LABEL]`` table: ``{kind: target, pairs_with: [...], **options}``."""
        return {self.kind: self.target, "pairs_with": list(self.pairs_with), **self.options}


@dataclass(frozen=True)
class AugmentConfig:
    """Views per training example in the bank, and options per augmentation name."""

    n_views: int
    options: Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Suite:
    """A validated benchmark grid, made by ``suite_from_dict`` (defaults: ``benchmarks.config.SuiteFile``)."""

    name: str
    description: str
    datasets: tuple[str, ...]
    encoders: tuple[str, ...]
    objectives: tuple[str, ...]
    seeds: tuple[int, ...]
    baselines: tuple[str, ...]
    embedding_dim: int
    test_fraction: float
    train: TrainConfig
    dataset_train: Mapping[str, Mapping[str, Any]]
    dataset_options: Mapping[str, Mapping[str, Any]]
    augment: AugmentConfig
    probe: ProbeConfig
    objective_options: Mapping[str, Mapping[str, Any]]
    encoder_options: Mapping[str, Mapping[str, Any]]
    variants: Mapping[str, Variant]
    data_file: str | None
    data_shape: tuple[int, ...] | None
    tuning: TuningConfig | None = None
    finetune: FinetuneConfig | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form in the shape of a suite file: ``suite_from_dict(suite.to_dict()) == suite``."""
        variants = {label: variant.to_dict() for label, variant in self.variants.items()}
        data = {**dataclasses.asdict(self), "variants": variants}
        if self.tuning is None:  # suites without tuning keep the content hash they had before it existed
            del data["tuning"]
        elif self.tuning.pruner == "none":  # suites without pruning keep the content hash they had before it existed
            del data["tuning"]["pruner"]
        if self.finetune is None:  # likewise for fine-tuning
            del data["finetune"]
        return json.loads(json.dumps(data, default=list))

    def content_hash(self) -> str:
        """Hash of everything that defines the grid's results."""
        return json_sha256(self.to_dict())[:12]

    def train_for(self, dataset: str) -> TrainConfig:
        """The training config of ``dataset``: the suite's, with that dataset's overrides."""
        return dataclasses.replace(self.train, **self.dataset_train.get(dataset, {}))


def suite_from_dict(raw: Mapping[str, Any]) -> Suite:
    """Validate a parsed suite mapping into a ``Suite`` (see ``benchmarks.config`` for its typed shape)."""
    top = checked(SuiteFile, raw, given_only=False)
    if top["datasets"] is None and top["data_file"] is None:
        raise SuiteError("datasets: is required (a list of dataset names) unless data_file names your data")
    train = _train_config("train", TrainConfig(), checked(TRAIN, top["train"], "train"))
    dataset_train = {
        name: checked(TRAIN, values, f"dataset_train.{name}") for name, values in top["dataset_train"].items()
    }
    for name, values in dataset_train.items():
        _train_config(f"dataset_train.{name}", train, values)
    augment = checked(AugmentSection, top["augment"], "augment", given_only=False)
    return Suite(
        name=top["name"],
        description=top["description"],
        datasets=tuple(top["datasets"] or ()),
        encoders=tuple(top["encoders"]),
        objectives=tuple(top["objectives"]),
        seeds=tuple(top["seeds"]),
        baselines=tuple(top["baselines"]),
        embedding_dim=top["embedding_dim"],
        test_fraction=top["test_fraction"],
        train=train,
        dataset_train=dataset_train,
        dataset_options=component_options("dataset", top["dataset_options"], "dataset_options"),
        augment=AugmentConfig(
            augment["n_views"], component_options("augmentation", augment["options"], "augment.options")
        ),
        probe=_probe_config(checked(PROBE, top["probe"], "probe")),
        objective_options=component_options("objective", top["objective_options"], "objective_options"),
        encoder_options=component_options("encoder", top["encoder_options"], "encoder_options"),
        variants={label: Variant(label, *variant(label, entry)) for label, entry in top["variants"].items()},
        data_file=top["data_file"],
        data_shape=tuple(top["data_shape"]) if top["data_shape"] else None,
        tuning=None if top["tuning"] is None else tuning_config(top["tuning"], _components(top)),
        finetune=None if top["finetune"] is None else FinetuneConfig(**checked(FINETUNE, top["finetune"], "finetune")),
    )


def _components(top: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """(kind, registry name) of every objective and encoder label of the suite (a variant's: its target)."""
    variants = top["variants"]
    return {
        label: (kind, variants[label].get(kind, label) if label in variants else label)
        for kind, labels in (("objective", top["objectives"]), ("encoder", top["encoders"]))
        for label in labels
    }


def _train_config(where: str, base: TrainConfig, changes: Mapping[str, Any]) -> TrainConfig:
    """``base`` with ``changes``; a combination TrainConfig refuses (e.g. large_set_iterations alone) is an
    error at ``where``."""
    try:
        return dataclasses.replace(base, **changes)
    except ValueError as error:
        raise SuiteError(f"{where}.{str(error).removeprefix('train.')}") from None


def _probe_config(values: Mapping[str, Any]) -> ProbeConfig:
    """The probe settings; a combination ProbeConfig refuses (e.g. a repeated label fraction) is a SuiteError."""
    try:
        return ProbeConfig(**values)
    except ValueError as error:
        raise SuiteError(str(error)) from None


def available_suites() -> list[str]:
    """Names of the suites shipped in ``benchmarks/suites``."""
    return sorted(p.stem for p in SUITES_DIR.glob("*.toml"))


def load_suite(name_or_path: str) -> Suite:
    """A shipped suite by name, or a suite TOML file by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = SUITES_DIR / f"{name_or_path}.toml"
        if not path.exists():
            raise SuiteError(
                f"unknown suite '{name_or_path}'; valid suites: {', '.join(available_suites())} (or a .toml path)"
            )
    elif not path.exists():
        raise SuiteError(f"suite file {path} does not exist")
    try:
        raw = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise SuiteError(f"suite file {path} is not valid TOML: {error}") from None
    raw.setdefault("name", path.stem)
    return suite_from_dict(raw)


def with_overrides(suite: Suite, **overrides: Any) -> Suite:
    """The suite with command-line overrides applied (``None`` values leave a field as it is).

    Accepts datasets (keeping the dataset options of those still run), encoders, objectives, seeds (lists), epochs
    (int; trials train as long), trials (int, a suite with ``[tuning]``), data_file (path) and data_shape.
    """
    changes: dict[str, Any] = {}
    for key in ("datasets", "encoders", "objectives", "seeds", "baselines"):
        if overrides.get(key) is not None:
            changes[key] = tuple(overrides[key])
    if "datasets" in changes:  # the options of the datasets still run (a suite's options name only its datasets)
        kept = set(changes["datasets"])
        changes["dataset_options"] = {name: opts for name, opts in suite.dataset_options.items() if name in kept}
    if overrides.get("epochs") is not None:
        if overrides["epochs"] < 1:
            raise SuiteError(f"--epochs must be at least 1, got {overrides['epochs']}")
        changes["train"] = dataclasses.replace(suite.train, epochs=overrides["epochs"])
        changes["dataset_train"] = {
            name: {key: value for key, value in train.items() if key != "epochs"}
            for name, train in suite.dataset_train.items()
        }
        if suite.tuning is not None:
            changes["tuning"] = dataclasses.replace(suite.tuning, epochs=None)
    if suite.tuning is not None and ("objectives" in changes or "encoders" in changes):
        kept = {"train", *changes.get("objectives", suite.objectives), *changes.get("encoders", suite.encoders)}
        tuning = changes.get("tuning", suite.tuning)
        space = {label: params for label, params in tuning.space.items() if label in kept}
        changes["tuning"] = dataclasses.replace(tuning, space=space)  # the ranges of what the grid still runs
    if overrides.get("trials") is not None:
        if suite.tuning is None:
            raise SuiteError(f"--trials needs a suite with a [tuning] section; suite '{suite.name}' has none")
        changes["tuning"] = dataclasses.replace(changes.get("tuning", suite.tuning), trials=overrides["trials"])
    if overrides.get("data_file") is not None:
        changes["data_file"] = str(Path(overrides["data_file"]).resolve())
        changes.setdefault("datasets", ())
    if overrides.get("data_shape") is not None:
        changes["data_shape"] = tuple(overrides["data_shape"])
    return suite_from_dict(dataclasses.replace(suite, **changes).to_dict())  # overrides meet the same checks
