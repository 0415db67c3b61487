"""Integrity of the table files: a SHA-256 manifest per run folder, checks on read, quarantine of bad files.

Each ``tables/<table>/run_id=<run>/`` folder holds ``_manifest.json`` = {file name: [SHA-256, ...]} (Parquet
discovery ignores ``_`` files). A writer lists the new file's hash beside the old one before renaming it into
place and drops the old one after, so a reader in another process never sees a sound file as unlisted. A file is
sound when its bytes match the manifest (or,
for a file the manifest does not list, when it reads whole with Parquet page checksums verified) and its columns
are the table's. An unsound file is moved to ``OUT/quarantine/`` (same relative path) and recorded in
``OUT/quarantine/log.jsonl``, so the documented ``pd.read_parquet(OUT/tables/<table>)`` keeps working.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sslbench.results.schema import REQUIRED_COLUMNS
from sslbench.ssl_models.files import TEMP_SUFFIX, atomic_path, file_sha256, write_text_atomic

MANIFEST = "_manifest.json"
QUARANTINE = "quarantine"
_MANIFEST_LOCK = threading.Lock()


class CorruptFileError(ValueError):
    """A file in the tables folder that is not a sound Parquet file of the expected table."""


def read_manifest(folder: Path) -> dict[str, list[str]]:
    """The {file name: accepted SHA-256s} manifest of a run folder ({} when absent or unreadable)."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(manifest, dict):
        return {}
    return {str(name): [str(h) for h in hashes] for name, hashes in manifest.items() if isinstance(hashes, list)}


def _update_manifest(folder: Path, name: str, hashes: Callable[[list[str]], list[str]]) -> None:
    with _MANIFEST_LOCK:
        manifest = read_manifest(folder)
        manifest[name] = hashes(manifest.get(name, []))
        if not manifest[name]:
            del manifest[name]
        write_text_atomic(folder / MANIFEST, json.dumps(manifest, sort_keys=True, indent=0))


@contextmanager
def listed_write(path: Path) -> Iterator[Path]:
    """Write a table file atomically and list its SHA-256 in the manifest (yields the temp path to write)."""
    with atomic_path(path) as temp:
        yield temp
        sha256 = file_sha256(temp)
        _update_manifest(path.parent, path.name, lambda old: [*old, sha256])
    _update_manifest(path.parent, path.name, lambda old: [sha256])


def check_file(path: Path, table: str) -> None:
    """Raise CorruptFileError naming ``path`` unless it is a sound file of ``table``."""
    expected = read_manifest(path.parent).get(path.name)
    try:
        if expected is not None and file_sha256(path) not in expected:
            raise CorruptFileError(f"{path}: content does not match its SHA-256 in {MANIFEST} (modified or corrupted)")
        schema = pq.read_schema(path)
        if expected is None:  # unlisted (e.g. written by an older sslbench): read it whole, checksums verified
            pq.read_table(path, page_checksum_verification=True)
    except (pa.ArrowException, OSError) as error:
        raise CorruptFileError(f"{path}: not a readable Parquet file ({str(error).splitlines()[0]})") from None
    missing = REQUIRED_COLUMNS[table] - set(schema.names)
    if missing:
        raise CorruptFileError(f"{path}: not a '{table}' table file (lacks {', '.join(sorted(missing))})")


def quarantine(root: Path, path: Path, reason: str) -> Path:
    """Move ``path`` (under ``root/tables``) to ``root/quarantine`` and log why; returns its new place."""
    root = Path(root)
    target = root / QUARANTINE / path.relative_to(root)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target = target.with_name(f"{target.name}.{datetime.now(UTC):%Y%m%d%H%M%S%f}")
    os.replace(path, target)
    _update_manifest(path.parent, path.name, lambda old: [])
    entry = {
        "file": str(path.relative_to(root)),
        "moved_to": str(target.relative_to(root)),
        "reason": reason,
        "time": datetime.now(UTC).isoformat(),
    }
    with open(root / QUARANTINE / "log.jsonl", "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")
    return target


@dataclass
class VerifyReport:
    """What ``verify_store`` found: sound files, quarantined files (with reasons), stale temp files removed."""

    sound: int = 0
    quarantined: list[str] = field(default_factory=list)
    temp_removed: int = 0


def verify_store(root: Path, tables: tuple[str, ...]) -> VerifyReport:
    """Check every file of ``tables``; quarantine the unsound ones and remove leftover temp files.

    Call it only while holding the output folder's lock: a temp file then belongs to no live writer.
    """
    report = VerifyReport()
    for table in tables:
        folder = Path(root) / "tables" / table
        if not folder.exists():
            continue
        for temp in folder.rglob(f".*{TEMP_SUFFIX}"):
            temp.unlink(missing_ok=True)
            report.temp_removed += 1
        for path in sorted(folder.glob("run_id=*/*.parquet")):
            if path.name.startswith((".", "_")):
                continue
            try:
                check_file(path, table)
                report.sound += 1
            except CorruptFileError as error:
                quarantine(root, path, str(error))
                report.quarantined.append(str(error))
    return report
