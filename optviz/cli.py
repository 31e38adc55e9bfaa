"""The command line: ``python -m optviz trajectory ...``.

Runs optimizers on a 2D surface and prints the trajectory as JSON (``--json``), writes
the contour plot (``--html FILE``) or prints a short summary. Every input goes through
`optviz.settings`; a bad one ends the program with status 2 and one line on stderr,
``optviz: error: β1 must be in [0, 1), got 1.5``. Only NumPy is imported at start-up;
plotly only for ``--html``, torch never.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np

from optviz import metrics, rules, settings, surfaces
from optviz.settings import SettingsError, TrajectorySettings

PROG = "optviz"
TOLERANCE = 1e-3  # the summary says when a run first came this close to a minimum

# Every hyperparameter with a range gets "--name X", every flag "--name/--no-name". A
# flag that every optimizer name fixes (nesterov) is hidden from --help and, if given,
# answered with the optimizer to use instead ("use --optimizer nesterov instead").
NUMERIC = tuple(rules.BOUNDS)
FLAGS = tuple(dict.fromkeys(
    k for r in rules.RULES.values() for k in r.hyper._fields
    if isinstance(r.hyper._field_defaults[k], bool)
))


def _dashed(key: str) -> str:
    return "--" + key.replace("_", "-")


def _users(key: str) -> list[str]:
    return [n for n, r in rules.RULES.items() if key in r.tunable]


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but an error is one line on stderr (no usage dump) and exit status 2."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        # Read "-1e-3", "-.5", "-inf" as (negative) values, not as unknown options:
        # this parser has no option that looks like a number.
        self._negative_number_matcher = re.compile(r"^-(?:\d|\.\d|inf|nan)", re.IGNORECASE)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{PROG}: error: {' '.join(str(message).split())}\n")


def _defaults_table() -> str:
    lines = []
    for name in rules.RULES:
        hp = settings.OptimizerSettings(name).hyperparams()
        lines.append(f"  {name:<9} {_hyper_text(name, hp)}")
    return "\n".join(lines)


def _hyper_text(name: str, hp) -> str:
    """The hyperparameters a user may set for optimizer `name`, as "lr=0.4 beta1=0.9 ..."."""
    return " ".join(f"{k}={_fmt(getattr(hp, k))}" for k in rules.RULES[name].tunable)


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:g}"


EPILOG = """\
optimizers and their defaults (torch's, with the chapter's lr = 0.4, momentum 0.5,
RMSProp alpha 0.9 and Adam eps 1e-6):
{table}

output:
  --json prints one JSON object:
    {{"surface", "condition" (null unless rotated), "steps", "start", "bound",
     "minima", "runs": [RUN, ...]}}
    plus the keys of the first RUN at the top level, for the one-optimizer case.
    RUN = {{"optimizer", "label", "hyperparameters": {{name: value}},
     "points": [[x1, x2], ...] (steps + 1 of them unless the run diverged),
     "values": [f, ...], "gradients": [[g1, g2], ...], "diverged_at": null or k,
     "steps_taken", "state": {{name: [[a1, a2], ...]}}  (Adam: m, v, v_max),
     "explained": {{name: [[a1, a2], ...]}}  (Adam, AMSGrad, AdamW: m_hat, v_hat,
     step_size; empty for the others)}}
    Row i of every list belongs to point i; NaN and infinity are written as null.
  --html FILE writes the contour plot with the trajectories and prints FILE.
  Otherwise a short summary is printed. Errors: one line on stderr, status 2.

example:
  python -m optviz trajectory --surface d2l --optimizer adam --lr 0.4 --beta1 0.9 \\
      --beta2 0.999 --eps 1e-6 --steps 20 --start -5 -2 --json
