"""How a run did: its final f, how far it ended from a minimum, when it got close.

    s = summarize(traj, surface)    # a RunSummary: the numbers, and one line of text
    str(s)
    # "f = 3.59e-9 after 200 steps, 4.76e-5 from the minimum (0, 0); first within 1e-3 at step 142"
    # "diverged at step 4"

The distance is Euclidean, to the nearest of the surface's known minima (all global);
a surface without minima (the saddle) has no distance and no tolerance step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from optviz.surfaces import CUSTOM, Surface
from optviz.trajectory import Trajectory


def _short(x: float) -> str:
    """A number in few characters: 0.0123, 1e-3, 2.5e+04 → the shorter of %.3g and a
    trimmed exponent form."""
    g = f"{x:.3g}"
    if "e" in g:
        mantissa, exp = g.split("e")
        return f"{mantissa}e{int(exp)}"
    mantissa, exp = f"{x:.2e}".split("e")
    e = mantissa.rstrip("0").rstrip(".") + f"e{int(exp)}"
    return e if len(e) < len(g) else g


def _point(p: Sequence[float]) -> str:
    return f"({p[0]:.4g}, {p[1]:.4g})"


def distances_to_minima(points: np.ndarray, minima: Sequence[Sequence[float]]) -> np.ndarray:
    """(n,) distance of each point to its nearest minimum: min_m ‖x − m‖₂ (NaN if none)."""
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    if not len(minima):
        return np.full(len(points), np.nan)
    m = np.asarray(minima, dtype=float)
    return np.hypot(points[:, None, 0] - m[None, :, 0], points[:, None, 1] - m[None, :, 1]).min(
        axis=1)


def nearest_minimum(surface: Surface, point: Sequence[float]
                    ) -> tuple[tuple[float, float], float] | None:
    """(the minimum of `surface` nearest to `point`, its distance), or None without minima."""
    if not surface.minima:
        return None
    d = [math.hypot(point[0] - m[0], point[1] - m[1]) for m in surface.minima]
    k = int(np.argmin(d))
    return (float(surface.minima[k][0]), float(surface.minima[k][1])), d[k]


class RunSummary(NamedTuple):
    """The result of one run in numbers, and `text()` / `str()` in one line."""

    final_value: float
    final_point: tuple[float, float]
    steps: int  # steps taken (up to the last good point of a diverged run)
    nearest_minimum: tuple[float, float] | None  # None on a surface without minima
    distance_to_minimum: float | None
    steps_to_tolerance: int | None  # first k with distance(x_k) ≤ tol; None if never
    tolerance: float
    diverged_at: int | None
    minima_count: int  # how many minima the surface has ("the" or "the nearest")
    typed: bool = False  # a user's own function: no minima listed, none known

    def text(self) -> str:
        if self.diverged_at is not None:
            return f"diverged at step {self.diverged_at}"
        text = f"f = {_short(self.final_value)} after {self.steps} steps"
        if self.nearest_minimum is None:
            return text + (" (its minima are not known)" if self.typed
                           else " (this surface has no minimum)")
        which = "the minimum" if self.minima_count == 1 else "the nearest minimum"
        text += (f", {_short(self.distance_to_minimum)} from {which} "
                 f"{_point(self.nearest_minimum)}")
        if self.steps_to_tolerance is None:
            return text + f"; never within {_short(self.tolerance)}"
        return text + f"; first within {_short(self.tolerance)} at step {self.steps_to_tolerance}"

    def __str__(self) -> str:
        return self.text()


def summarize(traj: Trajectory, surface: Surface, tol: float = 1e-3) -> RunSummary:
    """Final f and point, distance to the nearest minimum, and the first step k with
    min_m ‖x_k − m‖ ≤ tol (step 0 is the start)."""
    x = traj.points[-1]
    point = (float(x[0]), float(x[1]))
    near = nearest_minimum(surface, point)
    reached = None
    if near is not None:
        hits = np.flatnonzero(distances_to_minima(traj.points, surface.minima) <= tol)
        reached = int(hits[0]) if hits.size else None
    return RunSummary(
        final_value=float(traj.values[-1]),
        final_point=point,
        steps=traj.steps,
        nearest_minimum=near[0] if near else None,
        distance_to_minimum=near[1] if near else None,
        steps_to_tolerance=reached,
        tolerance=float(tol),
        diverged_at=traj.diverged_at,
        minima_count=len(surface.minima),
        typed=surface.name == CUSTOM,
    )
