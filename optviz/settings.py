"""Validated settings of a trajectory request, shared by the CLI and the pages.

`TrajectorySettings` says everything needed to compute trajectories: the surface, the
number of steps, the start point and one `OptimizerSettings` per run. Both validate in
`__post_init__`, so an object that exists is one the engine can run; anything wrong
raises `SettingsError`, whose message is one line a student understands, e.g.
"β1 must be in [0, 1), got 1.5". Text input (the command line, URL query strings) goes
through `parse_number`, `parse_bool` and `TrajectorySettings.from_strings`.

What a user does not set comes from the function's defaults (`optviz.surfaces`: its
start, steps and a learning rate per optimizer), then `optviz.defaults` (the chapter's
choices for its 2D examples), then torch's (see `optviz.rules`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

import numpy as np

from optviz import noise as noise_model
from optviz import rules, surfaces, trajectory
from optviz.defaults import DEFAULT_OPTIMIZER, DEFAULTS
from optviz.frozen import FrozenMapping
from optviz.validate import (
    SettingsError,
    choice,
    env_int,
    label,
    num,
    parse_bool,
    parse_number,
    real,
    show,
    whole,
)

DEFAULT_SURFACE = surfaces.DEFAULT_SURFACE
DEFAULT_STEPS = surfaces.SURFACES[DEFAULT_SURFACE].steps  # the chapter's 20

# Caps on one request. A cap below the default number of steps is raised to it, so
# that the default settings stay valid; a function whose own steps pass the cap takes
# the cap (`default_steps`).
MAX_STEPS = max(env_int("OPTVIZ_MAX_STEPS", 5000), DEFAULT_STEPS)  # steps per request
MAX_RUNS = env_int("OPTVIZ_MAX_RUNS", 16)  # optimizers (runs) per request
MAX_START = 1e4  # |x_i| of a start point

DEFAULT_CONDITION = 10.0
DEFAULT_BOUND = trajectory.DEFAULT_BOUND
# Gradient noise σ and its seed (`optviz.noise`, which says why these caps).
MAX_NOISE = noise_model.MAX_NOISE
MAX_SEED = noise_model.MAX_SEED


CUSTOM = surfaces.CUSTOM  # the surface name of a user's own function (`expression`)
# A typed function's window unless one is given.
DEFAULT_WINDOW = ((-5.0, 5.0), (-5.0, 5.0))


def _builtin(surface: str) -> surfaces.Surface | None:
    """The built-in surface called `surface`, or None for a user's own function."""
    name = surface_name(surface)
    return None if name == CUSTOM else surfaces.SURFACES[name]


def default_steps(surface: str) -> int:
    """Function `surface`'s own number of steps (`optviz.surfaces`; a typed function's:
    the chapter's), at most MAX_STEPS."""
    own = _builtin(surface)
    return min(own.steps if own else DEFAULT_STEPS, MAX_STEPS)


def optimizer_name(name: Any) -> str:
    """The registered name of optimizer `name` (case and spaces forgiven), or SettingsError."""
    return choice(name, rules.RULES, "optimizer")


def surface_name(name: Any) -> str:
    """The registered name of surface `name` (case and spaces forgiven), or "custom" (a
    user's own function), or SettingsError."""
    if isinstance(name, str) and name.strip().lower() == CUSTOM:
        return CUSTOM
    return choice(name, surfaces.SURFACES, "surface")


def _is_flag(key: str) -> bool:
    return key not in rules.BOUNDS


def check_hyper(key: str, value: Any) -> float | bool:
    """`value` as hyperparameter `key` takes it (float, or bool for flags), else SettingsError."""
    if _is_flag(key):
        if isinstance(value, np.bool_):
            value = bool(value)
        try:
            rules.check_value(key, value)
        except ValueError as e:
            raise SettingsError(f"{label(key)} must be true or false, got {show(value)}") from e
        return value
    x = real(value, key)
    where = rules.describe_range(key)
    if not math.isfinite(x):
        raise SettingsError(f"{label(key)} must be a finite number in {where}, got {num(x)}")
    try:
        rules.check_value(key, x)
    except ValueError:
        raise SettingsError(f"{label(key)} must be in {where}, got {num(x)}") from None
    return x


def _spell(key: str, flag: bool) -> str:
    if not flag:
        return key
    dashed = key.replace("_", "-")
    return f"--[no-]{dashed}" if _is_flag(key) else f"--{dashed}"


