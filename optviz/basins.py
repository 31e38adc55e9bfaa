"""Basins of attraction: which minimum a run reaches from each start of a lattice.

    basins.compute(settings, focus=0, size=41)   # Basins: labels[j, i] for (x1[i], x2[j])

One batched call of the engine (`trajectory.run_points`, final steps only) runs the
focused run's optimizer, at its settings, from every start of a size × size lattice over
the view. The ends are grouped into the minima they settled at, so that a student sees
how β1 and η change which minimum Adam finds (Himmelblau's four, Rastrigin's many).

Each run takes at least STEPS steps (a view's 20 are too few to arrive anywhere). A
run has settled when its last TAIL points lie within a small share of the view of
their mean (Adam at a constant η keeps circling a minimum at about η: its mean is
where it is) and that mean no longer drifts (a run crawling along a flat valley, as
on Rosenbrock, has not arrived); settled runs whose means lie close together found
one minimum (there is no list of local minima to look up: Rastrigin's are many, a
typed function's unknown). Labels: 0, 1, ... the minima, lowest f first; STILL_MOVING; DIVERGED.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optviz import trajectory
from optviz.families import lattice
from optviz.settings import TrajectorySettings
from optviz.surfaces import Window

STILL_MOVING, DIVERGED = -1, -2
# The built-in functions with more than one minimum: where a basin map says something.
SEVERAL_MINIMA = ("himmelblau", "rastrigin")
SIZE = 41  # starts along each axis
STEPS = 300  # the fewest steps a run takes here
TAIL = 16  # the last points that say whether a run settled
SETTLED = 0.02  # the tail within this share of the view's diagonal of its mean: settled
DRIFT = 0.002  # the tail's halves' means closer than this share of the diagonal: no drift
SAME = 0.04  # settled means closer than this share of the diagonal: one minimum


@dataclass(frozen=True)
class Basins:
    """Where runs from each start of a lattice end up."""

    x1: np.ndarray  # (N,) starts along x1, ascending
    x2: np.ndarray  # (N,)
    labels: np.ndarray  # (N, N) int16: the minimum reached from (x1[i], x2[j]) at [j, i]
    minima: np.ndarray  # (K, 2): where each minimum lies (the mean of its ends)
    values: np.ndarray  # (K,): f there, ascending

    def share(self, label: int) -> float:
        """The fraction of starts with `label`."""
        return float(np.mean(self.labels == label))


def compute(settings: TrajectorySettings, focus: int = 0, view: Window | None = None,
            size: int = SIZE, engine: str = "auto") -> Basins:
    """The basins of run `focus` of `settings` over `view` (default: the function's
    window), from a `size` × `size` lattice of starts."""
    if not 2 <= size <= 201:
        raise ValueError("size must be from 2 to 201")
    surface = settings.get_surface()
    view = view or surface.window
    x1, x2 = lattice(view, size)
    grid_x1, grid_x2 = np.meshgrid(x1, x2)
    starts = np.stack([grid_x1.ravel(), grid_x2.ravel()], axis=1)
    steps = max(settings.steps, STEPS)
    kept = np.arange(steps - TAIL + 1, steps + 1)
    tails = trajectory.run_points(surface, settings.optimizers[focus].name,
                                  settings.hyperparams(focus), starts, steps, kept,
                                  settings.bound, engine, noise=settings.noise,
                                  seed=settings.seed).astype(float)
    finite = np.isfinite(tails).all(axis=(1, 2))
    labels = np.full(len(starts), STILL_MOVING, np.int16)
    labels[~finite] = DIVERGED
    with np.errstate(invalid="ignore"):
        mean = tails.mean(axis=1)
        spread = np.linalg.norm(tails - mean[:, None], axis=2).max(axis=1)
        half = TAIL // 2
        drift = np.linalg.norm(tails[:, half:].mean(axis=1) - tails[:, :half].mean(axis=1),
                               axis=1)
    diagonal = float(np.hypot(view[0][1] - view[0][0], view[1][1] - view[1][0]))
    settled = finite & (spread <= SETTLED * diagonal) & (drift <= DRIFT * diagonal)
    centres, members = _group(mean[settled], SAME * diagonal)
    f = np.array([float(surface.f(c[0], c[1])) for c in centres])
    # Lowest f first; minima as low as each other (Himmelblau's four, to the engine's
    # last digits) by x1, then x2, so a label means the same place at other settings.
    scale = float(np.ptp(surface.f(grid_x1, grid_x2))) or 1.0
    xy = np.asarray(centres, float).reshape(-1, 2)
    order = np.lexsort((xy[:, 1].round(6), xy[:, 0].round(6), np.round(f / scale, 3)))
    rank = np.empty(len(order), np.int16)
    rank[order] = np.arange(len(order))
    labels[np.flatnonzero(settled)] = rank[members] if len(members) else []
    return Basins(x1, x2, labels.reshape(size, size), xy[order], f[order])


def _group(points: np.ndarray, radius: float) -> tuple[list[np.ndarray], np.ndarray]:
    """Points within `radius` of a group's first point join it (greedy, in order):
    each group's mean, and each point's group."""
    firsts = np.empty((0, 2))
    members = np.empty(len(points), np.int64)
    for i, p in enumerate(points):
        near = np.flatnonzero(np.hypot(*(firsts - p).T) <= radius)
        if near.size:
            members[i] = near[0]
        else:
            members[i] = len(firsts)
            firsts = np.vstack([firsts, p])
    centres = [points[members == k].mean(axis=0) for k in range(len(firsts))]
    return centres, members
