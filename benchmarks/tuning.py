"""Equal-budget tuning: the suite's ``[tuning]`` section, each cell's search space, and the jobs it makes.

Suite TOML::

    [tuning]
    trials = 8              # the budget of every objective × encoder cell, the same for all
    sampler_seed = 0        # seeds each cell's TPE sampler, together with the cell's names
    epochs = 3              # pretraining epochs of a trial (default: the suite's); tuned jobs train the suite's
    pruner = "median"       # stop hopeless trials early (Optuna's median rule, per epoch); default "none";
                            # "successive_halving": rungs at B/9, B/3 epochs, the top third goes on to B
    [tuning.space.train]
    learning_rate = {low = 1e-4, high = 1e-2, log = true}
    [tuning.space.simclr]
    temperature = {low = 0.05, high = 1.0, log = true}
    [tuning.space.masked_autoencoder]
    decoder = {choices = ["mlp", "linear"]}

A cell's space is pretraining's, its objective's and its encoder's declared ``search_space``
(``ssl_models.search_space``), each overridden or extended by the suite's table of that name (``train``, or an
objective or encoder label of the suite). Parameters are named ``train.X``, ``objective.X`` and ``encoder.X``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import Field
from pydantic_core import PydanticCustomError
from sslbench.benchmarks.config import MAX_SEED, RANGES, TRAIN, SuiteError, Table, checked, component_model
from sslbench.ssl_models.files import json_sha256
from sslbench.ssl_models.job import JobSpec
from sslbench.ssl_models.options import Options
from sslbench.ssl_models.search_space import TRAIN_SEARCH_SPACE, Tunable

TARGETS = ("train", "objective", "encoder")
TUNED_SUFFIX = "+tuned"  # the objective label of a cell's tuned jobs, e.g. ``simclr+tuned``
BUDGET_KEYS = ("epochs", "iterations", "large_set_iterations")  # the budget is the same for every cell
PRUNERS = ("none", "median", "successive_halving")  # the rules of ``ssl_models.pruning``
Choice = str | int | float | bool
EPOCHS = RANGES["train.epochs"]


@dataclass(frozen=True)
class ParamSpace:
    """One searched parameter: [low, high] (log-uniform when ``log``; integers when both bounds are), or
    ``choices``."""

    low: float | int | None = None
    high: float | int | None = None
    log: bool = False
    choices: tuple[Choice, ...] | None = None


@dataclass(frozen=True)
class TuningConfig:
    """The trial budget per cell, the sampler's seed, the trials' epochs, the suite's own search ranges by
    target (``train``, an objective label, an encoder label) and parameter, and the pruner of hopeless trials."""

    trials: int
    sampler_seed: int = 0
    epochs: int | None = None
    space: Mapping[str, Mapping[str, ParamSpace]] = field(default_factory=dict)
    pruner: str = "none"


class SpaceEntry(Options):
    """``param = {low = …, high = …, log = true}`` or ``param = {choices = […]}``."""

    noun = "key"
    low: int | float | None = None
    high: int | float | None = None
    log: bool = False
    choices: Annotated[list[Choice], Field(min_length=1)] | None = None


class TuningSection(Options):
    """``[tuning]``: the budget, the sampler's seed, the trials' epochs and ``[tuning.space.TARGET]`` tables."""

    noun = "key"
    trials: Annotated[int, Field(ge=1, le=10_000)]
    sampler_seed: Annotated[int, Field(ge=0, le=MAX_SEED)] = 0
    epochs: EPOCHS.bound(int | None) = None  # type: ignore[valid-type]
    space: dict[str, dict[str, SpaceEntry]] = Field(default_factory=dict)
    pruner: Literal[PRUNERS] = "none"  # type: ignore[valid-type]


def tuning_config(table: Table, components: Mapping[str, tuple[str, str]]) -> TuningConfig:
    """Validate ``[tuning]``; ``components`` maps each objective and encoder label of the suite to (kind,
    registry name). Unknown targets or parameters, budget keys and ranges outside a parameter's declared limits
    are one-line SuiteErrors."""
    values = checked(TuningSection, table, "tuning", given_only=False)
    space = {
        target: {
            name: _param_space(target, name, entry, components)
            for name, entry in sorted(values["space"][target].items())
        }
        for target in sorted(values["space"])
    }
    return TuningConfig(values["trials"], values["sampler_seed"], values["epochs"], space, values["pruner"])


def _param_space(
    target: str, name: str, entry: Mapping[str, Any], components: Mapping[str, tuple[str, str]]
) -> ParamSpace:
    """The checked range of ``[tuning.space.TARGET] NAME``."""
    where = f"tuning.space.{target}"
    if target == "train":
        model, declared = TRAIN, TRAIN_SEARCH_SPACE
        if name in BUDGET_KEYS:
            raise SuiteError(f"{where}.{name}: is the budget, the same for every cell; set [tuning] epochs instead")
    elif target in components:
        kind, registry_name = components[target]
        model = component_model(kind, registry_name, where)
        declared = _component(kind, registry_name).search_space
    else:
        valid = ", ".join(["train", *components])
        raise SuiteError(f"{where}: names no objective or encoder of the suite; valid: {valid}")
    if name not in model.model_fields:
        raise SuiteError(f"{where}.{name}: unknown option; valid: {', '.join(model.model_fields) or 'none'}")
    bounds = [entry["low"], entry["high"]]
    if entry["choices"] is not None:
        if any(bound is not None for bound in bounds) or entry["log"]:
            raise SuiteError(f"{where}.{name}: give either choices or low and high, not both")
        return ParamSpace(choices=tuple(_typed(model, where, name, value) for value in entry["choices"]))
    if any(bound is None for bound in bounds):
        raise SuiteError(f"{where}.{name}: give low and high (a range) or choices (a list)")
    low, high = (_within(declared.get(name), where, name, _typed(model, where, name, bound)) for bound in bounds)
    if not low < high:
        raise SuiteError(f"{where}.{name}: low must be below high, got low = {low}, high = {high}")
    if entry["log"] and low <= 0:
        raise SuiteError(f"{where}.{name}: a log range needs low above 0, got {low}")
    return ParamSpace(low, high, entry["log"])


def _typed(model: type[Options], where: str, name: str, value: Any) -> Any:
    """``value`` as the parameter's declared type (an integer bound of a float parameter becomes a float)."""
    return checked(model, {name: value}, where)[name]


