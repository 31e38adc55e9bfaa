"""Adam's path in weight space: the linear-regression runs on the exact loss surface.

The chapter's two halves meet here: the same rule that walks the 2D functions trains
θ = (w, b) on the airfoil data, and its path is drawn on the loss it descends. θ has
d + 1 = 6 numbers, so the picture is a plane of weight space,

    θ(a, b) = θ0 + a·u + b·v,

through the start θ0, the least-squares optimum θ* (u points from θ0 to θ*) and the
run's end θ_T (v: the part of θ_T − θ0 across u). Where θ_T lies on that line, v is the
path's own second direction (its largest spread across u). On the plane the loss is
the chapter's L(θ) = ‖Xθ − y‖² / (2n), exactly: a quadratic in (a, b),

    L(a, b) = ‖r0 + a·Xu + b·Xv‖² / (2n),   r0 = Xθ0 − y,

so its contours are those of an ellipse bowl with θ* at (|θ* − θ0|, 0). Each point of
a run is drawn at its projection (a, b); `off_plane` says how far the path leaves the
plane (the part of θ_t − θ0 along neither u nor v), so the picture does not claim
more than it shows.

    view = weightspace.compute(dataset, "adam", {"lr": 0.01})
    view.runs          # scratch and torch.optim, each a Trajectory in plane coordinates
    weightspace.payload(view)   # the explorer chart's blob
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from optviz import explorer_payload, rules
from optviz import payload as packing
from optviz.defaults import TRAIN_BATCH_SIZE, TRAIN_EPOCHS
from optviz.surfaces import Surface
from optviz.trainer import Trainer, design
from optviz.trajectory import Run, Trajectory

IMPL_LABELS = {"scratch": "from scratch", "torch": "torch.optim"}
MARGIN = 0.25  # the view reaches this share of the path's extent beyond it


@dataclass(frozen=True)
class Plane:
    """θ(a, b) = origin + a·u + b·v, and the loss on it: L = c + ga·a + gb·b
    + haa·a² + hab·a·b + hbb·b² (from X and y, exactly)."""

    origin: np.ndarray  # θ0, (d + 1,)
    u: np.ndarray  # unit, towards θ*
    v: np.ndarray  # unit, across u
    coefficients: tuple[float, float, float, float, float, float]  # c, ga, gb, haa, hab, hbb

    def coordinates(self, thetas: np.ndarray) -> np.ndarray:
        """(k, 2): each θ's (a, b)."""
        d = np.atleast_2d(thetas) - self.origin
        return np.stack([d @ self.u, d @ self.v], axis=1)

    def off_plane(self, thetas: np.ndarray) -> np.ndarray:
        """(k,): how far each θ lies from the plane."""
        d = np.atleast_2d(thetas) - self.origin
        inside = np.outer(d @ self.u, self.u) + np.outer(d @ self.v, self.v)
        return np.linalg.norm(d - inside, axis=1)

    def loss(self, a, b):
        c, ga, gb, haa, hab, hbb = self.coefficients
        return c + ga * a + gb * b + haa * a * a + hab * a * b + hbb * b * b

    def grad(self, a, b):
        _, ga, gb, haa, hab, hbb = self.coefficients
        return ga + 2 * haa * a + hab * b, gb + hab * a + 2 * hbb * b


@dataclass(frozen=True)
class WeightView:
    """The runs of one setting in the plane of their weights, and the loss there."""

    plane: Plane
    surface: Surface  # the loss on the plane, as the chart's contours take it
    runs: list[Trajectory]  # scratch, then torch.optim: (a, b) at every step
    optimum: tuple[float, float]  # θ* in the plane
    off_plane: float  # the farthest any run's θ lies from the plane
    data_name: str


