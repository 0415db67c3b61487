"""Bring your own data: a NumPy (.npz / .npy) or Parquet file as a dataset.

- ``.npz``: array ``inputs`` (N, ...) and optionally ``labels`` (N,) and ``split`` (N,) of "train"/"test".
- ``.npy``: the inputs alone (unlabelled).
- ``.parquet``: column ``input`` (a list of numbers per row), optional ``label`` and ``split`` columns; the
  per-example shape comes from ``input_shape`` or the file's metadata key ``sslbench.shape`` (e.g. "1,28,28"),
  else each row is a vector.

One example's shape decides the modality: (F,) vector, (C, T) sequence, (C, H, W) image. Labels may be
strings or integers; they are mapped to 0..K−1 in sorted order. Every problem is reported naming the file
and the column.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
from sslbench.ssl_models.data.base import RawDataset

SHAPE_MODALITY = {1: "vector", 2: "sequence", 3: "image"}
SPLIT_VALUES = ("train", "test")


class UserDataError(ValueError):
    """A user data file that cannot be used; the message names the file and the column."""


MIN_EXAMPLES_PER_CLASS = 2  # a stratified split puts one in train and one in test
NUMPY_READ_ERRORS = (ValueError, OSError, EOFError, MemoryError, zipfile.BadZipFile, KeyError)


def _unreadable(path: Path, error: BaseException) -> UserDataError:
    """One line for a NumPy file that cannot be read (pickled objects, truncation, a header that lies)."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    if "pickle" in text or "Python objects" in text:
        text = "it holds Python objects (dtype object), which sslbench never unpickles; store numeric arrays"
    elif isinstance(error, MemoryError):
        text = "its header declares an array larger than memory"
    return UserDataError(f"{path}: not a readable {path.suffix} file ({text})")


def _read_npy(path: Path) -> np.ndarray:
    """The array of a .npy file, memory-mapped after checking that its header's shape fits the file's size."""
    try:
        with open(path, "rb") as handle:
            version = np.lib.format.read_magic(handle)
            read_header = (
                np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            )
            shape, _, dtype = read_header(handle)
            needed = handle.tell() + int(np.prod(shape, dtype=np.float64) * dtype.itemsize)
        if needed > path.stat().st_size:
            raise UserDataError(
                f"{path}: its header declares shape {shape} ({dtype}), more data than the file holds "
                f"(truncated or damaged)"
            )
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except UserDataError:
        raise
    except NUMPY_READ_ERRORS as error:
        raise _unreadable(path, error) from None


def _read_npz(path: Path) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            if "inputs" not in archive:
                raise UserDataError(f"{path}: no array 'inputs' (arrays present: {', '.join(archive.files) or 'none'})")
            return archive["inputs"], archive.get("labels"), archive.get("split")
    except UserDataError:
        raise
    except NUMPY_READ_ERRORS as error:
        raise _unreadable(path, error) from None


