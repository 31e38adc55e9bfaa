"""Families of one run: the explorer's previews while a slider or the start is dragged.

The chart draws the focused run as it would be at any slider position before the
user lets go, so Python computes it ahead, at a grid of values of each slider's
hyperparameter (lr, ε, β1, β2: those the optimizer takes) and from a lattice of start
points over the view, with every other setting as it is. All of it is one call of the
trajectory engine's batched, points-only path (`trajectory.run_points`): no Trajectory
per run, only the points at the kept steps:

    fam = compute(settings, view)          # a Families
    fam.sliders["lr"].points               # (K, P, 2) float32, NaN after divergence

Previews keep only P <= PREVIEW_STEPS evenly spread steps (`preview_steps`); the
runs the user commits are computed exactly, step by step, elsewhere. With gradient
noise (`settings.noise`) every member is given the request's own draws (`optviz.noise`:
common random numbers), so the member at the run's own value is the run, point for
point, and a drag changes the hyperparameter, not the noise.

Speed (651 runs of Adam: its 4 sliders' 210 values and 21 x 21 starts;
benchmarks/explorer_payload.py, 2 busy CPUs), compiled loop / NumPy loop: ~1 / ~3 ms
for the default view (Adam, 20 steps), ~11 / ~30 ms for 300 steps on Rosenbrock,
~25 / ~180 ms for 5,000 steps. Before `run_points` it was ~17 ms for
the default view whichever loop ran: one Trajectory per run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from optviz import rules, trajectory
from optviz.settings import TrajectorySettings
from optviz.surfaces import Window


def _decades(first: int, last: int, mantissas: tuple[float, ...]) -> tuple[float, ...]:
    """m·10^e for e in first..last-1 and each mantissa, then 10^last: decimal values
    exactly as typed (float("4e-1") == 0.4), so a slider's value reads and links cleanly."""
    return tuple(float(f"{m}e{e}") for e in range(first, last) for m in mantissas) + (
        float(f"1e{last}"),)


@dataclass(frozen=True)
class SliderRange:
    """Where a hyperparameter's slider goes: its values, ascending, and their spacing.

    The slider's positions are these values, each one a run the families compute: a
    released slider rests on a value whose exact run the browser already holds.
    """

    values: tuple[float, ...]
    scale: str  # "log" (lr, ε: their useful values span decades) or "linear"

    @property
    def low(self) -> float:
        return self.values[0]

    @property
    def high(self) -> float:
        return self.values[-1]

    def grid(self, count: int | None = None, value: float | None = None) -> np.ndarray:
        """The values (`count` of them, evenly thinned, for tests), with `value` added
        where it is not one of them: a link may set β2 = 0.9999 or η = 0.41, and the
        slider then rests where the run is rather than rounding it."""
        values = np.array(self.values)
        if count is not None and count < len(values):
            values = values[np.unique(np.linspace(0, len(values) - 1, count).round().astype(int))]
        if value is not None and float(value) not in values:
            values = np.sort(np.append(values, float(value)))
        return values

    def bounds(self, value: float | None = None) -> tuple[float, float]:
        """(low, high), widened to include `value`."""
        if value is None:
            return self.low, self.high
        return min(self.low, float(value)), max(self.high, float(value))


# The sliders, in the chart's order. Every preset's and default value is one of the
# values (tests/test_families.py), and each end is a value `rules.BOUNDS` allows: β
# below 1, lr and ε above 0. β steps by 0.025 up to 0.975, then takes the values near 1
# that matter (0.99, 0.995, 0.999); η takes 10 values a decade, ε 4.
_BETAS = tuple(round(0.025 * k, 3) for k in range(40)) + (0.99, 0.995, 0.999)
SLIDERS: dict[str, SliderRange] = {
    "lr": SliderRange(_decades(-5, 2, (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8)), "log"),
    "eps": SliderRange(_decades(-10, 3, (1, 2, 3, 5)), "log"),
    "beta1": SliderRange(_BETAS, "linear"),
    "beta2": SliderRange(_BETAS, "linear"),
}
LATTICE_SIZE = 21  # starts per axis of the view
PREVIEW_STEPS = 300  # at most this many steps of each preview


