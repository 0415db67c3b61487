"""View banks: V augmented views per training example, generated once, stored as a memory-mappable .npy.

A bank is keyed by a content hash of (data fingerprint, augmentation name and options, V, seed), written
in chunks to a temporary file and renamed into place, with a sidecar JSON holding its shape and SHA-256.
Opening a bank checks both, so a truncated or tampered file is never used.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from sslbench.ssl_models.augment.registry import build_augmentation
from sslbench.ssl_models.files import atomic_path, file_sha256, json_sha256, write_text_atomic
from sslbench.ssl_models.host_tensors import host_tensor
from sslbench.ssl_models.stop import check_stop

BANK_FORMAT_VERSION = 2  # bumped whenever the views stored under the same key change (2: batched image views)
NPY_MAGIC = b"\x93NUMPY"


class BankError(ValueError):
    """A bank file that is missing, truncated, of the wrong shape or whose content hash does not match."""


def bank_key(data_fingerprint: str, augmentation: str, options: dict[str, Any], n_views: int, seed: int) -> str:
    """Content hash that names a bank: same inputs, same key, same file."""
    return json_sha256(
        {
            "data": data_fingerprint,
            "augmentation": augmentation,
            "options": options,
            "n_views": n_views,
            "seed": seed,
            "version": BANK_FORMAT_VERSION,
        }
    )[:20]


def generate_bank(
    inputs: np.ndarray,
    augmentation: str,
    options: dict[str, Any],
    n_views: int,
    seed: int,
    path: Path,
    chunk_size: int = 512,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write a bank of shape (N, n_views, *view_shape) float32 to ``path``, chunk by chunk.

    ``view_shape`` is the augmentation's ``output_shape`` (smaller for multi-crop's local views), else the
    examples' shape.

    Chunk c of view v is augmented with seed hash(seed, v, c), so the bank does not depend on memory.
    """
    if n_views < 1:
        raise ValueError(f"n_views must be at least 1, got {n_views}")
    augment = build_augmentation(augmentation, tuple(inputs.shape[1:]), options)
    view_shape = tuple(getattr(augment, "output_shape", inputs.shape[1:]))
    n_chunks = (len(inputs) + chunk_size - 1) // chunk_size
    with atomic_path(path) as temp:
        shape = (len(inputs), n_views, *view_shape)
        bank = np.lib.format.open_memmap(temp, mode="w+", dtype=np.float32, shape=shape)
        try:
            for chunk in range(n_chunks):
                start, stop = chunk * chunk_size, min(len(inputs), (chunk + 1) * chunk_size)
                batch = host_tensor(inputs[start:stop], dtype=np.float32)
                for view in range(n_views):
                    chunk_seed = (seed * 1_000_003 + view * 10_007 + chunk) % 2**63
                    views = augment(batch, chunk_seed)
                    if tuple(views.shape) != (len(batch), *view_shape):
                        raise ValueError(
                            f"augmentation '{augmentation}' turned a batch of shape "
                            f"{tuple(batch.shape)} into {tuple(views.shape)}; it declares "
                            f"views of shape {view_shape}"
                        )
                    bank[start:stop, view] = views.numpy()
                if progress is not None:
                    progress(chunk + 1, n_chunks)
                check_stop("view-bank generation")
            bank.flush()
        finally:
            del bank
        sha256 = file_sha256(temp)
    # The sidecar is written after its array is in place: a bank is valid only once both agree.
    meta = {
        "shape": [len(inputs), n_views, *view_shape],
        "dtype": "float32",
        "sha256": sha256,
        "augmentation": augmentation,
        "options": options,
        "seed": seed,
        "version": BANK_FORMAT_VERSION,
    }
    write_text_atomic(_sidecar(path), json.dumps(meta, default=str))
    return path


def _sidecar(path: Path) -> Path:
    return path.with_suffix(".json")


def _read_sidecar(path: Path) -> dict[str, Any]:
    meta_path = _sidecar(path)
    if not path.exists() or not meta_path.exists():
        raise BankError(f"view bank {path} is missing or has no {meta_path.name}")
    try:
        meta = json.loads(meta_path.read_text())
        meta["shape"] = [int(size) for size in meta["shape"]]
        str(meta["dtype"]), str(meta["sha256"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise BankError(
            f"view bank sidecar {meta_path} is not a bank description ({type(error).__name__}: {error})"
        ) from None
    return meta


def open_bank(path: Path, verify: bool = True, expected_shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Memory-map a bank read-only after checking its shape and (with ``verify``) its SHA-256.

    ``expected_shape`` is (N, *view_shape): the number of examples the bank was made from and the shape of one
    view (the examples' shape unless the views are resized); the bank must then be (N, V, *view_shape).
    Any mismatch, truncation, foreign file or modified content raises BankError.
    """
    meta = _read_sidecar(path)
    with open(path, "rb") as handle:
        if handle.read(len(NPY_MAGIC)) != NPY_MAGIC:
            raise BankError(f"view bank {path} is not a .npy file (foreign or overwritten file)")
    try:
        bank = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise BankError(f"view bank {path} is not a readable .npy array (truncated?): {error}") from None
    if not isinstance(bank, np.ndarray):
        raise BankError(f"view bank {path} is an archive, not a .npy array")
    if list(bank.shape) != meta["shape"] or str(bank.dtype) != meta["dtype"]:
        raise BankError(
            f"view bank {path} has shape {list(bank.shape)} {bank.dtype}, expected {meta['shape']} {meta['dtype']}"
        )
    if expected_shape is not None and (
        bank.ndim != len(expected_shape) + 1
        or bank.shape[0] != expected_shape[0]
        or tuple(bank.shape[2:]) != tuple(expected_shape[1:])
    ):
        raise BankError(
            f"view bank {path} has shape {list(bank.shape)}, which does not fit data of shape "
            f"{list(expected_shape)} (expected [N, V, *sample_shape])"
        )
    if verify and file_sha256(path) != meta["sha256"]:
        raise BankError(f"view bank {path} does not match its recorded SHA-256 (modified or corrupted)")
    return bank


def bank_is_valid(path: Path) -> bool:
    """True when ``path`` is a complete bank whose content matches its sidecar."""
    try:
        open_bank(path)
    except BankError:
        return False
    return True
