"""``python -m optviz trajectory``: optimizers on a 2D test function, as the chapter's
train_2d. Prints the paths as JSON (``--json``), writes the animated figure (``--html
FILE``) or prints a short summary. Every input goes through `optviz.settings`; only
NumPy is imported for it, plotly only for ``--html``.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import replace

from optviz import defaults, metrics, presets, rules, settings, surfaces
from optviz.cli.common import (
    PROG,
    ArgumentParser,
    add_hyperparameters,
    defaults_table,
    given_hyper,
    hyper_json,
    hyper_text,
    to_json_list,
)
from optviz.settings import TrajectorySettings
from optviz.validate import SettingsError

TOLERANCE = 1e-3  # the summary says when a run first came this close to a minimum

EPILOG = """\
optimizers and their defaults (torch's; * marks the chapter's values for its 2D
examples):
{table}

functions and their defaults (optviz/surfaces.py; tools/function_defaults.py says how
they were chosen): the start, the steps and the learning rate per optimizer that
--start, --steps and --lr replace; an optimizer not listed takes the chapter's:
{functions}

presets (--preset NAME; options given beside it change the preset's settings):
{presets}

output:
  --json prints one JSON object:
    {{"surface", "condition" (null unless rotated), "function" and "window" (null
     unless --function), "steps", "start", "bound",
     "noise", "seed", "minima", "runs": [RUN, ...]}}
    plus the keys of the first RUN at the top level, for the one-optimizer case.
    RUN = {{"optimizer", "label", "hyperparameters": {{name: value}},
     "points": [[x1, x2], ...] (steps + 1 of them unless the run diverged),
     "values": [f, ...], "gradients": [[g1, g2], ...] (∇f at each point),
     "noisy_gradients": null, or with --noise [[g1, g2], ...] (what the
     optimizer was given at each point, ∇f + σ ξ; the last row null),
     "diverged_at": null or k,
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

CHOICES = "\n".join((
    textwrap.fill(f"surfaces: {', '.join(surfaces.SURFACES)}", 78, subsequent_indent="  "),
    textwrap.fill(f"optimizers: {', '.join(rules.RULES)}", 78, subsequent_indent="  "),
))


def add_parser(sub) -> None:
    """The `trajectory` command, on the subparsers `sub` of the main parser."""
    t = sub.add_parser(
        "trajectory",
        help="run optimizers on a 2D surface and print or plot their paths",
        description=textwrap.fill("Run one or more optimizers on a 2D test function, as in "
                                  "the chapter's train_2d.", 78) + "\n\n" + CHOICES,
        epilog=EPILOG.format(
            table=defaults_table("explorer"), functions=functions_table(),
            presets="\n".join(f"  {p.name:<13} {p.title}" for p in presets.PRESETS.values())),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    t.add_argument("--preset", metavar="NAME",
                   help=f"start from a lecture preset: {', '.join(presets.PRESETS)}")
    t.add_argument("--surface", metavar="NAME",
                   help=f"test function: {', '.join(surfaces.SURFACES)} "
                        f"(default {settings.DEFAULT_SURFACE})")
    t.add_argument("--function", metavar="EXPR",
                   help="your own f(x1, x2), e.g. 'x1**2 + 10*sin(x2)' (numbers, x1, x2, "
                        "+ - * / ** ( ), pi, e, sin cos tan exp log sqrt abs tanh sinh cosh "
                        "arctan; read by a small grammar, never run as code)")
    t.add_argument("--window", nargs=4, metavar=("X1FROM", "X1TO", "X2FROM", "X2TO"),
                   help="the window of --function (default -5 5 -5 5)")
    t.add_argument("--optimizer", action="append", metavar="NAME",
                   help=f"optimizer: {', '.join(rules.RULES)} (default "
                        f"{defaults.DEFAULT_OPTIMIZER}); repeat it to compare several, "
                        f"up to {settings.MAX_RUNS}")
    t.add_argument("--steps", metavar="N",
                   help=f"number of steps, 1 to {settings.MAX_STEPS} (default: the "
                        f"surface's own, {settings.DEFAULT_STEPS} on {settings.DEFAULT_SURFACE})")
    t.add_argument("--start", nargs=2, metavar=("X1", "X2"),
                   help=f"start point, each |x| <= {settings.MAX_START:g} (default: the "
                        "surface's own)")
    t.add_argument("--condition", metavar="K",
                   help=f"condition number κ >= 1 of --surface rotated (default "
                        f"{settings.DEFAULT_CONDITION:g})")
    t.add_argument("--bound", metavar="B",
                   help="a run that leaves |x_i| <= B or reaches a non-finite value stops "
                        f"there and is reported as diverged (default {settings.DEFAULT_BOUND:g})")
    t.add_argument("--noise", metavar="SIGMA",
                   help="gradient noise: each step is given ∇f + SIGMA·ξ, ξ ~ N(0, I), as a "
                        f"minibatch gradient; 0 to {settings.MAX_NOISE:g} (default 0: the "
                        "exact gradient)")
    t.add_argument("--seed", metavar="N",
                   help=f"seed of the noise, 0 to {settings.MAX_SEED} (default 0); every run "
                        "gets the same draws, and the same seed the same paths")
    add_hyperparameters(t, "Each applies to every chosen optimizer that has it; giving one "
                           "that none of them has is an error.")
    out = t.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the trajectories as JSON")
    out.add_argument("--html", metavar="FILE",
                     help="write the contour plot with the trajectories to FILE (HTML)")
    t.set_defaults(func=_trajectory)


def functions_table() -> str:
    """One entry per function: its start, steps and learning rates (`optviz.surfaces`)."""
    lines = []
    for name, surface in surfaces.SURFACES.items():
        x1, x2 = surface.start
        rates = " ".join(f"{o}={lr:g}" for o, lr in surface.lr.items())
        lines.append(textwrap.fill(f"  {name:<10} start=({x1:g}, {x2:g}) "
                                   f"steps={settings.default_steps(name)} lr: {rates}",
                                   80, subsequent_indent=" " * 13))
    return "\n".join(lines)


def settings_from_args(args: argparse.Namespace) -> TrajectorySettings:
    """The validated settings the parsed arguments ask for, or SettingsError.

    With --preset, the preset's settings are the defaults: --surface, --steps and the
    rest replace them, --optimizer replaces its list (a named optimizer keeps the
    preset's values), and hyperparameter options apply on top.
    """
    base = TrajectorySettings()
    if getattr(args, "preset", None) is not None:
        try:
            base = presets.get(args.preset).settings()
        except ValueError as e:
            raise SettingsError(str(e)) from None
    names = ([settings.optimizer_name(n) for n in args.optimizer] if args.optimizer
             else [o.name for o in base.optimizers])
    given = given_hyper(args, names)
    surface = settings.surface_name(args.surface) if args.surface is not None else base.surface
    if args.window is not None and args.function is None:
        raise SettingsError("--window applies to --function only")
    if args.function is not None:
        if args.surface is not None and surface != settings.CUSTOM:
            raise SettingsError(f"--function is your own surface: leave out --surface {surface}")
        surface = settings.CUSTOM
    if args.condition is not None and surface != "rotated":
        raise SettingsError(f"--condition applies to --surface rotated only, not {surface}")
    chosen = TrajectorySettings.from_strings(
        surface=surface, optimizers=names, steps=args.steps, start=args.start,
        condition=args.condition, bound=args.bound, noise=args.noise, seed=args.seed,
        expression=args.function, window=args.window,
        hyper={k: (str(v).lower() if isinstance(v, bool) else v) for k, v in given.items()},
    )
    if getattr(args, "preset", None) is None:
        return chosen
    if args.optimizer:  # a named optimizer keeps the values of its first run in the preset
        first: dict[str, Mapping] = {}
        for o in base.optimizers:
            first.setdefault(o.name, o.hyper)
        preset_hyper = [first.get(o.name, {}) for o in chosen.optimizers]
    else:  # the preset's runs, one by one (an optimizer may run twice)
        preset_hyper = [o.hyper for o in base.optimizers]
    return replace(
        chosen,
        steps=chosen.steps if args.steps is not None else base.steps,
        noise=chosen.noise if args.noise is not None else base.noise,
        seed=chosen.seed if args.seed is not None else base.seed,
        optimizers=tuple(settings.OptimizerSettings(o.name, {**hyper, **o.hyper})
                         for o, hyper in zip(chosen.optimizers, preset_hyper, strict=True)))


def _trajectory(args: argparse.Namespace, parser: ArgumentParser) -> int:
    try:
        config = settings_from_args(args)
    except SettingsError as e:
        parser.error(str(e))
    # "auto" would be the NumPy loop in a fresh process anyway, and would start numba
    # compiling in the background for next time: a one-shot command has no next time.
    trajectories = config.compute(engine="numpy")
    if args.html:
        return _write_html(config, trajectories, args.html)
    if args.json:
        print(json.dumps(result_to_json(config, trajectories), allow_nan=False))
    else:
        print(summary(config, trajectories))
    return 0


def _write_html(config: TrajectorySettings, trajectories, path: str) -> int:
    try:
        from optviz.plots.trajectory import trajectory_figure
    except ImportError as e:
        print(f"{PROG}: error: --html needs optviz.plots and plotly: {e}", file=sys.stderr)
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


def run_to_json(t) -> dict:
    """One `optviz.trajectory.Trajectory` as a JSON-ready dict (the RUN of --help)."""
    hp = t.run.hyper
    return {
        "optimizer": t.run.optimizer,
        "label": t.run.label,
        "hyperparameters": hyper_json(hp),
        "points": to_json_list(t.points),
        "values": to_json_list(t.values),
        "gradients": to_json_list(t.grads),
        "noisy_gradients": None if t.noisy_grads is None else to_json_list(t.noisy_grads),
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
        "function": config.expression or None,
        "window": [list(w) for w in config.window] if config.window else None,
        "steps": config.steps,
        "start": list(config.start_point()),
        "bound": config.bound,
        "noise": config.noise,
        "seed": config.seed,
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
             f"{_point(config.start_point())}"
             + (f"; gradient noise σ = {config.noise:g}, seed {config.seed}"
                if config.noise > 0 else "")]
    for t in trajectories:
        lines.append(f"{t.run.label}: {hyper_text(t.run.optimizer, t.run.hyper)}")
        x, f = t.points[-1], t.values[-1]
        if t.diverged_at is not None:
            lines.append(f"  diverged at step {t.diverged_at}; last good point {_point(x)} "
                         f"(step {t.steps}), f = {f:.6g}")
            continue
        where = f"  final point {_point(x)}, f = {f:.6g}"
        s = metrics.summarize(t, surface, TOLERANCE)
        if s.nearest_minimum is None:
            where += (" (its minima are not known)" if surface.name == settings.CUSTOM
                      else " (this surface has no minimum)")
        else:
            where += (f", distance to the nearest minimum {_point(s.nearest_minimum)}: "
                      f"{s.distance_to_minimum:.3g}")
            if s.steps_to_tolerance is not None:
                where += f"; first within {TOLERANCE:g} at step {s.steps_to_tolerance}"
        lines.append(where)
    return "\n".join(lines)