def slider_params(optimizer: str) -> tuple[str, ...]:
    """The slider hyperparameters `optimizer` takes, in the sliders' order."""
    tunable = rules.get_rule(optimizer).tunable
    return tuple(p for p in SLIDERS if p in tunable)


def preview_steps(steps: int, limit: int = PREVIEW_STEPS) -> np.ndarray:
    """At most `limit` steps of 0..steps, evenly spread, always 0 and `steps`; int32."""
    count = max(min(int(steps) + 1, int(limit)), 2 if steps > 0 else 1)
    # Spacing >= 1 once count <= steps + 1, so rounding never merges two steps.
    return np.round(np.linspace(0, steps, count)).astype(np.int32)


def lattice(view: Window, size: int = LATTICE_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """`size` evenly spaced starts along each axis of `view`, edges included."""
    (x0, x1), (y0, y1) = view
    return np.linspace(x0, x1, size), np.linspace(y0, y1, size)


@dataclass(frozen=True)
class SliderFamily:
    """The focused run at each of a slider's grid values."""

    param: str
    values: np.ndarray  # (K,) ascending
    points: np.ndarray  # (K, P, 2) float32: x at the kept steps, NaN after divergence


@dataclass(frozen=True)
class Families:
    """Previews of one run, all at the same kept steps."""

    steps: np.ndarray  # (P,) int32
    sliders: dict[str, SliderFamily]  # by param, in the sliders' order
    x1: np.ndarray  # (N1,) lattice starts along x1, ascending
    x2: np.ndarray  # (N2,)
    starts: np.ndarray  # (N2, N1, P, 2) float32: the run from (x1[i], x2[j]) at [j, i]


def compute(settings: TrajectorySettings, view: Window | None = None, focus: int = 0, *,
            grid: int | None = None, lattice_size: int = LATTICE_SIZE,
            preview: int = PREVIEW_STEPS, engine: str = "auto") -> Families:
    """The families of run `focus` of `settings`, in one call of the engine.

    view: where the lattice of starts lies (default: the surface's window).
    grid: fewer values per slider than its own (tests); default: all of them.
    engine: as `trajectory.run`'s; "auto" takes the compiled loop once it is warm.
    """
    surface = settings.get_surface()
    optimizer = settings.optimizers[focus]
    hyper = settings.hyperparams(focus)
    start = settings.start_point()
    name = optimizer.name
    params = slider_params(name)
    values = {p: SLIDERS[p].grid(grid, getattr(hyper, p)) for p in params}
    x1, x2 = lattice(view or surface.window, lattice_size)

    # One batch: each slider's grid (every other value the run's), then the lattice of
    # starts, row by row; the engine keeps only the points, at the kept steps.
    ends = np.cumsum([0] + [len(values[p]) for p in params])
    sweep = int(ends[-1])
    varied = {}
    for i, p in enumerate(params):
        varied[p] = np.full(sweep + len(x1) * len(x2), float(getattr(hyper, p)))
        varied[p][ends[i]:ends[i + 1]] = values[p]
    lattice_x1, lattice_x2 = np.meshgrid(x1, x2)
    starts = np.concatenate([np.broadcast_to(start, (sweep, 2)),
                             np.stack([lattice_x1.ravel(), lattice_x2.ravel()], axis=1)])
    kept = preview_steps(settings.steps, preview)
    points = trajectory.run_points(surface, name, hyper._replace(**varied), starts,
                                   settings.steps, kept, settings.bound, engine,
                                   noise=settings.noise, seed=settings.seed)
    sliders = {p: SliderFamily(p, values[p], points[ends[i]:ends[i + 1]])
               for i, p in enumerate(params)}
    return Families(kept, sliders, x1, x2,
                    points[sweep:].reshape(len(x2), len(x1), len(kept), 2))
