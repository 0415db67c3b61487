"""What ``sslbench list`` shows, read from the registries and committed as ``catalogue.json`` beside this module.

Building it imports every dataset, encoder, objective and baseline module (torch, scikit-learn: seconds), so the
listing reads the committed file instead (milliseconds, on the first call as on every later one). The file is
generated, never edited: ``python -m sslbench.flows.catalogue`` rewrites it from the registries, and a test
fails while it differs from them, so adding a component is followed by regenerating it.

    python -m sslbench.flows.catalogue [--check]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CATALOGUE_FILE = Path(__file__).resolve().parent / "catalogue.json"


def build() -> dict[str, Any]:
    """The catalogue from the registries: datasets, encoders, objectives, compatible pairs per modality, baselines,
    suites, and the UCR/UEA sets bundled with aeon."""
    from sslbench.benchmarks.suite import available_suites
    from sslbench.ssl_models.baselines import BASELINES, baseline_names
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
        "baselines": [
            {"name": name, "title": BASELINES.get(name).title, "in_default_suite": BASELINES.get(name).in_default_suite}
            for name in baseline_names()
        ],
        "suites": available_suites(),
        "archives": [
            {"name": name, "equal_length": equal, "alias": SHORT_NAMES.get(name, "")} for name, equal in bundled_sets()
        ],
    }


def catalogue() -> dict[str, Any]:
    """The committed catalogue (``catalogue.json``); built from the registries only when that file is missing."""
    try:
        return json.loads(CATALOGUE_FILE.read_text())
    except FileNotFoundError:
        return build()


def render(listing: dict[str, Any]) -> str:
    """The catalogue as ``catalogue.json`` stores it: indented JSON, one trailing newline."""
    return json.dumps(listing, indent=1) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 when catalogue.json differs from the registries")
    args = parser.parse_args(argv)
    text = render(build())
    current = CATALOGUE_FILE.read_text() if CATALOGUE_FILE.exists() else ""
    if args.check:
        if text != current:
            print(f"{CATALOGUE_FILE} is stale: run `python -m sslbench.flows.catalogue`", file=sys.stderr)
            return 1
        return 0
    if text != current:
        from sslbench.ssl_models.files import write_text_atomic

        write_text_atomic(CATALOGUE_FILE, text)
    print(f"wrote {CATALOGUE_FILE}" if text != current else f"{CATALOGUE_FILE} is current")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