"""


_CHOICES = "\n".join((
    textwrap.fill(f"surfaces: {', '.join(surfaces.SURFACES)}", 78, subsequent_indent="  "),
    textwrap.fill(f"optimizers: {', '.join(rules.RULES)}", 78, subsequent_indent="  "),
))


def build_parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog=PROG,
        description="See how Adam and related optimizers move on 2D test functions.\n\n"
                    + _CHOICES,
        epilog="Run 'python -m optviz trajectory --help' for its options and defaults.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    t = sub.add_parser(
        "trajectory",
        help="run optimizers on a 2D surface and print or plot their paths",
        description=textwrap.fill("Run one or more optimizers on a 2D test function, as in "
                                  "the chapter's train_2d.", 78) + "\n\n" + _CHOICES,
        epilog=EPILOG.format(table=_defaults_table()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    t.add_argument("--surface", default=settings.DEFAULT_SURFACE, metavar="NAME",
                   help=f"test function: {', '.join(surfaces.SURFACES)} "
                        f"(default {settings.DEFAULT_SURFACE})")
    t.add_argument("--optimizer", action="append", metavar="NAME",
                   help=f"optimizer: {', '.join(rules.RULES)} (default "
                        f"{settings.DEFAULT_OPTIMIZER}); repeat it to compare several, "
                        f"up to {settings.MAX_RUNS}")
    t.add_argument("--steps", metavar="N",
                   help=f"number of steps, 1 to {settings.MAX_STEPS} "
                        f"(default {settings.DEFAULT_STEPS})")
    t.add_argument("--start", nargs=2, metavar=("X1", "X2"),
                   help="start point, each |x| <= 1e4 (default: the surface's own)")
    t.add_argument("--condition", metavar="K",
                   help="condition number κ >= 1 of --surface rotated (default 10)")
    t.add_argument("--bound", metavar="B",
                   help="a run that leaves |x_i| <= B or reaches a non-finite value stops "
                        "there and is reported as diverged (default 1e6)")

    hp = t.add_argument_group(
        "hyperparameters",
        textwrap.fill("Each applies to every chosen optimizer that has it; giving one "
                      "that none of them has is an error.", 78),
    )
    for key in NUMERIC:
        hp.add_argument(_dashed(key), dest=key, metavar="X",
                        help=f"{rules.LABELS[key]}, in {rules.describe_range(key)} "
                             f"({', '.join(_users(key))})")
    for key in FLAGS:
        users = _users(key)
        hp.add_argument(_dashed(key), dest=key, action=argparse.BooleanOptionalAction,
                        default=None,
                        help=f"{rules.LABELS[key]} ({', '.join(users)})" if users
                        else argparse.SUPPRESS)

    out = t.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the trajectories as JSON")
    out.add_argument("--html", metavar="FILE",
                     help="write the contour plot with the trajectories to FILE (HTML)")
    t.set_defaults(func=_trajectory)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 I/O failure, 2 bad input)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return args.func(args, parser)
    except SystemExit as e:  # argparse: --help (0) or a usage error (2, already printed)
        return e.code if isinstance(e.code, int) else (0 if e.code is None else 1)


# -------------------------------------------------------------------- trajectory


def settings_from_args(args: argparse.Namespace) -> TrajectorySettings:
    """The validated settings the parsed arguments ask for, or SettingsError."""
    names = [settings.optimizer_name(n) for n in (args.optimizer or [settings.DEFAULT_OPTIMIZER])]
    given = {k: getattr(args, k) for k in (*NUMERIC, *FLAGS) if getattr(args, k) is not None}
    for key, value in given.items():
        if not any(key in rules.RULES[n].tunable for n in names):
            spelled = _dashed(key)
            if value is False:
                spelled = "--no-" + spelled[2:]
            raise SettingsError(settings.inapplicable_message(key, names, spelled))
    surface = settings.surface_name(args.surface)
    if args.condition is not None and surface != "rotated":
        raise SettingsError(f"--condition applies to --surface rotated only, not {surface}")
    return TrajectorySettings.from_strings(
        surface=surface, optimizers=names, steps=args.steps, start=args.start,
        condition=args.condition, bound=args.bound,
        hyper={k: (str(v).lower() if isinstance(v, bool) else v) for k, v in given.items()},
    )


def _trajectory(args: argparse.Namespace, parser: ArgumentParser) -> int:
    try:
        config = settings_from_args(args)
    except SettingsError as e:
        parser.error(str(e))
    trajectories = config.compute()
    if args.html:
        return _write_html(config, trajectories, args.html)
    if args.json:
        print(json.dumps(result_to_json(config, trajectories), allow_nan=False))
    else:
        print(summary(config, trajectories))
    return 0


def _write_html(config: TrajectorySettings, trajectories, path: str) -> int:
    try:
        from optviz.figures import trajectory_figure
    except ImportError as e:
        print(f"{PROG}: error: --html needs optviz.figures and plotly: {e}", file=sys.stderr)
        return 1
    figure = trajectory_figure(config.get_surface(), trajectories)
    try:
        figure.write_html(path, include_plotlyjs=True)
    except OSError as e:
        print(f"{PROG}: error: cannot write {path}: {e.strerror or e}", file=sys.stderr)
        return 1
    print(path)
    return 0


# -------------------------------------------------------------------------- JSON


def _finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


def to_json_list(a: np.ndarray) -> list:
    """A NumPy array as nested lists of floats, NaN and ±inf as None (valid JSON)."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 0:
        return _finite_or_none(float(a))  # type: ignore[return-value]
    if a.ndim == 1:
        return [_finite_or_none(x) for x in a.tolist()]
    return [to_json_list(row) for row in a]


