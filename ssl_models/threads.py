"""Thread policy, chosen by measurement on shared 2-core machines (issue #16, medians in one process):

- OpenMP threads wait passively (``OMP_WAIT_POLICY=PASSIVE``): spinning threads on cores other processes hold
  ran SimCLR · CNN at 121 samples/s with 2 threads, 406 with passive waiting;
- one torch intra-op thread per job (434 samples/s with 1 thread, no slower than 2), so cores go to jobs in
  parallel instead;
- single-threaded BLAS in the probes: scikit-learn's probes took 78 s with default OpenBLAS threading, 0.9 s
  with one thread.

``ENVIRONMENT`` must be in the environment before torch or NumPy is imported (``flows.runtime.configure`` sets
it first thing; worker processes inherit it); users' own settings win. Results are bit-identical for a fixed
policy: each job draws only from its own seeded generators.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

ENVIRONMENT = {
    "OMP_WAIT_POLICY": "PASSIVE",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def set_environment() -> None:
    """Put the policy's variables into ``os.environ`` (values already set are kept)."""
    for key, value in ENVIRONMENT.items():
        os.environ.setdefault(key, value)


def job_threads() -> int:
    """torch intra-op threads per job: ``OMP_NUM_THREADS`` (1 under the policy)."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", ENVIRONMENT["OMP_NUM_THREADS"])))
    except ValueError:
        return 1


def apply_job_threads() -> None:
    """Set torch's intra-op threads to :func:`job_threads` (for a process that imported torch before the policy)."""
    import torch

    if torch.get_num_threads() != job_threads():
        torch.set_num_threads(job_threads())


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run a block (scikit-learn probes, NumPy linear algebra) with one BLAS and one OpenMP thread."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield
