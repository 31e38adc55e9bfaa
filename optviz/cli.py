"""The command line: ``python -m optviz trajectory ...`` and ``python -m optviz train ...``.

`trajectory` runs optimizers on a 2D surface and prints the trajectory as JSON
(``--json``), writes the contour plot (``--html FILE``) or prints a short summary.
`train` trains the chapter's linear regression (`optviz.trainer`) and prints its loss
curve. Every input goes through `optviz.settings`; a bad one ends the program with
status 2 and one line on stderr, ``optviz: error: β1 must be in [0, 1), got 1.5``.
Only NumPy is imported at start-up; plotly only for ``--html``, torch only for `train`.
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
from optviz.settings import TrajectorySettings
from optviz.validate import SettingsError, parse_number

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
        description="See how Adam and related optimizers move on 2D test functions and "
                    "train the chapter's linear regression.\n\n"
                    + _CHOICES,
        epilog="Run 'python -m optviz trajectory --help' or 'python -m optviz train --help' "
               "for their options and defaults.",
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

    _add_hyperparameters(t, "Each applies to every chosen optimizer that has it; giving one "
                            "that none of them has is an error.")
    out = t.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the trajectories as JSON")
    out.add_argument("--html", metavar="FILE",
                     help="write the contour plot with the trajectories to FILE (HTML)")
    t.set_defaults(func=_trajectory)
    _add_train_parser(sub)
    return parser


def _add_hyperparameters(command: argparse.ArgumentParser, intro: str) -> None:
    hp = command.add_argument_group("hyperparameters", textwrap.fill(intro, 78))
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


# ------------------------------------------------------------------------- train

TRAIN_EPILOG = """\
defaults: the chapter's. Adam with lr 0.01, beta1 0.9, beta2 0.999, eps 1e-6, batch
size 10, 2 epochs; the other optimizers take the values of their own D2L sections
(SGD lr 0.05; momentum lr 0.02, momentum 0.5; AdaGrad lr 0.1; RMSProp lr 0.01,
alpha 0.9, eps 1e-6; AdaDelta rho 0.9, eps 1e-5), else torch's.

implementations (same initial weights, same batches, so the same curve):
  scratch  optviz's own update rule, closed-form gradient, no autograd
  torch    torch.nn.Linear, autograd and torch.optim
  both     one after the other (default)

output:
  --json prints one JSON object: the settings ("data", "n", "features", "optimizer",
  "hyperparameters", "batch_size", "epochs", "log_every", "seed", "device"),
  "examples" (the x positions of the logged losses) and one object per implementation,
  "scratch" and/or "torch": {"examples", "losses" (the first one before training),
  "sec_per_epoch", "final_loss", "diverged", "stopped", "engine"}. Non-finite losses
  are written as null. Otherwise a short summary is printed. Errors: one line on
  stderr, status 2.

example:
  python -m optviz train --data airfoil --impl both --optimizer adam --lr 0.01 \\
      --beta1 0.9 --beta2 0.999 --eps 1e-6 --batch-size 10 --epochs 2 --device cpu \\
      --seed 0 --json
