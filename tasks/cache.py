"""Content-addressed, verified artefact cache.

Each cached result is a JSON record ``{"payload": ..., "sha256": ..., "files": {path: sha256}}``: the hash of
the payload and of every file it points to (e.g. a checkpoint) are checked on load, so a truncated or
tampered artefact is recomputed, never trusted. Nothing cached is unpickled: JSON, NumPy without pickles,
and ``torch.load(weights_only=True)``. A hit touches the record, so ``sslbench clean`` can tell what recent
runs still use.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _payload_sha(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def save_record(path: Path, payload: dict[str, Any], files: list[str | Path] = ()) -> None:
    """Write a verified record atomically; ``files`` are hashed now and re-checked on every load."""
    record = {"payload": payload, "sha256": _payload_sha(payload), "files": {str(f): file_sha256(f) for f in files}}
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(record, sort_keys=True))
    os.replace(temp, path)


def load_record(path: Path) -> dict[str, Any] | None:
    """The payload of a valid record, or None when it is missing, unreadable or fails a hash check."""
    try:
        record = json.loads(path.read_text())
        payload = record["payload"]
        if _payload_sha(payload) != record["sha256"]:
            return None
        for file, expected in record["files"].items():
            if not Path(file).exists() or file_sha256(file) != expected:
                return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    for used in [path, *record["files"]]:
        os.utime(used)
    return payload