def _read_parquet(
    path: Path, input_shape: tuple[int, ...] | None
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as error:  # pyarrow raises several types for unreadable files
        raise UserDataError(f"{path}: not a readable Parquet file ({error})") from None
    if "input" not in table.column_names:
        raise UserDataError(f"{path}: no column 'input' (columns: {', '.join(table.column_names)})")
    rows = table.column("input").to_pylist()
    lengths = {len(row) if row is not None else 0 for row in rows}
    if len(lengths) != 1 or 0 in lengths:
        raise UserDataError(
            f"{path}: column 'input' has rows of different lengths {sorted(lengths)[:5]}; pad them to one length"
        )
    inputs = np.asarray(rows, dtype=np.float32)
    metadata = table.schema.metadata or {}
    if input_shape is None and b"sslbench.shape" in metadata:
        input_shape = tuple(int(v) for v in metadata[b"sslbench.shape"].decode().split(","))
    if input_shape is not None:
        if int(np.prod(input_shape)) != inputs.shape[1]:
            raise UserDataError(
                f"{path}: column 'input' rows hold {inputs.shape[1]} values, but the declared shape "
                f"{input_shape} needs {int(np.prod(input_shape))}"
            )
        inputs = inputs.reshape(len(inputs), *input_shape)
    labels = np.asarray(table.column("label").to_pylist()) if "label" in table.column_names else None
    split = np.asarray(table.column("split").to_pylist()) if "split" in table.column_names else None
    return inputs, labels, split


def load_user_file(path: Path, name: str | None = None, input_shape: tuple[int, ...] | None = None) -> RawDataset:
    """Read and validate a user's data file into a RawDataset (modality from the example shape)."""
    path = Path(path)
    if not path.exists():
        raise UserDataError(f"data file {path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        inputs, labels, split = _read_npz(path)
    elif suffix == ".npy":
        inputs, labels, split = _read_npy(path), None, None
    elif suffix == ".parquet":
        inputs, labels, split = _read_parquet(path, input_shape)
    else:
        raise UserDataError(f"{path}: unsupported data file type '{suffix}'; valid types: .npz, .npy, .parquet")
    if input_shape is not None and suffix != ".parquet":
        if int(np.prod(input_shape)) != int(np.prod(inputs.shape[1:])):
            raise UserDataError(
                f"{path}: 'inputs' examples have shape {inputs.shape[1:]}, not the declared {input_shape}"
            )
        inputs = inputs.reshape(len(inputs), *input_shape)
    if inputs.ndim >= 1 and len(inputs) < 2:
        raise UserDataError(f"{path}: 'inputs' has {len(inputs)} examples; a train/test split needs at least 2")
    if inputs.ndim < 2 or inputs.ndim - 1 not in SHAPE_MODALITY:
        raise UserDataError(f"{path}: 'inputs' has shape {inputs.shape}; need (N, F), (N, C, T) or (N, C, H, W)")
    if not (np.issubdtype(inputs.dtype, np.integer) or np.issubdtype(inputs.dtype, np.floating)):
        raise UserDataError(f"{path}: 'inputs' must hold real numbers (integers or floats), got dtype {inputs.dtype}")
    inputs = inputs.astype(np.float32)
    bad = ~np.isfinite(inputs.reshape(len(inputs), -1)).all(axis=1)
    if bad.any():
        raise UserDataError(
            f"{path}: 'inputs' has NaN or infinite values in {int(bad.sum())} examples "
            f"(first: row {int(np.argmax(bad))})"
        )
    label_column = "labels" if suffix != ".parquet" else "label"
    codes = None
    if labels is not None:
        if labels.ndim != 1:
            raise UserDataError(
                f"{path}: '{label_column}' must be one label per example (shape (N,)), got shape {labels.shape}"
            )
        if len(labels) != len(inputs):
            raise UserDataError(
                f"{path}: '{label_column}' has {len(labels)} entries but there are {len(inputs)} inputs"
            )
        if labels.dtype.kind not in "biufUS" and not all(isinstance(v, (str, int)) for v in labels.tolist()):
            raise UserDataError(
                f"{path}: '{label_column}' must hold integers or strings (missing values are not "
                f"allowed), got dtype {labels.dtype}"
            )
        if labels.dtype.kind == "f" and not np.isfinite(labels).all():
            raise UserDataError(
                f"{path}: '{label_column}' has NaN or infinite values; label every example or drop the column"
            )
        if labels.dtype.kind == "c":
            raise UserDataError(f"{path}: '{label_column}' must hold integers or strings, got dtype {labels.dtype}")
        classes, codes, counts = np.unique(labels, return_inverse=True, return_counts=True)
        if len(classes) < 2:
            raise UserDataError(
                f"{path}: '{label_column}' has a single class ({classes[0].item()!r}); probes need at least two "
                f"(drop the column to treat the data as unlabelled)"
            )
        if (small := classes[counts < MIN_EXAMPLES_PER_CLASS]).size and split is None:
            raise UserDataError(
                f"{path}: '{label_column}' class {small[0].item()!r} has fewer than {MIN_EXAMPLES_PER_CLASS} "
                f"examples; a stratified train/test split needs at least {MIN_EXAMPLES_PER_CLASS} per class"
            )
    official_test = None
    if split is not None:
        split_column = "split"
        if len(split) != len(inputs):
            raise UserDataError(f"{path}: '{split_column}' has {len(split)} entries but there are {len(inputs)} inputs")
        values = set(map(str, split.tolist()))
        if not values <= set(SPLIT_VALUES):
            raise UserDataError(
                f"{path}: '{split_column}' values {sorted(values - set(SPLIT_VALUES))} are not valid; valid: "
                f"train, test"
            )
        official_test = np.asarray([str(v) == "test" for v in split.tolist()])
        if official_test.all() or not official_test.any():
            raise UserDataError(f"{path}: '{split_column}' must hold both train and test examples")
    return RawDataset(
        name or path.stem,
        SHAPE_MODALITY[inputs.ndim - 1],
        inputs,
        None if codes is None else codes.astype(np.int64),
        official_test,
        class_names=tuple(map(str, classes)) if labels is not None else (),
    )
