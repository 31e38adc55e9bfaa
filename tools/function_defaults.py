"""How each function's defaults were chosen: its steps and a learning rate per optimizer
(`optviz.surfaces`, each Surface's `steps` and `lr`), searched with the engine.

    python -m tools.function_defaults                # the table this search finds
    python -m tools.function_defaults --check        # ... and whether optviz's is the same
    python -m tools.function_defaults --starts       # how Rastrigin's start was chosen

The engine is the NumPy loop; `--engine compiled` (numba) finds the same table.

The bar, which tests/test_function_defaults.py holds every function × every optimizer
to: a run from the function's start, for its steps, with its η and every other
hyperparameter the chapter's (`optviz.defaults`) or torch's,

* does not diverge (the engine does not cut it), and
* ends well below its start: f − f* ≤ 0.1·(f(start) − f*), f* = 0 being f at every
  minimum (and at the saddle point of the saddle, which has no minimum).

The candidates are the chart's η slider values (`optviz.families.SLIDERS["lr"]`, 10 a
decade), so that the slider rests on the default. A value is *steady* when it and the
slider values on either side of it meet the bar: a nudge of the slider, or another
machine's rounding where a function is chaotic (Rastrigin at large η), does not fall
off a cliff. Its path is *calm* when it stays in view (inside the window widened by
half its size on every side) and f never rises above f(start): no growing zig-zag,
no leap across the plot.

* η, per optimizer: the smallest steady, calm value whose run ends within
  0.01·(f(start) − f*) of the lowest end any steady, calm value reaches: the gentlest
  path that gets as far down. The saddle has no lowest point, and a run escapes it
  exponentially fast, out of view a slider value later: there, the smallest steady,
  calm value that gets past the saddle point (ends with f < f*).
* steps, per function: the fewest of STEPS for which every optimizer has such a value
  ending within half the bar (f − f* ≤ 0.05·(f(start) − f*); the saddle: past it).
* The chapter's function keeps the chapter's 20 steps and its η (0.4; AdaDelta's lr 1,
  i.e. none) wherever that meets the bar; only the optimizers it fails (Nesterov, whose
  borrowed η = 0.4 diverges there, and AdaDelta, which barely moves in 20 steps) get
  searched values.
* Rastrigin's old start (−4.2, 3.7) lies by the local minimum near (−4, 4), where f is
  62 % of f(start): a constant η either stops there or hops chaotically, and no η is
  steady. Its start is the ridge top (x.5, y.5) farthest from the minimum, in that same
  quadrant, from which the search finds steps and an η for every optimizer (`--starts`
  lists them).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

import numpy as np

from optviz import rules, surfaces, trajectory
from optviz.defaults import DEFAULTS
from optviz.families import SLIDERS

LRS = np.array(SLIDERS["lr"].values)
STEPS = (20, 50, 100, 200, 300, 500, 1000, 2000)
BAR = 0.1  # f − f* at the end over f(start) − f*: the tests' bar
MARGIN = 0.5  # the chosen steps give every optimizer an η ending within half the bar
GOAL = 0.01  # within this of the lowest end
F_STAR = 0.0  # f at every minimum, and at the saddle point


def in_view(points: np.ndarray, window) -> np.ndarray:
    """Whether each run's points (runs, steps + 1, 2) stay inside `window` widened by
    half its size on every side."""
    (a, b), (c, d) = window
    w, h = (b - a) / 2, (d - c) / 2
    x, y = points[..., 0], points[..., 1]
    return ((x >= a - w) & (x <= b + w) & (y >= c - h) & (y <= d + h)).all(axis=1)


def scan(surface: surfaces.Surface, optimizer: str, steps: int, lrs=LRS,
         engine: str = "numpy") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each η in `lrs`: whether its run meets the bar; whether its path is calm
    (stays in view, and f never rises above f(start): no growing zig-zag); and its
    f − f* at the end over f(start) − f* (NaN where it diverged)."""
    hyper = rules.get_rule(optimizer).hyperparams(**DEFAULTS[optimizer].explorer)
    hyper = hyper._replace(lr=np.asarray(lrs, float))
    starts = np.broadcast_to(surface.start, (len(lrs), 2))
    points = trajectory.run_points(surface, optimizer, hyper, starts, steps,
                                   engine=engine).astype(float)
    diverged = np.isnan(points).any(axis=(1, 2))
    points = np.where(diverged[:, None, None], surface.start, points)
    f = surface.f(points[..., 0], points[..., 1])
    f0 = surface.f(*surface.start)
    rel = np.where(diverged, np.nan, (f[:, -1] - F_STAR) / (f0 - F_STAR))
    calm = in_view(points, surface.window) & (f.max(axis=1) <= f[:, 0])  # points: float32
    return (~diverged) & (rel <= BAR), calm, rel