def run_to_json(t) -> dict:
    """One `optviz.trajectory.Trajectory` as a JSON-ready dict (the RUN of --help)."""
    hp = t.run.hyper
    return {
        "optimizer": t.run.optimizer,
        "label": t.run.label,
        "hyperparameters": {k: (v if isinstance(v, bool) else float(v))
                            for k, v in zip(hp._fields, hp, strict=True)},
        "points": to_json_list(t.points),
        "values": to_json_list(t.values),
        "gradients": to_json_list(t.grads),
        "diverged_at": t.diverged_at,
        "steps_taken": t.steps,
        "state": {k: to_json_list(v) for k, v in t.state.items()},
        "explained": {k: to_json_list(v) for k, v in t.explained.items()},
    }


def result_to_json(config: TrajectorySettings, trajectories) -> dict:
    """The whole --json object: the request, the first run's keys, and "runs"."""
    runs = [run_to_json(t) for t in trajectories]
    surface = config.get_surface()
    return {
        "surface": config.surface,
        "condition": config.condition if config.surface == "rotated" else None,
        "steps": config.steps,
        "start": list(config.start_point()),
        "bound": config.bound,
        "minima": [list(m) for m in surface.minima],
        **runs[0],
        "runs": runs,
    }


# ----------------------------------------------------------------------- summary


def _point(p: Sequence[float]) -> str:
    return f"({p[0]:.6g}, {p[1]:.6g})"


def summary(config: TrajectorySettings, trajectories) -> str:
    """A few lines per run: final point and f, and divergence or distance to a minimum."""
    surface = config.get_surface()
    formula = (surface.f.__doc__ or "").strip().splitlines()[0] if surface.f.__doc__ else ""
    lines = [f"{surface.title}: {formula}; {config.steps} steps from "
             f"{_point(config.start_point())}"]
    for t in trajectories:
        lines.append(f"{t.run.label}: {_hyper_text(t.run.optimizer, t.run.hyper)}")
        x, f = t.points[-1], t.values[-1]
        if t.diverged_at is not None:
            lines.append(f"  diverged at step {t.diverged_at}; last good point {_point(x)} "
                         f"(step {t.steps}), f = {f:.6g}")
            continue
        where = f"  final point {_point(x)}, f = {f:.6g}"
        s = metrics.summarize(t, surface, TOLERANCE)
        if s.nearest_minimum is None:
            where += " (this surface has no minimum)"
        else:
            where += (f", distance to the nearest minimum {_point(s.nearest_minimum)}: "
                      f"{s.distance_to_minimum:.3g}")
            if s.steps_to_tolerance is not None:
                where += f"; first within {TOLERANCE:g} at step {s.steps_to_tolerance}"
        lines.append(where)
    return "\n".join(lines)
