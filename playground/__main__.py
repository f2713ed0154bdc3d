"""`python -m playground`: the command line (playground/cli.py)."""

import sys

from playground.cli import main

sys.exit(main())
