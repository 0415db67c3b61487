"""``python -m sslbench``: the ``sslbench`` command line."""

import sys

from flows.cli import main

sys.exit(main())
