"""The command line: ``python -m optviz trajectory ...``, ``python -m optviz train ...``
and ``python -m optviz warm``.

`trajectory` (`optviz.cli.trajectory`) runs optimizers on a 2D surface; `train`
(`optviz.cli.train`) trains the chapter's linear regression; `warm` (`optviz.cli.warm`)
compiles the trainer's compiled engine into numba's disk cache. Every input goes through
`optviz.settings` and `optviz.validate`; a bad one ends the program with status 2 and
one line on stderr, ``optviz: error: β1 must be in [0, 1), got 1.5``. Only NumPy is
imported at start-up; plotly only for ``--html``, torch only for `train`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from optviz.cli import train, trajectory, warm
from optviz.cli.common import PROG, ArgumentParser


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog=PROG,
        description="See how Adam and related optimizers move on 2D test functions and "
                    "train the chapter's linear regression.\n\n" + trajectory.CHOICES,
        epilog="Run 'python -m optviz trajectory --help' or 'python -m optviz train --help' "
               "for their options and defaults; 'python -m optviz warm' once, so that "
               "train's compiled engine is ready from its first run.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    trajectory.add_parser(sub)
    train.add_parser(sub)
    warm.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 I/O failure, 2 bad input)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return args.func(args, parser)
    except SystemExit as e:  # argparse: --help (0) or a usage error (2, already printed)
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
