"""Thread and allocation policy, chosen by measurement on shared 2-core machines (issue #16, medians in one process):

- OpenMP threads wait passively (``OMP_WAIT_POLICY=PASSIVE``): spinning threads on cores other processes hold
  ran SimCLR · CNN at 121 samples/s with 2 threads, 406 with passive waiting;
- one torch intra-op thread per job (434 samples/s with 1 thread, no slower than 2), so cores go to jobs in
  parallel instead;
- single-threaded BLAS in the probes: scikit-learn's probes took 78 s with default OpenBLAS threading, 0.9 s
  with one thread;
- freed memory kept for reuse (:func:`retain_freed_memory`): glibc maps every allocation over its mmap
  threshold (at most 32 MB) afresh and unmaps it when freed, so each such tensor costs a page fault per 4 kB;
  cloning a 117 MB tensor took 128 ms instead of 22 ms, a selective-SSM SimCLR step 2.9 s instead of 2.1 s.

``ENVIRONMENT`` must be in the environment before torch or NumPy is imported (``flows.runtime.configure`` sets
it first thing; worker processes inherit it); users' own settings win. Results are bit-identical for a fixed
policy: each job draws only from its own seeded generators.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterator

ENVIRONMENT = {
    "OMP_WAIT_POLICY": "PASSIVE",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4


def set_environment() -> None:
    """Put the policy's variables into ``os.environ`` (values already set are kept)."""
    for key, value in ENVIRONMENT.items():
        os.environ.setdefault(key, value)
    retain_freed_memory()


def retain_freed_memory() -> None:
    """Serve every allocation of this process from malloc's heap (M_MMAP_MAX = 0) and never shrink the heap
    (M_TRIM_THRESHOLD = 2³¹ − 1), so memory a training step frees is reused by the next one without page faults;
    resident memory stays at its peak. A no-op where the C library is not glibc."""
    try:
        if not (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc"):
            return
    except (AttributeError, OSError, ValueError):  # not a glibc system
        return
    libc = ctypes.CDLL(None)
    libc.mallopt(M_MMAP_MAX, 0)
    libc.mallopt(M_TRIM_THRESHOLD, 2**31 - 1)


def job_threads() -> int:
    """torch intra-op threads per job: ``OMP_NUM_THREADS`` (1 under the policy)."""
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", ENVIRONMENT["OMP_NUM_THREADS"])))
    except ValueError:
        return 1


def usable_cores() -> int:
    """Cores this process may run on: its CPU affinity (``taskset``, a CI runner's or a test worker's pinning),
    not every core of the machine (``os.cpu_count``); the default number of parallel jobs."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # no affinity call on this platform
        return os.cpu_count() or 1


def apply_job_threads() -> None:
    """Set torch's intra-op threads to :func:`job_threads` and keep freed memory (for a process that imported torch
    before the policy)."""
    import torch

    if torch.get_num_threads() != job_threads():
        torch.set_num_threads(job_threads())
    retain_freed_memory()


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Run a block (scikit-learn probes, NumPy linear algebra) with one BLAS and one OpenMP thread."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield
