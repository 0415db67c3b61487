"""A component's options as a strict pydantic model read from its declared parameters, and one-line errors.

The constructor (or loader, or factory) signature is the one declaration: its keyword parameters after the
ones the framework passes (``given``) become fields with the declared types and defaults; an
``Annotated[..., Field]`` annotation adds bounds. Values are checked strictly (``256.5`` is no integer,
``"1e-3"`` no number, ``true`` no number), unknown names are refused, and every error reads
``LOCATION: PROBLEM; valid: CHOICES`` on one line.

Example::

    model = options_model("objective_options.simclr", SimCLR, given=("encoder",))
    validated(model, {"temperature": 0.2}, "objective_options.simclr")   # {"temperature": 0.2}
"""

from __future__ import annotations

import inspect
import json
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
)
from pydantic_core import PydanticCustomError


class Options(BaseModel):
    """Base of every options model: strict types, unknown names forbidden, finite numbers only."""

    model_config = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False)
    noun: ClassVar[str] = "option"  # what an unknown name is called in errors ("unknown option", "unknown key")


@dataclass(frozen=True)
class Range:
    """Bounds of a number: ``low ≤ x ≤ high``, with ``<`` instead of ``≤`` on an ``open`` side."""

    low: float
    high: float
    low_open: bool = False
    high_open: bool = False

    def describe(self) -> str:
        """The bounds in words, e.g. ``at least 1 and at most 65536`` or ``above 0 and below 1``."""
        low = f"above {_number(self.low)}" if self.low_open else f"at least {_number(self.low)}"
        high = f"below {_number(self.high)}" if self.high_open else f"at most {_number(self.high)}"
        return f"{low} and {high}"

    def check(self, value: float | None) -> float | None:
        """``value`` when inside the bounds (None passes: the parameter allows it); else a pydantic error."""
        if value is None:
            return None
        too_low = value <= self.low if self.low_open else value < self.low
        too_high = value >= self.high if self.high_open else value > self.high
        if too_low or too_high:
            raise PydanticCustomError("out_of_range", "must be {bounds}", {"bounds": self.describe()})
        return value

    def bound(self, annotation: Any) -> Any:
        """``annotation`` with these bounds; a ``tuple[X, ...]`` or ``list[X]``: on each item, non-empty."""
        origin, args = get_origin(annotation), get_args(annotation)
        if origin in (tuple, list) and args:
            item: Any = Annotated[args[0], AfterValidator(self.check)]
            sequence = tuple[item, ...] if origin is tuple else list[item]
            return Annotated[sequence, Field(min_length=1)]
        return Annotated[annotation, AfterValidator(self.check)]


def _number(value: float) -> str:
    """``65536`` for a whole number, ``0.5`` or ``1e+12`` otherwise."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e12 else f"{value:g}"


def declared_parameters(component: Callable[..., Any], given: tuple[str, ...] = ()) -> list[inspect.Parameter]:
    """Keyword parameters of ``component`` other than ``given``; a factory taking ``**options`` contributes
    of the class its return annotation names."""
    signature = inspect.signature(component, eval_str=True)
    parameters = [
        p
        for p in signature.parameters.values()
        if p.name not in given and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    forwards = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    if forwards and inspect.isclass(signature.return_annotation):
        known = {p.name for p in parameters}
        parameters += [p for p in declared_parameters(signature.return_annotation, given) if p.name not in known]
    return parameters


def options_model(
    title: str,
    component: Callable[..., Any],
    given: tuple[str, ...] = (),
    ranges: Mapping[str, Range] | None = None,
    noun: str = "option",
) -> type[Options]:
    """A strict model of ``component``'s declared parameters: types, defaults, and ``ranges`` by name."""
    fields: dict[str, Any] = {}
    for parameter in declared_parameters(component, given):
        annotation = Any if parameter.annotation is parameter.empty else parameter.annotation
        if ranges and parameter.name in ranges:
            annotation = ranges[parameter.name].bound(annotation)
        fields[parameter.name] = (
            annotation,
            ... if parameter.default is parameter.empty else parameter.default,
        )
    model = create_model(title, __base__=Options, **fields)
    model.noun = noun
    return model


def validated(
    model: type[Options],
    values: Any,
    where: str,
    error: type[ValueError] = ValueError,
    given_only: bool = True,
) -> dict[str, Any]:
    """The values ``model`` accepts from ``values``, typed (only those given, or with the defaults), or
    ``error`` with one line.

    Values pass through JSON, as they arrive from TOML: lists may fill tuples, integers may fill floats.
    """
    try:
        parsed = model.model_validate_json(json.dumps(values, default=str))
    except ValidationError as failure:
        raise error(describe_error(model, failure, where)) from None
    return parsed.model_dump(exclude_unset=given_only)


