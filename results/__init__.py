"""The results layer: Parquet schema, append-safe store, pandas query helpers and reports.

from sslbench import results
df = results.load("sslbench-out")                 # tidy: one row per (job, metric, split)
results.leaderboard(df, "linear_acc")              # mean ± std over seeds
results.pareto_front(df, results.read_table("sslbench-out", "jobs").to_pandas(), "mnist5k")  # accuracy × cost
"""

from sslbench.results.query import compare_runs, cost_cells, leaderboard, load, self_supervised, summarise
from sslbench.results.schema import SCHEMA_VERSION, TABLES
from sslbench.results.selection import best_configuration, pareto_front
from sslbench.results.store import CorruptFileError, QuarantinedFileWarning, read_table, write_rows

__all__ = [
    "SCHEMA_VERSION",
    "TABLES",
    "CorruptFileError",
    "QuarantinedFileWarning",
    "best_configuration",
    "compare_runs",
    "cost_cells",
    "leaderboard",
    "load",
    "pareto_front",
    "read_table",
    "self_supervised",
    "summarise",
    "write_rows",
]
