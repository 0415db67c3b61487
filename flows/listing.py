"""What ``sslbench list`` prints: the registries and which pairs are compatible, readable in 80 columns.

Every table wraps its cells instead of cutting them; compatibility is listed per objective (the encoders it
trains on each modality) rather than as a matrix one column per encoder, which does not fit 80 columns.
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table


def _table(title: str, *columns: str) -> Table:
    """A table whose cells fold onto further lines, never cut, when the console is narrow."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _pairs(listing: dict[str, Any], modality: str) -> Table:
    """Per objective, the encoders it trains on ``modality`` data ("all" when every encoder reading it)."""
    encoders = [encoder["name"] for encoder in listing["encoders"]]
    readers = [encoder["name"] for encoder in listing["encoders"] if modality in encoder["reads"]]
    table = _table(f"Compatible pairs on {modality} data", "objective", "encoders it trains")
    for name, runs in listing["pairs"][modality].items():
        partners = [encoder for encoder, ok in zip(encoders, runs) if ok]
        table.add_row(name, "all" if partners == readers else ", ".join(partners) or "none")
    return table


def _archives(archives: list[dict[str, Any]]) -> Table:
    """The UCR/UEA sets bundled with aeon (no download), with the name to use and the alias."""
    table = _table("UCR/UEA sets bundled with aeon", "set", "name to use", "alias")
    for entry in archives:
        name = entry["name"]
        table.add_row(name, f"ucr:{name}" if entry["equal_length"] else f"ucr_padded:{name}", entry["alias"])
    return table


def print_listing(listing: dict[str, Any], console: Console) -> None:
    """Print the catalogue ``listing`` (``flows.catalogue``) on ``console``, wrapped to its width."""
    datasets = _table("Datasets", "name", "modality")
    for dataset in listing["datasets"]:
        datasets.add_row(dataset["name"], dataset["modality"])
    encoders = _table("Encoders", "name", "reads", "causal", "per-token features")
    for encoder in listing["encoders"]:
        encoders.add_row(
            encoder["name"],
            ", ".join(encoder["reads"]),
            "yes" if encoder["causal"] else "",
            "yes" if encoder["tokens"] else "",
        )
    objectives = _table("Objectives", "name", "family", "views", "needs")
    for objective in listing["objectives"]:
        objectives.add_row(
            objective["name"], objective["family"], str(objective["views"]), ", ".join(objective["needs"])
        )
    notes = [
        (
            "Any UCR/UEA set runs as ucr:<Name>, or ucr_padded:<Name> to zero-pad unequal lengths (with a "
            "mask); sets not bundled with aeon download on first use (suites ucr128, uea30)."
        ),
        (
            "Compatible pairs: the encoders each objective trains, per kind of data; all: every encoder that "
            "reads that data (see Encoders)."
        ),
        f"Baselines: {_baseline_list(listing['baselines'])}",
        f"Suites: {', '.join(listing['suites'])}",
    ]
    for part in (
        datasets,
        _archives(listing["archives"]),
        notes[0],
        encoders,
        objectives,
        notes[1],
        *[_pairs(listing, modality) for modality in listing["pairs"]],
        *notes[2:],
    ):
        console.print(part, soft_wrap=False)


def _baseline_list(baselines: list[dict[str, Any]]) -> str:
    """``name (title)`` of every baseline; those a suite runs only when it lists them are marked."""
    marks = ["" if entry["in_default_suite"] else ", on request" for entry in baselines]
    return ", ".join(f"{entry['name']} ({entry['title']}{mark})" for entry, mark in zip(baselines, marks))