def _within(declared: Tunable | None, where: str, name: str, value: Any) -> Any:
    """``value`` when inside the declared limits of the parameter (if it declares any)."""
    if declared is None or declared.limits is None or not isinstance(value, (int, float)):
        return value
    try:
        declared.limits.check(value)
    except PydanticCustomError as error:
        raise SuiteError(f"{where}.{name}: {error.message()}, got {value!r}") from None
    return value


def _component(kind: str, name: str) -> Any:
    """The registered objective or encoder class ``name``."""
    if kind == "objective":
        from sslbench.ssl_models.objectives import OBJECTIVES

        return OBJECTIVES.get(name)
    from sslbench.ssl_models.encoders import ENCODERS

    return ENCODERS.get(name)


def cell_space(tuning: TuningConfig, job: JobSpec) -> dict[str, ParamSpace]:
    """The searched parameters of ``job``'s cell by qualified name (``train.learning_rate``,
    ``objective.temperature``): the declared spaces, overridden or extended by the suite's."""
    spaces = {
        "train": ("train", TRAIN_SEARCH_SPACE),
        "objective": (job.objective, _component("objective", job.objective_name).search_space),
        "encoder": (job.encoder, _component("encoder", job.encoder_name).search_space),
    }
    searched: dict[str, ParamSpace] = {}
    for target, (label, declared) in spaces.items():
        params = {name: ParamSpace(t.low, t.high, t.log, t.choices or None) for name, t in declared.items()}
        params.update(tuning.space.get(label, {}))
        searched.update({f"{target}.{name}": space for name, space in sorted(params.items())})
    return searched


def default_params(job: JobSpec, space: Mapping[str, ParamSpace]) -> dict[str, Any]:
    """The values ``job`` itself uses for the searched parameters that lie in their range: the first trial of
    every cell, so that the tuned configuration is never worse on validation than the default one."""
    current = {
        "train": dataclasses.asdict(job.train),
        "objective": {**_defaults("objective", job.objective_name), **job.objective_options},
        "encoder": {**_defaults("encoder", job.encoder_name), **job.encoder_options},
    }
    values = {}
    for qualified, param in space.items():
        target, _, name = qualified.partition(".")
        value = current[target].get(name)
        inside = value in param.choices if param.choices is not None else _in_range(value, param)
        if inside:
            values[qualified] = value
    return values


def _in_range(value: Any, param: ParamSpace) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and param.low <= value <= param.high  # type: ignore[operator]


def _defaults(kind: str, name: str) -> dict[str, Any]:
    """The declared default of each option of component ``name``."""
    model = component_model(kind, name, kind)
    return {field: info.default for field, info in model.model_fields.items() if not info.is_required()}


def cell_seed(tuning: TuningConfig, job: JobSpec) -> int:
    """The seed of the cell's sampler: a hash of (sampler_seed, dataset, encoder, objective), below 2³²."""
    return int(json_sha256([tuning.sampler_seed, job.dataset, job.encoder, job.objective])[:8], 16)


def configured_job(job: JobSpec, params: Mapping[str, Any], epochs: int | None = None, label: str = "") -> JobSpec:
    """``job`` with qualified ``params`` applied (train settings, objective and encoder options), trained for
    ``epochs`` when given, under objective ``label`` when given."""
    groups: dict[str, dict[str, Any]] = {target: {} for target in TARGETS}
    for qualified, value in params.items():
        target, _, name = qualified.partition(".")
        groups[target][name] = value
    budget: dict[str, Any] = {"epochs": epochs} if epochs is not None else {}
    return dataclasses.replace(
        job,
        objective=label or job.objective,
        train=dataclasses.replace(job.train, **groups["train"], **budget),
        objective_options={**job.objective_options, **groups["objective"]},
        encoder_options={**job.encoder_options, **groups["encoder"]},
    )


def tuned_label(objective: str) -> str:
    """The objective label of a cell's tuned jobs."""
    return f"{objective}{TUNED_SUFFIX}"
