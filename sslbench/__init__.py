"""sslbench: which self-supervised objective gives the best representation, for which encoder, on which data.

Only the version lives here for now; ``python -m sslbench`` runs the command line.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sslbench")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
