"""Content-addressed, verified artefact cache.

Each cached result is a JSON record ``{"payload": ..., "sha256": ..., "files": {path: sha256}}``: the hash of
the payload and of every file it points to (e.g. a checkpoint) are checked on load, so a truncated or
tampered artefact is recomputed, never trusted. Nothing cached is unpickled: JSON, NumPy without pickles,
and ``torch.load(weights_only=True)``. A hit touches the record, so ``sslbench clean`` can tell what recent
runs still use.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sslbench.ssl_models.files import file_sha256, json_sha256, write_text_atomic


def save_record(path: Path, payload: dict[str, Any], files: Sequence[str | Path] = ()) -> None:
    """Write a verified record atomically; ``files`` are hashed now and re-checked on every load.

    File paths are stored relative to the record's folder, so an output folder can be moved or copied.
    """
    path = Path(path)
    hashes = {os.path.relpath(Path(f).absolute(), path.parent.absolute()): file_sha256(f) for f in files}
    record = {"payload": payload, "sha256": json_sha256(payload), "files": hashes}
    write_text_atomic(path, json.dumps(record, sort_keys=True))


def load_record(path: Path) -> dict[str, Any] | None:
    """The payload of a valid record, or None when it is missing, unreadable or fails a hash check."""
    path = Path(path)
    try:
        record = json.loads(path.read_text())
        payload = record["payload"]
        if json_sha256(payload) != record["sha256"]:
            return None
        files = [path.parent / name for name in record["files"]]
        for file, expected in zip(files, record["files"].values()):
            if not file.is_file() or file_sha256(file) != expected:
                return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    for used in [path, *files]:
        os.utime(used)
    return payload
