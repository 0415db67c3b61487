"""What changed between two runs' stored suite configurations (the runs table's ``config`` JSON)."""

from __future__ import annotations

import json
from typing import Any

MAX_SHOWN = 60
_ABSENT = object()


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """{dotted.key: leaf value} of nested mappings; lists and scalars are leaves."""
    if not isinstance(value, dict):
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, inner in value.items():
        flat.update(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
    return flat


def _shown(value: Any) -> str:
    text = "(absent)" if value is _ABSENT else json.dumps(value, sort_keys=True)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def config_changes(before: str, after: str) -> list[str]:
    """``key: old → new`` for every setting that differs between two suite configs (JSON text; '' reads as
    {})."""
    old, new = _flatten(json.loads(before or "{}")), _flatten(json.loads(after or "{}"))
    return [
        f"{key}: {_shown(old.get(key, _ABSENT))} → {_shown(new.get(key, _ABSENT))}"
        for key in sorted(set(old) | set(new))
        if old.get(key, _ABSENT) != new.get(key, _ABSENT)
    ]
