"""Append-only, atomic Parquet storage of the four result tables.

Layout: ``ROOT/tables/<table>/run_id=<run_id>/<part>.parquet``. Each write goes to a ``.``-prefixed temp
file in the same folder and is renamed into place, so a reader never sees half a file; the part name is
the job id, so writing a job twice replaces it instead of duplicating its rows. Files carry Parquet page
checksums (verified on read) and a SHA-256 in their folder's manifest (see ``results.integrity``); a file that
fails a check is quarantined with a warning naming it (or raised, when strict).
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from sslbench.results.integrity import CorruptFileError, check_file, listed_write, quarantine
from sslbench.results.schema import PARTITION, TABLES, file_schema


class QuarantinedFileWarning(UserWarning):
    """A table file failed its integrity check and was moved to the quarantine folder."""


def table_dir(root: str | Path, table: str) -> Path:
    """Folder of ``table`` under the output folder ``root``."""
    if table not in TABLES:
        raise ValueError(f"unknown table '{table}'; valid tables: {', '.join(TABLES)}")
    return Path(root) / "tables" / table


def write_rows(
    root: str | Path, table: str, run_id: str, rows: Iterable[Mapping[str, Any]], part: str | None = None
) -> Path:
    """Append ``rows`` to ``table`` for ``run_id`` as one new Parquet file, atomically."""
    schema = file_schema(table)
    rows = [{name: row.get(name) for name in schema.names} for row in rows]
    folder = table_dir(root, table) / f"{PARTITION}={run_id}"
    path = folder / f"{part or uuid.uuid4().hex}.parquet"
    with listed_write(path) as temp:
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), temp, write_page_checksum=True)
    return path


def table_files(root: str | Path, table: str, strict: bool = False, run_ids: Iterable[str] | None = None) -> list[Path]:
    """The sound Parquet files of ``table``; an unsound one is quarantined with a warning (raised if strict)."""
    folder = table_dir(root, table)
    if not folder.exists():
        return []
    wanted = None if run_ids is None else {f"{PARTITION}={run}" for run in run_ids}
    files = []
    for path in sorted(folder.glob(f"{PARTITION}=*/*.parquet")):
        if path.name.startswith((".", "_")) or (wanted is not None and path.parent.name not in wanted):
            continue
        try:
            check_file(path, table)
        except CorruptFileError as error:
            if strict:
                raise
            moved = quarantine(Path(root), path, str(error))
            warnings.warn(f"{error}; moved to {moved}", QuarantinedFileWarning, stacklevel=2)
            continue
        files.append(path)
    return files


def read_table(
    root: str | Path, table: str, filters: Mapping[str, Any] | None = None, strict: bool = False
) -> pa.Table:
    """Read ``table`` with the current schema (columns missing in old files are null), filters pushed down.

    ``filters`` maps a column to a value or a list of values; a ``run_id`` filter prunes whole folders.
    """
    filters = dict(filters or {})
    run_filter = filters.pop(PARTITION, None)
    run_ids = None if run_filter is None else ([run_filter] if isinstance(run_filter, str) else list(run_filter))
    schema = TABLES[table]
    files = table_files(root, table, strict=strict, run_ids=run_ids)
    if not files:
        return schema.empty_table()
    parquet = ds.ParquetFileFormat(
        default_fragment_scan_options=ds.ParquetFragmentScanOptions(page_checksum_verification=True)
    )
    dataset = ds.dataset(
        [str(f) for f in files],
        schema=schema,
        format=parquet,
        partitioning=ds.partitioning(pa.schema([(PARTITION, pa.string())]), flavor="hive"),
        partition_base_dir=str(table_dir(root, table)),
    )
    expression = None
    for column, value in filters.items():
        if column not in schema.names:
            raise ValueError(
                f"cannot filter '{table}' on unknown column '{column}'; columns: {', '.join(schema.names)}"
            )
        values = value if isinstance(value, (list, tuple, set)) else [value]
        term = ds.field(column).isin(list(values))
        expression = term if expression is None else expression & term
    return dataset.to_table(filter=expression)
