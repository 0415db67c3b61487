"""Where downloaded dataset files live, and the error raised when they are absent and cannot be fetched."""

from __future__ import annotations

import os
from pathlib import Path

DATA_ROOT_VARIABLE = "SSLBENCH_DATA"


class DatasetUnavailableError(ValueError):
    """A dataset whose files are not on disk and could not be downloaded; the message says how to get them."""


def data_root() -> Path:
    """The folder datasets are downloaded to and cached in: ``$SSLBENCH_DATA``, default ``~/.cache/sslbench``."""
    return Path(os.environ.get(DATA_ROOT_VARIABLE) or Path.home() / ".cache" / "sslbench").expanduser()


def first_line(error: BaseException) -> str:
    """``Type: first line of the message`` of an exception, for one-line error messages."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}".rstrip(": ")
