"""``python -m optviz``: the command line (see `optviz.cli`)."""

import os
import sys

from optviz.cli import main

try:
    status = main()
    sys.stdout.flush()
except BrokenPipeError:  # e.g. `python -m optviz ... --json | head`: not an error
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    status = 1
sys.exit(status)
