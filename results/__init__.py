"""The results layer: Parquet schema, append-safe store, pandas query helpers and reports.

from sslbench import results
df = results.load("sslbench-out")                 # tidy: one row per (job, metric, split)
results.leaderboard(df, "linear_acc")              # mean ± std over seeds
"""

from sslbench.results.query import compare_runs, leaderboard, load, self_supervised, summarise
from sslbench.results.schema import SCHEMA_VERSION, TABLES
from sslbench.results.selection import best_configuration
from sslbench.results.store import CorruptFileError, QuarantinedFileWarning, read_table, write_rows

__all__ = [
    "SCHEMA_VERSION",
    "TABLES",
    "CorruptFileError",
    "QuarantinedFileWarning",
    "best_configuration",
    "compare_runs",
    "leaderboard",
    "load",
    "read_table",
    "self_supervised",
    "summarise",
    "write_rows",
]
