"""Suites: TOML files validated once, at the edge, into typed, frozen objects.

A suite names datasets, encoders, objectives, baselines and seeds, plus training, augmentation and probe
settings. ``variants`` give a registry entry other options under a new label (e.g. SimSiam without its
stop-gradient) and may restrict the pairs it forms. See ``benchmarks/suites/quick.toml``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ssl_models.baselines import baseline_names, default_baselines
from ssl_models.configs import ProbeConfig, TrainConfig
from ssl_models.files import json_sha256

SUITES_DIR = Path(__file__).parent / "suites"
BASELINES = default_baselines()


class SuiteError(ValueError):
    """A suite file or override that cannot be run; the message names the valid choices."""


@dataclass(frozen=True)
class Variant:
    """A registry ``target`` (objective or encoder) under a new ``label`` with other ``options``.

    ``pairs_with`` restricts the partners it is combined with (encoders for an objective variant,
    objectives for an encoder variant); empty means all.
    """

    label: str
    kind: str
    target: str
    options: Mapping[str, Any] = field(default_factory=dict)
    pairs_with: tuple[str, ...] = ()


@dataclass(frozen=True)
class AugmentConfig:
    """Views per training example in the bank, and options per augmentation name."""

    n_views: int = 4
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Suite:
    """A validated benchmark grid."""

    name: str
    datasets: tuple[str, ...]
    encoders: tuple[str, ...]
    objectives: tuple[str, ...]
    seeds: tuple[int, ...] = (0,)
    baselines: tuple[str, ...] = BASELINES
    description: str = ""
    embedding_dim: int = 64
    test_fraction: float = 0.2
    train: TrainConfig = TrainConfig()
    dataset_train: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    dataset_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    augment: AugmentConfig = AugmentConfig()
    probe: ProbeConfig = ProbeConfig()
    objective_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    encoder_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    variants: Mapping[str, Variant] = field(default_factory=dict)
    data_file: str | None = None
    data_shape: tuple[int, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form; ``suite_from_dict(suite.to_dict()) == suite``."""
        return json.loads(json.dumps(dataclasses.asdict(self), default=list))

    def content_hash(self) -> str:
        """Hash of everything that defines the grid's results."""
        return json_sha256(self.to_dict())[:12]

    def train_for(self, dataset: str) -> TrainConfig:
        """The training config of ``dataset``: the suite's, with that dataset's overrides."""
        return dataclasses.replace(self.train, **self.dataset_train.get(dataset, {}))


_TOP_KEYS = {f.name for f in dataclasses.fields(Suite)}
_AUGMENT_KEYS = {"n_views", "options"}
MAX_SEED = 2**32 - 1  # NumPy's seed range
# Every numeric setting: (kind, lowest, highest, lowest excluded). One place, so every bound is stated once.
RANGES: dict[str, tuple[type, float, float, bool]] = {
    "embedding_dim": (int, 1, 65_536, False),
    "test_fraction": (float, 0.0, 1.0, True),  # and below 1, checked with it
    "seeds": (int, 0, MAX_SEED, False),
    "augment.n_views": (int, 1, 1024, False),
    "train.epochs": (int, 1, 100_000, False),
    "train.batch_size": (int, 1, 1_000_000, False),
    "train.learning_rate": (float, 0.0, 10.0, True),
    "train.weight_decay": (float, 0.0, 10.0, False),
    "probe.linear_c_grid": (float, 0.0, 1e12, True),
    "probe.cv_folds": (int, 2, 100, False),
    "probe.max_iter": (int, 1, 1_000_000, False),
    "probe.knn_neighbours": (int, 1, 10_000, False),
    "probe.kmeans_restarts": (int, 1, 1000, False),
    "probe.unlabelled_clusters": (int, 2, 10_000, False),
}


