"""``python -m optviz warm``: compile the trainer's compiled engine for every optimizer
(or those named) into numba's disk cache, so that a new process, a one-shot ``python -m
optviz train`` or a server's first run, loads it in milliseconds instead of training on
the tensor engine while it would compile. ``make run`` and the Docker image run it.

The cache is numba's (`optviz.train_kernels`): NUMBA_CACHE_DIR if set, else
__pycache__ beside optviz/train_kernels.py, else ~/.cache/numba. Optimizers that share
an update rule (sgd, momentum and nesterov; adam, amsgrad and adamw) share compiled
code. torch is not imported.
"""

from __future__ import annotations

import argparse
import os
import textwrap
import time

from optviz import rules, settings
from optviz.validate import SettingsError


def add_parser(sub) -> None:
    """The `warm` command, on the subparsers `sub` of the main parser."""
    w = sub.add_parser(
        "warm",
        help="compile the trainer's compiled engine into numba's disk cache",
        description=textwrap.fill(
            "Compile the trainer's compiled engine (numba) for every optimizer, or those "
            "named, into numba's disk cache (NUMBA_CACHE_DIR if set, else __pycache__ "
            "beside optviz/train_kernels.py), so that a new process loads it instead of "
            "compiling; already cached ones are only loaded. Prints one line per update "
            "rule and where the cache is.", 78),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    w.add_argument("optimizers", nargs="*", metavar="OPTIMIZER",
                   help=f"optimizers to compile: {', '.join(rules.RULES)} (default: all)")
    w.set_defaults(func=_warm)


def _warm(args: argparse.Namespace, parser) -> int:
    try:
        names = [settings.optimizer_name(n) for n in args.optimizers] or list(rules.RULES)
    except SettingsError as e:
        parser.error(str(e))
    start = time.perf_counter()
    from optviz import train_kernels  # imports numba

    wanted = {(rules.RULES[n].init, rules.RULES[n].update) for n in names}
    groups: dict[tuple, list[str]] = {}  # optimizers sharing init and update share code
    for name, rule in rules.RULES.items():
        if (rule.init, rule.update) in wanted:
            groups.setdefault((rule.init, rule.update), []).append(name)
    print(f"numba imported in {time.perf_counter() - start:.2f} s")
    for group in groups.values():
        rule = rules.RULES[group[0]]
        began = time.perf_counter()
        if train_kernels.load_trainer(rule):
            how = "loaded from the disk cache"
        else:
            train_kernels.compile_trainer(rule)
            how = "compiled and cached"
        print(f"{', '.join(group)}: {how} in {time.perf_counter() - began:.2f} s")
    where = train_kernels.cache_dir()
    files = [os.path.join(where, f) for f in os.listdir(where)] if os.path.isdir(where) else []
    size = sum(os.path.getsize(f) for f in files)
    print(f"cache: {where} ({len(files)} files, {size / 1024:.0f} KiB); "
          f"{time.perf_counter() - start:.2f} s in all")
    return 0
