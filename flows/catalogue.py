"""What ``sslbench list`` shows, read from the registries once per version of the code and kept as JSON.

Building it imports every dataset, encoder and objective module (torch, scikit-learn: seconds); the cached copy,
keyed by a hash of the source files that define the registries, answers in milliseconds. Adding a component
changes the hash, so the next ``list`` rebuilds it: nothing is maintained by hand.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from sslbench.ssl_models.files import write_text_atomic

ROOTS = (Path(__file__).resolve().parent.parent / "ssl_models", Path(__file__).resolve().parent.parent / "benchmarks")


def cache_dir() -> Path:
    """``$SSLBENCH_CACHE``, else ``$XDG_CACHE_HOME/sslbench``, else ``~/.cache/sslbench``."""
    if os.environ.get("SSLBENCH_CACHE"):
        return Path(os.environ["SSLBENCH_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sslbench"


def source_hash() -> str:
    """SHA-256 (first 16 hex digits) over the paths and bytes of every .py and .toml file under ``ROOTS``."""
    digest = hashlib.sha256()
    for root in ROOTS:
        for path in sorted(p for p in root.rglob("*") if p.suffix in (".py", ".toml")):
            digest.update(str(path.relative_to(root.parent)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build() -> dict[str, Any]:
    """The catalogue from the registries: datasets, encoders, objectives, compatible pairs per modality, suites, and
    the UCR/UEA sets bundled with aeon."""
    from sslbench.benchmarks.suite import available_suites
    from sslbench.ssl_models.data import DATASETS, MODALITIES, modality_of
    from sslbench.ssl_models.data.ucr import SHORT_NAMES, bundled_sets
    from sslbench.ssl_models.encoders import ENCODERS
    from sslbench.ssl_models.objectives import OBJECTIVES

    encoders = ENCODERS.names()
    objectives = []
    for name, cls in OBJECTIVES.items():
        needs = (
            sorted(cls.requires)
            + (["labels"] if cls.needs_labels else [])
            + ([f"{'/'.join(cls.modalities)} data"] if cls.modalities else [])
        )
        views = sum(group.n_views for group in cls.view_groups())
        objectives.append({"name": name, "family": cls.family, "views": views, "needs": needs})
    pairs = {
        modality: {
            name: [
                modality in ENCODERS.get(encoder).modalities
                and cls.incompatibility(ENCODERS.get(encoder), modality) is None
                for encoder in encoders
            ]
            for name, cls in OBJECTIVES.items()
        }
        for modality in MODALITIES
    }
    return {
        "datasets": [{"name": name, "modality": modality_of(name)} for name, _ in DATASETS.items()],
        "encoders": [
            {
                "name": name,
                "reads": list(cls.modalities),
                "causal": bool(cls.causal),
                "tokens": bool(cls.provides_tokens),
            }
            for name, cls in ENCODERS.items()
        ],
        "objectives": objectives,
        "pairs": pairs,
        "suites": available_suites(),
        "archives": [
            {"name": name, "equal_length": equal, "alias": SHORT_NAMES.get(name, "")} for name, equal in bundled_sets()
        ],
    }


def catalogue() -> dict[str, Any]:
    """The cached catalogue of this code version, built and stored (atomically) when missing or unreadable."""
    path = cache_dir() / f"catalogue-{source_hash()}.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    built = build()
    try:
        write_text_atomic(path, json.dumps(built))
    except OSError:  # a read-only home: answer anyway, uncached
        pass
    return built
