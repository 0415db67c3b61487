"""``python -m sslbench``: the ``sslbench`` command line."""

import sys

from sslbench.flows.cli import main

sys.exit(main())