def describe_error(model: type[BaseModel], failure: ValidationError, where: str = "") -> str:
    """The first problem of ``failure`` as ``LOCATION: PROBLEM`` (``a.b[0]``), with the valid choices."""
    errors = failure.errors(include_url=False)
    first = errors[0]
    path, tags, owner, annotation = _resolve(model, first["loc"])
    location = ".".join(filter(None, [where, _dotted(path)])) or "value"
    alternatives = [e for e in errors if e["loc"][: len(path)] == tuple(path)] if tags else [first]
    problem = " or ".join(dict.fromkeys(_problem(e, owner, annotation) for e in alternatives))
    quiet = first["type"] in ("extra_forbidden", "missing", "literal_error")
    shown = "" if quiet else f", got {first['input']!r}"
    containers = {first["loc"][:length] for length in range(len(first["loc"]))}  # their errors are cascades
    more = sum(e not in alternatives and e["loc"] not in containers for e in errors)
    return f"{location}: {problem}{shown}" + (f" (and {more} more problem{'s' * (more > 1)})" if more else "")


def _dotted(path: list[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


def _resolve(model: type[BaseModel], loc: tuple[str | int, ...]) -> tuple[list[str | int], bool, Any, Any]:
    """(location, whether union tags were cut from its end, the model holding the last name, its type)."""
    current: Any = model
    owner: Any = model
    path: list[str | int] = []
    for part in loc:
        current = _unwrap(current)
        if inspect.isclass(current) and issubclass(current, BaseModel):
            owner = current
            field = current.model_fields.get(str(part))
            current = field.annotation if field is not None else None
        elif get_origin(current) in (dict, Mapping):
            current = get_args(current)[1]
        elif get_origin(current) in (list, tuple) and isinstance(part, int):
            args = get_args(current)
            current = args[0] if args[-1] is Ellipsis or get_origin(current) is list else args[min(part, len(args) - 1)]
        elif path and isinstance(part, str) and _is_union(current):
            return path, True, owner, current  # pydantic tags each member's error with the member's name
        path.append(part)
    return path, False, owner, current


def _unwrap(annotation: Any) -> Any:
    """``X`` from ``Annotated[X, ...]`` and from ``X | None``."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    if _is_union(annotation):
        members = [a for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
    return annotation


def _is_union(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType)


def literal_choices(annotation: Any) -> tuple[Any, ...]:
    """The values of a ``Literal[...]`` annotation (also inside ``X | None`` or ``Annotated``), else ()."""
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    return tuple(value for arg in get_args(annotation) for value in literal_choices(arg))


_EXPECTED = {
    "int_type": "must be an integer",
    "int_from_float": "must be an integer",
    "int_parsing": "must be an integer",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "missing": "is required",
    "model_attributes_type": "must be a table",
    "none_required": "must be left out",
}

_BOUNDS = {
    "greater_than": ("above", "gt"),
    "greater_than_equal": ("at least", "ge"),
    "less_than": ("below", "lt"),
    "less_than_equal": ("at most", "le"),
}  # bounds an ``Annotated[..., Field(gt=...)]`` declares


def _problem(error: Any, owner: Any, annotation: Any) -> str:
    """What is wrong, in words, with the valid choices where there are a few."""
    kind, context = error["type"], error.get("ctx") or {}
    if kind == "extra_forbidden":
        valid = ", ".join(owner.model_fields) if owner is not None else ""
        return f"unknown {getattr(owner, 'noun', 'key')}; valid: {valid or 'none (it takes no options)'}"
    if kind == "literal_error":
        choices = literal_choices(annotation) or (context.get("expected"),)
        return f"{error['input']!r} is not a valid choice; valid: {', '.join(map(str, choices))}"
    if kind == "too_short":
        return (
            "must not be empty"
            if context.get("min_length") == 1
            else f"needs at least {context.get('min_length')} items"
        )
    if kind == "too_long":
        return f"takes at most {context.get('max_length')} items"
    if kind in _BOUNDS:
        words, key = _BOUNDS[kind]
        bound = context[key]
        return f"must be {words} {_number(bound) if isinstance(bound, (int, float)) else bound}"
    if kind in _EXPECTED:
        return _EXPECTED[kind]
    message = str(error["msg"])
    return message[:1].lower() + message[1:]