"""


def _add_train_parser(sub) -> None:
    t = sub.add_parser(
        "train",
        help="train the chapter's linear regression and print its loss curve",
        description=textwrap.fill(
            "Train linear regression on the airfoil data (or synthetic data, or a CSV "
            "file) as the chapter's train_ch11 does, with optviz's update rule and/or "
            "torch.optim, and print the loss over the whole set every --log-every "
            "examples.", 78),
        epilog=TRAIN_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    t.add_argument("--data", default="airfoil", metavar="NAME",
                   help="airfoil (the chapter's; downloaded once, or found in "
                        "$OPTVIZ_DATA_DIR), synthetic, or FILE.csv (default airfoil)")
    t.add_argument("--target", metavar="COLUMN",
                   help="the column of FILE.csv to predict (default: the last)")
    t.add_argument("--impl", default="both", choices=("scratch", "torch", "both"),
                   help="implementation: scratch, torch or both (default both)")
    t.add_argument("--optimizer", default=settings.DEFAULT_OPTIMIZER, metavar="NAME",
                   help=f"optimizer: {', '.join(rules.RULES)} "
                        f"(default {settings.DEFAULT_OPTIMIZER})")
    t.add_argument("--batch-size", metavar="N", help="examples per step (default 10)")
    t.add_argument("--epochs", metavar="N", help="passes over the data (default 2)")
    t.add_argument("--log-every", metavar="N",
                   help="log the loss every N examples (default 100)")
    t.add_argument("--device", default="cpu", metavar="NAME",
                   help="auto, cpu, cuda or mps (default cpu)")
    t.add_argument("--seed", metavar="N",
                   help="seed of the initial weights and the shuffling (default 0)")
    _add_hyperparameters(t, "Each must apply to the chosen optimizer.")
    t.add_argument("--json", action="store_true", help="print the results as JSON")
    t.set_defaults(func=_train)


def _train_hyper(args: argparse.Namespace, name: str) -> dict[str, float | bool]:
    """The hyperparameters given on the command line, parsed; SettingsError if one is wrong."""
    hyper: dict[str, float | bool] = {}
    for key in (*NUMERIC, *FLAGS):
        value = getattr(args, key)
        if value is None:
            continue
        if key not in rules.RULES[name].tunable:
            spelled = ("--no-" + key.replace("_", "-")) if value is False else _dashed(key)
            raise SettingsError(settings.inapplicable_message(key, [name], spelled))
        hyper[key] = value if isinstance(value, bool) else parse_number(value, key)
    return hyper


def _load_data(args: argparse.Namespace):
    """The data set --data names; SettingsError, DataError or DataUnavailable if it can't be."""
    from optviz import data

    if args.data in ("airfoil", "synthetic"):
        if args.target is not None:
            raise SettingsError("--target applies to --data FILE.csv only")
        return data.load(args.data)
    try:
        with open(args.data, "rb") as f:
            raw = f.read(data.MAX_BYTES + 1)  # parse_csv says so if that is too much
    except OSError as e:
        raise SettingsError(f"--data must be airfoil, synthetic or a CSV file; cannot read "
                            f"{args.data}: {e.strerror or e}") from None
    return data.parse_csv(raw, args.data, target=args.target)


def _train(args: argparse.Namespace, parser: ArgumentParser) -> int:
    from optviz import data, trainer

    impls = ("scratch", "torch") if args.impl == "both" else (args.impl,)
    try:
        name = settings.optimizer_name(args.optimizer)
        hyper = _train_hyper(args, name)
        numbers = {key: parse_number(getattr(args, key), label)
                   for key, label in (("batch_size", "Batch size"), ("epochs", "Epochs"),
                                      ("log_every", "Log interval"), ("seed", "Seed"))
                   if getattr(args, key) is not None}
        dataset = _load_data(args)
        runs = {impl: trainer.Trainer(dataset, impl=impl, optimizer=name, hyper=hyper,
                                      device=args.device, **numbers)
                for impl in impls}  # all validated before any runs
    except (SettingsError, data.DataError) as e:
        parser.error(str(e))
    except data.DataUnavailable as e:
        parser.error(f"{e}; use --data synthetic to train on generated data instead")
    for run in runs.values():
        run.fit()
    if args.json:
        print(json.dumps(train_to_json(dataset, runs), allow_nan=False))
    else:
        print(train_summary(dataset, runs))
    return 0


def train_to_json(dataset, runs: dict) -> dict:
    """The --json object of `train` (see its --help)."""
    first = next(iter(runs.values()))
    hp = first.hp
    out = {
        "data": dataset.name,
        "n": first.n,
        "features": first.X.shape[1] - 1,
        "optimizer": first.optimizer,
        "hyperparameters": {k: (v if isinstance(v, bool) else float(v))
                            for k, v in zip(hp._fields, hp, strict=True)},
        "batch_size": first.batch_size,
        "epochs": first.epochs,
        "log_every": first.log_every,
        "seed": first.seed,
        "device": first.device.type,
        "examples": list(first.examples),
    }
    for impl, run in runs.items():
        result = run.to_dict()
        result["losses"] = to_json_list(np.array(result["losses"]))
        result["final_loss"] = _finite_or_none(result["final_loss"])
        out[impl] = result
    return out


def train_summary(dataset, runs: dict) -> str:
    first = next(iter(runs.values()))
    lines = [f"{dataset.name}: {first.n} examples, {first.X.shape[1] - 1} features; "
             f"{first.optimizer} {_hyper_text(first.optimizer, first.hp)}; batch size "
             f"{first.batch_size}, {first.epochs} epochs, seed {first.seed}, on "
             f"{first.device.type}"]
    for impl, run in runs.items():
        how = f"{impl} ({run.engine_used} engine)" if impl == "scratch" else impl
        per_epoch = sum(run.sec_per_epoch) / max(len(run.sec_per_epoch), 1)
        line = (f"  {how}: loss {run.losses[0]:.6g} -> {run.final_loss:.6g}, "
                f"{per_epoch:.3g} sec/epoch")
        lines.append(line + ("; diverged" if run.diverged else ""))
    return "\n".join(lines)