def inapplicable_message(key: Any, names: Sequence[str], spelled: str | None = None) -> str:
    """Why hyperparameter `key` cannot be given to any of the optimizers `names`.

    `spelled` is how the user wrote the key (e.g. "--amsgrad" on the command line);
    then allowed keys and optimizers are spelled as command-line options too.
    """
    cli = spelled is not None
    names = list(dict.fromkeys(names))
    which = " or ".join(names)
    known = isinstance(key, str) and key in rules.LABELS
    if cli:
        msg = f"{spelled} does not apply to {which}"
    elif known:
        msg = f"{label(key)} ({key}) does not apply to {which}"
    else:
        msg = f"Unknown hyperparameter {show(key)} for {which}"
    if len(names) == 1:
        allowed = ", ".join(_spell(k, cli) for k in rules.RULES[names[0]].tunable)
        msg += f" ({'it takes' if cli else 'allowed'}: {allowed})"
    if known and key in rules.RULES and key not in names:
        msg += f"; use {'--optimizer ' + key if cli else 'the optimizer ' + repr(key)} instead"
    elif known and len(names) > 1:
        users = [n for n, r in rules.RULES.items() if key in r.tunable]
        if users:
            msg += f"; it applies to {', '.join(users)}"
    return msg


# ------------------------------------------------------------------------ models


@dataclass(frozen=True)
class OptimizerSettings:
    """One optimizer run: its name, the hyperparameters the user changed, a legend label."""

    name: str = DEFAULT_OPTIMIZER
    hyper: Mapping[str, float | bool] = field(default_factory=FrozenMapping)  # overrides only
    label: str = ""

    def __post_init__(self) -> None:
        name = optimizer_name(self.name)
        rule = rules.RULES[name]
        hyper = {} if self.hyper is None else self.hyper
        if not isinstance(hyper, Mapping):
            raise SettingsError(
                f"Hyperparameters of {name} must map names to values, got {show(hyper)}"
            )
        clean = {}
        for key, value in hyper.items():
            if not (isinstance(key, str) and key in rule.tunable):
                raise SettingsError(inapplicable_message(key, [name]))
            clean[key] = check_hyper(key, value)
        if not isinstance(self.label, str):
            raise SettingsError(f"Label must be text, got {show(self.label)}")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "hyper",
                           FrozenMapping((k, clean[k]) for k in rule.tunable if k in clean))

    @property
    def rule(self) -> rules.Rule:
        return rules.RULES[self.name]

    @property
    def display_label(self) -> str:
        return self.label or self.name

    def hyperparams(self, surface: str = DEFAULT_SURFACE) -> NamedTuple:
        """torch's defaults, then the chapter's 2D ones (`optviz.defaults`), then the
        learning rate of function `surface` (`optviz.surfaces`), then this run's
        overrides."""
        own = _builtin(surface)
        lr = {"lr": own.lr[self.name]} if own and self.name in own.lr else {}
        return self.rule.hyperparams(**{**DEFAULTS[self.name].explorer, **lr, **self.hyper})

    def to_run(self, start: Sequence[float], surface: str = DEFAULT_SURFACE) -> trajectory.Run:
        return trajectory.Run(self.name, self.hyperparams(surface),
                              (float(start[0]), float(start[1])), self.display_label)


def run_labels(optimizers: Sequence[OptimizerSettings], surface: str = DEFAULT_SURFACE,
               ) -> list[str]:
    """A legend label per run that tells runs of one optimizer apart by what differs.

    A run's own label is kept; an optimizer that runs once goes by its title ("Adam"); runs
    of one optimizer are named by the hyperparameters in which they differ
    ("Adam, β2 = 0.5" and "Adam, β2 = 0.999"), or numbered where none does ("Adam 2").
    """
    by_name: dict[str, list[int]] = {}
    for i, o in enumerate(optimizers):
        by_name.setdefault(o.name, []).append(i)
    labels = []
    for i, o in enumerate(optimizers):
        same = by_name[o.name]
        if o.label or len(same) == 1:
            labels.append(o.label or o.rule.title)
            continue
        mine = o.hyperparams(surface)
        theirs = [optimizers[j].hyperparams(surface) for j in same]
        differing = [f for f in mine._fields if len({getattr(h, f) for h in theirs}) > 1]
        if differing:
            labels.append(o.rule.title + ", " + ", ".join(
                f"{label(f)} = {value_text(getattr(mine, f))}" for f in differing))
        else:
            k = same.index(i) + 1
            labels.append(o.rule.title + (f" {k}" if k > 1 else ""))
    return labels