def least_squares(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """θ* = argmin ‖Xθ − y‖² (float64)."""
    return np.linalg.lstsq(X.astype(float), y.astype(float), rcond=None)[0]


def plane_through(X: np.ndarray, y: np.ndarray, theta0: np.ndarray, optimum: np.ndarray,
                  path: np.ndarray) -> Plane:
    """The plane through θ0, θ* and the path's end (see the module's doc)."""
    X, y = X.astype(float), y.astype(float)
    along = optimum - theta0
    u = along / np.linalg.norm(along)
    rest = path - theta0
    across = rest - np.outer(rest @ u, u)
    end = across[-1]
    if np.linalg.norm(end) > 1e-9 * max(1.0, np.linalg.norm(rest[-1])):
        v = end / np.linalg.norm(end)
    else:  # the run ended on the line θ0 → θ*: its own widest spread across it
        _, _, vt = np.linalg.svd(across, full_matrices=False)
        v = vt[0] - (vt[0] @ u) * u
        v /= np.linalg.norm(v)
    n = len(y)
    r0, xu, xv = X @ theta0 - y, X @ u, X @ v
    coefficients = (float(r0 @ r0 / (2 * n)), float(r0 @ xu / n), float(r0 @ xv / n),
                    float(xu @ xu / (2 * n)), float(xu @ xv / n), float(xv @ xv / (2 * n)))
    return Plane(np.asarray(theta0, float), u, v, coefficients)


def compute(dataset, optimizer: str = "adam", hyper: Mapping[str, Any] | None = None, *,
            batch_size: int = TRAIN_BATCH_SIZE, epochs: int = TRAIN_EPOCHS,
            seed: int = 0, data_name: str = "airfoil") -> WeightView:
    """Train `optimizer` from scratch and with torch.optim (the same θ0 and batches, as
    the trainer page does), θ recorded after every step; their paths on the plane."""
    common = dict(optimizer=optimizer, hyper=hyper, batch_size=batch_size, epochs=epochs,
                  log_every=batch_size, seed=seed, record_weights=True)
    trainers = [Trainer(dataset, impl=impl, **common).fit() for impl in IMPL_LABELS]
    X, y = design(dataset)
    optimum = least_squares(X, y)
    paths = [np.array(t.thetas) for t in trainers]
    plane = plane_through(X, y, paths[0][0], optimum, paths[0])
    runs = [_trajectory(plane, path, trainer, X, y, label)
            for path, trainer, label in zip(paths, trainers, IMPL_LABELS.values(), strict=True)]
    star = plane.coordinates(optimum)[0]
    surface = _surface(plane, runs, star, data_name)
    off = max(float(plane.off_plane(p).max()) for p in paths)
    return WeightView(plane, surface, runs, (float(star[0]), float(star[1])), off, data_name)


def _trajectory(plane: Plane, path: np.ndarray, trainer: Trainer, X: np.ndarray,
                y: np.ndarray, how: str) -> Trajectory:
    """A run's path in plane coordinates; its values are the true loss L(θ_t) (the
    trainer's), not the plane's at the projection, which differ where θ_t is off it."""
    points = plane.coordinates(path)
    residual = path @ X.T.astype(float) - y.astype(float)
    values = (residual * residual).sum(axis=1) / (2 * len(y))
    ga, gb = plane.grad(points[:, 0], points[:, 1])
    title = rules.RULES[trainer.optimizer].title
    run = Run(trainer.optimizer, trainer.hp, (float(points[0, 0]), float(points[0, 1])),
              f"{title}, {how}")
    finite = np.isfinite(points).all(axis=1)
    cut = int(np.argmin(finite)) if not finite.all() else None
    keep = slice(None) if cut is None else slice(0, max(cut, 1))
    return Trajectory(run, points[keep], values[keep], np.stack([ga, gb], axis=1)[keep], {},
                      diverged_at=cut)


def _surface(plane: Plane, runs: list[Trajectory], star: np.ndarray, data_name: str) -> Surface:
    """The plane's loss as a Surface, windowed around the paths, θ0 and θ*."""
    pts = np.vstack([*(r.points for r in runs), star[None], np.zeros((1, 2))])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.maximum(hi - lo, 1e-6)
    lo, hi = lo - MARGIN * span, hi + MARGIN * span

    def f(a, b):
        """L = ‖Xθ − y‖² / 2n on the plane through θ0, θ* and θ_T"""
        return plane.loss(a, b)

    return Surface(
        name="weightspace", title=f"The {data_name} loss, in weight space",
        latex=r"L(\theta) = \lVert X\theta - y \rVert^2 / 2n", f=f, grad=plane.grad,
        window=((float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1]))),
        start=(0.0, 0.0), minima=((float(star[0]), float(star[1])),), log_levels=False)


def payload(view: WeightView, lecture: bool = False) -> bytes:
    """The explorer chart's blob for `view`: contours of L on the plane, both runs, θ*
    as the star; no sliders (the settings are the page's fields)."""
    window = view.surface.window
    header = explorer_payload.heading(view.surface)
    header["formula"] = "L = ‖Xθ − y‖² / 2n"
    # The plane's coordinates: a along θ0 → θ*, b across it.
    header["axes"], header["value_name"] = ["a (towards θ*)", "b"], "L"
    header["view"] = [list(window[0]), list(window[1])]
    header["contours"], arrays = explorer_payload.surface_contours(view.surface, window)
    steps = max(t.steps for t in view.runs)
    header["runs"], run_data = explorer_payload.run_part(view.runs, steps, [1], window)
    arrays.update(run_data)
    # No sliders, no start to drag: the settings are the page's fields.
    header.update(focus=0, sliders=[], families={}, start=None, lecture=bool(lecture))
    return packing.pack(header, arrays)