def _in_range(key: str, value: Any) -> Any:
    """``value`` of setting ``key`` if it has the setting's kind (a bool is no number), is finite and in range."""
    kind, lowest, highest, open_low = RANGES[key]
    if isinstance(value, list):
        if not value:
            raise SuiteError(f"'{key}' must not be empty")
        return [_in_range(key, v) for v in value]
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not numeric or (kind is int and not isinstance(value, int)):
        raise SuiteError(f"'{key}' must be {'an integer' if kind is int else 'a number'}, got {value!r}")
    too_low = value <= lowest if open_low else value < lowest
    if not math.isfinite(value) or too_low or value > highest or (key == "test_fraction" and value >= 1):
        shown = (lambda x: str(int(x))) if kind is int else (lambda x: f"{x:g}")
        low = f"above {shown(lowest)}" if open_low else f"at least {shown(lowest)}"
        high = "below 1" if key == "test_fraction" else f"at most {shown(highest)}"
        raise SuiteError(f"'{key}' must be {low} and {high}, got {value!r}")
    return kind(value)


def _checked_section(section: str, values: Any) -> dict[str, Any]:
    """A ``[section]`` table with every ranged value checked."""
    if not isinstance(values, Mapping):
        raise SuiteError(f"[{section}] must be a table of settings, got {values!r}")
    return {k: _in_range(f"{section}.{k}", v) if f"{section}.{k}" in RANGES else v for k, v in values.items()}


def _data_shape(value: Any) -> tuple[int, ...] | None:
    """``data_shape`` as a tuple of positive integers (the shape of one example), or None when absent."""
    if value is None:
        return None
    if (not isinstance(value, (list, tuple)) or not value
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1 for v in value)):
        raise SuiteError(f"'data_shape' must be a list of positive integers (the shape of one example), got {value!r}")
    return tuple(value)


def _table(raw: Mapping[str, Any], key: str) -> dict[str, Any]:
    """``raw[key]`` as a table (default empty); anything else is refused naming the key."""
    value = raw.get(key, {})
    if not isinstance(value, Mapping) or not all(isinstance(v, Mapping) for v in value.values()):
        raise SuiteError(f"'{key}' must be a table of tables (e.g. [{key}.NAME]), got {value!r}")
    return dict(value)


def _typed(cls: type, values: Mapping[str, Any], where: str) -> Any:
    valid = {f.name for f in dataclasses.fields(cls)}
    unknown = set(values) - valid
    if unknown:
        raise SuiteError(f"unknown key {', '.join(sorted(unknown))} in [{where}]; valid keys: {', '.join(sorted(valid))}")
    converted = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
    try:
        return cls(**converted)
    except (TypeError, ValueError) as error:
        raise SuiteError(f"[{where}]: {error}") from None


def _string_list(raw: Mapping[str, Any], key: str, required: bool) -> tuple[str, ...]:
    value = raw.get(key)
    if value is None:
        if required:
            raise SuiteError(f"suite needs a '{key}' list")
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SuiteError(f"'{key}' must be a list of names, got {value!r}")
    return tuple(value)


def _optional_string(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, str):
        raise SuiteError(f"'{key}' must be a string, got {value!r}")
    return value