def choose(ok: np.ndarray, calm: np.ndarray, rel: np.ndarray, saddle: bool = False,
           lrs=LRS) -> tuple[float, float] | None:
    """The η among `lrs` and its run's end (rel), by the module's rule; None if no η
    is steady and calm (or, on the saddle, none passes the saddle point)."""
    fit = ok & np.r_[False, ok[:-1]] & np.r_[ok[1:], False] & calm
    if not fit.any():
        return None
    reach = np.flatnonzero(fit & ((rel < 0) if saddle else (rel <= np.min(rel[fit]) + GOAL)))
    if not len(reach):
        return None
    return float(lrs[reach[0]]), float(rel[reach[0]])


def search(surface: surfaces.Surface, engine: str = "numpy") -> tuple[int, dict[str, float]]:
    """The steps and η per optimizer the search gives `surface`."""
    saddle = surface.name == "saddle"
    if surface.name == surfaces.DEFAULT_SURFACE:  # the chapter's, where they meet the bar
        steps, lrs = 20, {}
        for name in rules.RULES:
            chapter = rules.get_rule(name).hyperparams(**DEFAULTS[name].explorer).lr
            if not scan(surface, name, steps, [chapter], engine)[0][0]:  # fails the bar
                lrs[name] = choose(*scan(surface, name, steps, engine=engine))[0]
        return steps, lrs
    for steps in STEPS:
        picks = {name: choose(*scan(surface, name, steps, engine=engine), saddle)
                 for name in rules.RULES}
        if all(p is not None and (saddle or p[1] <= MARGIN * BAR) for p in picks.values()):
            return steps, {name: p[0] for name, p in picks.items()}
    raise SystemExit(f"{surface.name}: no steps in {STEPS} give every optimizer an η")


def starts(surface: surfaces.Surface, engine: str = "numpy") -> list[tuple]:
    """The ridge tops (x.5, y.5) of `surface`'s window in the quadrant of its start, from
    which the search finds steps and an η for every optimizer: (distance to the nearest
    minimum, start, steps), farthest first."""
    sx, sy = np.sign(surface.start)
    (a, b), (c, d) = surface.window
    found = []
    for x in np.arange(np.ceil(a - 0.5), b) + 0.5:
        for y in np.arange(np.ceil(c - 0.5), d) + 0.5:
            if np.sign(x) != sx or np.sign(y) != sy:
                continue
            moved = replace(surface, start=(float(x), float(y)))
            try:
                steps, _ = search(moved, engine)
            except SystemExit:
                continue
            far = min(np.hypot(x - m[0], y - m[1]) for m in surface.minima)
            found.append((round(float(far), 3), (float(x), float(y)), steps))
    return sorted(found, reverse=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if optviz's table differs from what the search finds")
    parser.add_argument("--starts", action="store_true",
                        help="list the starts Rastrigin could have (see the docstring)")
    parser.add_argument("--engine", default="numpy", choices=("numpy", "compiled"))
    args = parser.parse_args(argv)
    if args.starts:
        for far, start, steps in starts(surfaces.SURFACES["rastrigin"], args.engine):
            print(f"start {start}: {far:g} from the minimum, {steps} steps")
        return 0
    differ = []
    for name, surface in surfaces.SURFACES.items():
        steps, lrs = search(surface, args.engine)
        table = ", ".join(f"{k!r}: {v:g}" for k, v in lrs.items())
        print(f"{name}: steps={steps}, lr={{{table}}}")
        if (steps, lrs) != (surface.steps, dict(surface.lr)):
            differ.append(name)
    if args.check and differ:
        print(f"differs from optviz.surfaces: {', '.join(differ)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