def value_text(value: float | bool) -> str:
    """A hyperparameter's value in a label: "0.5", "1e-08", "on"."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:g}"


def _start(value: Any) -> tuple[float, float]:
    msg = f"Start point must be two numbers (x1, x2), got {show(value)}"
    if isinstance(value, str | bytes | Mapping):
        raise SettingsError(msg)
    try:
        pair = tuple(value)
    except TypeError:
        raise SettingsError(msg) from None
    if len(pair) != 2:
        raise SettingsError(msg)
    out = []
    for name, v in zip(("x1", "x2"), pair, strict=True):
        x = real(v, name)
        if not (math.isfinite(x) and abs(x) <= MAX_START):
            raise SettingsError(
                f"{label(name)} must be a finite number from {-MAX_START:g} to {MAX_START:g}, "
                f"got {num(x)}"
            )
        out.append(x)
    return out[0], out[1]


def _optimizers(value: Any) -> tuple[OptimizerSettings, ...]:
    if isinstance(value, OptimizerSettings | str):
        value = (value,)
    try:
        items = tuple(value)
    except TypeError:
        raise SettingsError(f"Optimizers must be a list, got {show(value)}") from None
    if not 1 <= len(items) <= MAX_RUNS:
        raise SettingsError(f"Choose from 1 to {MAX_RUNS} optimizers, got {len(items)}")
    return tuple(o if isinstance(o, OptimizerSettings) else OptimizerSettings(o) for o in items)


@dataclass(frozen=True)
class TrajectorySettings:
    """Everything needed to compute trajectories on a 2D surface, validated."""

    surface: str = DEFAULT_SURFACE
    condition: float = DEFAULT_CONDITION  # used by the "rotated" surface only
    steps: int | None = None  # None: `default_steps(surface)` (always a number once made)
    start: tuple[float, float] | None = None  # None: the surface's default start
    optimizers: tuple[OptimizerSettings, ...] = (OptimizerSettings(),)
    bound: float = DEFAULT_BOUND  # a run leaving |x_i| <= bound is cut as diverged
    # σ of the gradient noise (0: the exact gradient) and the seed of its draws; every
    # run shares the draws (`optviz.noise`).
    noise: float = 0.0
    seed: int = 0
    # With surface "custom": f(x1, x2) as typed (`optviz.expression`) and its window
    # ((x1 min, x1 max), (x2 min, x2 max)); None: DEFAULT_WINDOW.
    expression: str = ""
    window: tuple[tuple[float, float], tuple[float, float]] | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "surface", surface_name(self.surface))
        if self.surface == CUSTOM:
            from optviz.custom_surface import check_window  # sympy: only when needed

            if not (isinstance(self.expression, str) and self.expression.strip()):
                raise SettingsError("Type a function of x1 and x2, e.g. x1**2 + 10*sin(x2)")
            set_(self, "expression", self.expression.strip())
            set_(self, "window", check_window(self.window or DEFAULT_WINDOW))
        elif self.expression or self.window is not None:
            raise SettingsError(f"A typed function and its window need the surface "
                                f"{CUSTOM!r}, not {self.surface!r}")
        condition = real(self.condition, "condition")
        if not (math.isfinite(condition) and condition >= 1):
            raise SettingsError(
                f"{label('condition')} must be a finite number ≥ 1, got {num(condition)}"
            )
        set_(self, "condition", condition)
        if self.steps is None:
            set_(self, "steps", default_steps(self.surface))
        set_(self, "steps", whole(self.steps, "steps", 1, MAX_STEPS))
        if self.start is not None:
            set_(self, "start", _start(self.start))
        set_(self, "optimizers", _optimizers(self.optimizers))
        bound = real(self.bound, "bound")
        if not (math.isfinite(bound) and bound > 0):
            raise SettingsError(f"Bound must be a finite number > 0, got {num(bound)}")
        set_(self, "bound", bound)
        sigma = real(self.noise, "noise")
        if not (math.isfinite(sigma) and 0 <= sigma <= MAX_NOISE):
            raise SettingsError(f"{label('noise')} must be a finite number from 0 to "
                                f"{MAX_NOISE:g}, got {num(sigma)}")
        set_(self, "noise", sigma + 0.0)  # -0.0 reads, links and hashes as 0.0
        set_(self, "seed", whole(self.seed, "seed", 0, MAX_SEED))
        if self.surface == CUSTOM:
            self.get_surface()  # the text parses and f is finite on the window, or one line
        start = self.start_point()
        if max(abs(start[0]), abs(start[1])) > bound:
            raise SettingsError(
                f"Start point ({num(start[0])}, {num(start[1])}) lies outside the bound "
                f"{num(bound)}"
            )

    def get_surface(self) -> surfaces.Surface:
        if self.surface == CUSTOM:
            from optviz.custom_surface import custom_surface

            return custom_surface(self.expression, self.window)
        return surfaces.get_surface(self.surface, self.condition)

    def start_point(self) -> tuple[float, float]:
        if self.start is not None:
            return self.start
        return self.get_surface().start

    def hyperparams(self, run: int = 0) -> NamedTuple:
        """Run `run`'s hyperparameters on this surface (see `OptimizerSettings`)."""
        return self.optimizers[run].hyperparams(self.surface)

    def labels(self) -> list[str]:
        """Each run's legend label (see `run_labels`)."""
        return run_labels(self.optimizers, self.surface)

    def runs(self) -> list[trajectory.Run]:
        start = self.start_point()
        return [replace(o, label=label).to_run(start, self.surface)
                for o, label in zip(self.optimizers, self.labels(), strict=True)]

    def compute(self, engine: str = "auto") -> list[trajectory.Trajectory]:
        """One Trajectory per optimizer, in order (diverged runs are cut, never raised),
        with this request's gradient noise; `engine` as `trajectory.run`'s."""
        return trajectory.run(self.get_surface(), self.runs(), self.steps, self.bound, engine,
                              noise=self.noise, seed=self.seed)

    def ensemble(self, run: int = 0, count: int = noise_model.ENSEMBLE_SIZE, kept=None,
                 engine: str = "auto"):
        """Run `run` again under `count` other draws of its noise (`trajectory.ensemble`):
        (count, len(kept), 2) float32, every step by default."""
        surface = self.get_surface()
        return trajectory.ensemble(surface, self.runs()[run], self.steps, self.noise,
                                   self.seed, count, kept, self.bound, engine)

    @classmethod
    def from_strings(
        cls,
        *,
        surface: str | None = None,
        optimizers: str | Sequence[str] | None = None,
        steps: str | None = None,
        start: str | Sequence[str] | None = None,
        condition: str | None = None,
        bound: str | None = None,
        hyper: Mapping[str, str] | None = None,
        noise: str | None = None,
        seed: str | None = None,
        expression: str | None = None,
        window: Sequence[str] | None = None,
    ) -> TrajectorySettings:
        """Settings from text, as typed on a command line or in a URL; None means default.

        `optimizers` is a name or a comma-separated list; `start` is "x1,x2" or two
        strings; `hyper` maps hyperparameter names ("beta1", "weight-decay") to text and
        applies each to every chosen optimizer that has it. A hyperparameter that none
        of them has is an error. `expression` is a typed f(x1, x2) (the surface is then
        "custom" unless another is named, which is an error) over `window`, four
        strings: x1 from, x1 to, x2 from, x2 to.
        """
        if optimizers is None:
            optimizers = [DEFAULT_OPTIMIZER]
        elif isinstance(optimizers, str):
            optimizers = [n for n in optimizers.split(",") if n.strip()] or [""]
        names = [optimizer_name(n) for n in optimizers]
        parsed: dict[str, float | bool] = {}
        for raw, text in (hyper or {}).items():
            key = raw.strip().lower().replace("-", "_") if isinstance(raw, str) else raw
            if not (isinstance(key, str) and key in rules.LABELS):
                known = sorted({k for r in rules.RULES.values() for k in r.tunable})
                raise SettingsError(
                    f"Unknown hyperparameter {show(raw)}; choose from: {', '.join(known)}"
                )
            if not any(key in rules.RULES[n].tunable for n in names):
                raise SettingsError(inapplicable_message(key, names))
            parsed[key] = parse_bool(text, key) if _is_flag(key) else parse_number(text, key)
        kwargs: dict[str, Any] = {
            "optimizers": tuple(
                OptimizerSettings(n, {k: v for k, v in parsed.items()
                                      if k in rules.RULES[n].tunable})
                for n in names
            )
        }
        if surface is not None:
            kwargs["surface"] = surface
        if steps is not None:
            kwargs["steps"] = parse_number(steps, "steps")
        if condition is not None:
            kwargs["condition"] = parse_number(condition, "condition")
        if bound is not None:
            kwargs["bound"] = parse_number(bound, "bound")
        if expression is not None:
            kwargs["expression"] = expression
            kwargs.setdefault("surface", CUSTOM)
        if window is not None:
            if len(window) != 4:
                raise SettingsError("The window must be four numbers: x1 from, x1 to, x2 from, "
                                    f"x2 to; got {show(list(window))}")
            ends = [parse_number(v, "window") for v in window]
            kwargs["window"] = ((ends[0], ends[1]), (ends[2], ends[3]))
        if noise is not None:
            kwargs["noise"] = parse_number(noise, "noise")
        if seed is not None:
            kwargs["seed"] = parse_number(seed, "seed")
        if start is not None:
            parts = start.replace(",", " ").split() if isinstance(start, str) else list(start)
            if len(parts) != 2:
                raise SettingsError(f"Start point must be two numbers (x1, x2), got {show(start)}")
            kwargs["start"] = (parse_number(parts[0], "x1"), parse_number(parts[1], "x2"))
        return cls(**kwargs)