def suite_from_dict(raw: Mapping[str, Any]) -> Suite:
    """Validate a parsed suite mapping into a ``Suite``."""
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise SuiteError(f"unknown suite key {', '.join(sorted(unknown))}; valid keys: {', '.join(sorted(_TOP_KEYS))}")
    variants = {}
    for label, entry in _table(raw, "variants").items():
        entry = dict(entry)
        entry.pop("label", None)
        kind = "objective" if "objective" in entry else "encoder" if "encoder" in entry else None
        if kind is None and "target" in entry:
            kind = entry.pop("kind")
        if kind is None:
            raise SuiteError(f"variant '{label}' must name an 'objective' or an 'encoder'")
        target = entry.pop(kind, None) or entry.pop("target", None)
        if not isinstance(target, str):
            raise SuiteError(f"variant '{label}' must name its {kind} as a string, got {target!r}")
        pairs = tuple(entry.pop("pairs_with", ()))
        options = dict(entry.pop("options", {}))
        options.update(entry)
        variants[label] = Variant(label, kind, target, options, pairs)
    seeds = raw.get("seeds", [0])
    if not isinstance(seeds, (list, tuple)) or not seeds:
        raise SuiteError(f"'seeds' must be a non-empty list of integers from 0 to {MAX_SEED}, got {seeds!r}")
    seeds = _in_range("seeds", list(seeds))
    baselines = _string_list(raw, "baselines", required=False) if "baselines" in raw else BASELINES
    bad = set(baselines) - set(baseline_names())
    if bad:
        raise SuiteError(f"unknown baseline {', '.join(sorted(bad))}; "
                         f"valid baselines: {', '.join(baseline_names())}")
    augment = _checked_section("augment", raw.get("augment", {}))
    if unknown := set(augment) - _AUGMENT_KEYS:
        raise SuiteError(f"unknown key {', '.join(sorted(unknown))} in [augment]; valid keys: {', '.join(sorted(_AUGMENT_KEYS))}")
    train = _checked_section("train", raw.get("train", {}))
    dataset_train = {name: _checked_section("train", values) for name, values in _table(raw, "dataset_train").items()}
    return Suite(
        name=str(raw.get("name", "custom")),
        description=str(raw.get("description", "")),
        datasets=_string_list(raw, "datasets", required=raw.get("data_file") is None),
        encoders=_string_list(raw, "encoders", required=True),
        objectives=_string_list(raw, "objectives", required=False),
        seeds=tuple(seeds),
        baselines=tuple(baselines),
        embedding_dim=_in_range("embedding_dim", raw.get("embedding_dim", 64)),
        test_fraction=_in_range("test_fraction", raw.get("test_fraction", 0.2)),
        train=_typed(TrainConfig, train, "train"),
        dataset_train=dataset_train,
        dataset_options=_table(raw, "dataset_options"),
        augment=AugmentConfig(augment.get("n_views", 4), _table(augment, "options")),
        probe=_typed(ProbeConfig, _checked_section("probe", raw.get("probe", {})), "probe"),
        objective_options=_table(raw, "objective_options"),
        encoder_options=_table(raw, "encoder_options"),
        variants=variants,
        data_file=_optional_string(raw, "data_file"),
        data_shape=_data_shape(raw.get("data_shape")),
    )


def available_suites() -> list[str]:
    """Names of the suites shipped in ``benchmarks/suites``."""
    return sorted(p.stem for p in SUITES_DIR.glob("*.toml"))


def load_suite(name_or_path: str) -> Suite:
    """A shipped suite by name, or a suite TOML file by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = SUITES_DIR / f"{name_or_path}.toml"
        if not path.exists():
            raise SuiteError(f"unknown suite '{name_or_path}'; valid suites: {', '.join(available_suites())} (or a .toml path)")
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

    Accepts datasets, encoders, objectives, seeds (lists), epochs (int), data_file (path) and data_shape.
    """
    changes: dict[str, Any] = {}
    for key in ("datasets", "encoders", "objectives", "seeds", "baselines"):
        if overrides.get(key) is not None:
            changes[key] = tuple(overrides[key])
    if overrides.get("epochs") is not None:
        if overrides["epochs"] < 1:
            raise SuiteError(f"--epochs must be at least 1, got {overrides['epochs']}")
        changes["train"] = dataclasses.replace(suite.train, epochs=overrides["epochs"])
        changes["dataset_train"] = {k: {kk: vv for kk, vv in v.items() if kk != "epochs"} for k, v in suite.dataset_train.items()}
    if overrides.get("data_file") is not None:
        changes["data_file"] = str(Path(overrides["data_file"]).resolve())
        changes.setdefault("datasets", ())
    if overrides.get("data_shape") is not None:
        changes["data_shape"] = tuple(overrides["data_shape"])
    return suite_from_dict(dataclasses.replace(suite, **changes).to_dict())  # overrides meet the same checks
