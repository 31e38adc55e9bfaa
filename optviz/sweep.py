"""Hyperparameter sweeps: a grid of settings trained together as one computation.

A grid over two of lr, β1, β2 and ε holds S = len(values_x) · len(values_y) settings;
setting s = iy · nx + ix takes values_x[ix] and values_y[iy], so results reshape to
(ny, nx) for a heat map. All settings start from the same θ0 and see the same batches
as one `optviz.trainer.Trainer` run with the same seed, so each row of the sweep is
that run. θ becomes (S, d + 1) and the two swept hyperparameters (S, 1) tensors,
passed straight into the rule of `optviz.rules`; each step costs two matmuls for all
settings (r = θ X_Bᵀ − y_B, ∇ = r X_B / B) and one rule call (`engines.TensorEngine`).

A setting whose logged loss is ever non-finite or above `trainer.DIVERGED_LOSS` is
marked diverged; nothing is raised, and its NaNs do not touch the other rows.

    g = grid("lr", [1e-3, 1e-2, 1e-1], "beta1", [0.8, 0.9, 0.99])
    s = Sweep(optviz.data.load_airfoil(), g).fit()
    s.final_loss.reshape(g.shape), s.diverged
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from optviz import defaults, loop, rules, settings, trainer
from optviz.engines import TensorEngine
from optviz.validate import SettingsError, env_int, label, show

SWEEPABLE = ("lr", "beta1", "beta2", "eps")
# Settings per sweep. 10,000 × 2 epochs of the airfoil data take about a second on
# one CPU core, and memory is a few (S, d + 1) float32 arrays plus the (S, logs) curves.
MAX_SWEEP = env_int("OPTVIZ_MAX_SWEEP", 10_000)


@dataclass(frozen=True)
class Grid:
    """A validated grid of settings of one optimizer (build it with `grid`)."""

    optimizer: str
    param_x: str
    values_x: tuple[float, ...]
    param_y: str
    values_y: tuple[float, ...]
    base: settings.FrozenMapping  # the other hyperparameters (validated overrides)

    @property
    def shape(self) -> tuple[int, int]:
        """(ny, nx): results reshape to rows of y, columns of x."""
        return len(self.values_y), len(self.values_x)

    @property
    def size(self) -> int:
        return len(self.values_x) * len(self.values_y)

    def columns(self) -> dict[str, np.ndarray]:
        """The swept values of each setting, s = iy · nx + ix: {param: (S,) array}."""
        ys, xs = np.meshgrid(self.values_y, self.values_x, indexing="ij")
        return {self.param_x: xs.ravel(), self.param_y: ys.ravel()}

    def setting(self, s: int) -> dict[str, Any]:
        """The hyperparameter overrides of setting s, as `Trainer(hyper=...)` takes them."""
        iy, ix = divmod(s, len(self.values_x))
        return {**self.base, self.param_x: self.values_x[ix], self.param_y: self.values_y[iy]}


def _values(values: Any, param: str) -> tuple[float, ...]:
    what = label(param)
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Sequence | np.ndarray):
        raise SettingsError(f"Values of {what} must be a list of numbers, "
                            f"got {show(values)}")
    if len(values) == 0:
        raise SettingsError(f"Give at least one value of {what}")
    return tuple(float(settings.check_hyper(param, v)) for v in values)


def grid(param_x: str, values_x: Sequence[float], param_y: str, values_y: Sequence[float],
         base_hyper: Mapping[str, Any] | None = None, optimizer: str = "adam") -> Grid:
    """The grid values_x × values_y of hyperparameters param_x, param_y (two of SWEEPABLE).

    `base_hyper` sets the optimizer's other hyperparameters (over the trainer defaults in
    `optviz.defaults`; the swept two override it). At most MAX_SWEEP settings (env
    OPTVIZ_MAX_SWEEP).
    """
    name = settings.optimizer_name(optimizer)
    params = []
    for p in (param_x, param_y):
        if not (isinstance(p, str) and p in SWEEPABLE):
            raise SettingsError(f"Cannot sweep {show(p)}; choose two of: "
                                f"{', '.join(SWEEPABLE)}")
        if p not in rules.RULES[name].tunable:
            raise SettingsError(settings.inapplicable_message(p, [name]))
        params.append(p)
    if params[0] == params[1]:
        raise SettingsError(f"Sweep two different hyperparameters, not {params[0]} twice")
    xs, ys = _values(values_x, param_x), _values(values_y, param_y)
    if len(xs) * len(ys) > MAX_SWEEP:
        raise SettingsError(f"The grid has {len(xs) * len(ys):,} settings ({len(xs)} × "
                            f"{len(ys)}); the limit is {MAX_SWEEP:,}")
    base = settings.OptimizerSettings(name, base_hyper or {}).hyper  # validated
    return Grid(name, param_x, xs, param_y, ys, base)


@dataclass(frozen=True)
class SweepProgress:
    """One log point of a sweep."""

    fraction: float  # of all steps, 0 to 1
    examples: int  # examples seen so far by each setting
    elapsed: float  # seconds of training so far (time spent by the consumer excluded)


class Sweep:
    """Every setting of `grid` trained at once; validated on construction, `run()` streams.

    `batch_size`, `epochs`, `log_every`, `seed`, `device` and `stop` as `trainer.Trainer`.
    While and after `run()`: `examples` (the log points), `curves` (S, len(examples))
    float64 losses, `final_loss` (S,), `diverged` (S,) bool, `seconds`, `stopped`.
    """

    def __init__(self, dataset, grid: Grid, *, batch_size: int = defaults.TRAIN_BATCH_SIZE,
                 epochs: int = defaults.TRAIN_EPOCHS,
                 log_every: int = defaults.TRAIN_LOG_EVERY, seed: int = 0,
                 device: str = "cpu", stop=None):
        if not isinstance(grid, Grid):
            raise SettingsError(f"A sweep needs a Grid from optviz.sweep.grid, got "
                                f"{show(grid)}")
        # Validated as a Trainer would: one setting of the grid stands for all.
        one = trainer.Trainer(dataset, optimizer=grid.optimizer, hyper=grid.setting(0),
                              batch_size=batch_size, epochs=epochs, log_every=log_every,
                              seed=seed, device=device, engine="tensor")
        self.grid, self.stop = grid, stop
        self.X, self.y, self.n, self.device = one.X, one.y, one.n, one.device
        self.batch_size, self.epochs, self.log_every, self.seed = (
            one.batch_size, one.epochs, one.log_every, one.seed)
        self.hp = one.hp
        self.examples: list[int] = []
        self._curves: list[np.ndarray] = []
        self.sec_per_epoch: list[float] = []
        self.seconds = 0.0
        self.stopped = False

    @property
    def curves(self) -> np.ndarray:
        """(S, logs): the whole-set loss of each setting at each log point."""
        if not self._curves:
            return np.empty((self.grid.size, 0))
        return np.stack(self._curves, axis=1)

    @property
    def final_loss(self) -> np.ndarray:
        return self.curves[:, -1] if self._curves else np.full(self.grid.size, np.nan)

    @property
    def diverged(self) -> np.ndarray:
        c = self.curves
        with np.errstate(invalid="ignore"):
            return ~(np.isfinite(c) & (c <= trainer.DIVERGED_LOSS)).all(axis=1)

    def run(self) -> Iterator[SweepProgress]:
        """Train every setting from the start, yielding SweepProgress at each log point."""
        gen = torch.Generator().manual_seed(self.seed)
        theta = trainer.initial_theta(gen, self.X.shape[1] - 1).to(self.device)
        X = torch.from_numpy(self.X).to(self.device)
        y = torch.from_numpy(self.y).to(self.device)
        S = self.grid.size
        columns = {k: torch.tensor(v, dtype=X.dtype, device=self.device)[:, None]
                   for k, v in self.grid.columns().items()}  # (S, 1) hyperparameters
        hp = self.hp._replace(**columns)
        engine = TensorEngine(rules.RULES[self.grid.optimizer], hp, X, y, theta.repeat(S, 1),
                              self.batch_size)
        self.examples, self._curves, self.sec_per_epoch = [], [], []
        self.stopped, self.seconds = False, 0.0
        points = loop.drive(engine, n=self.n, batch_size=self.batch_size, epochs=self.epochs,
                            log_every=self.log_every, gen=gen, stop=self.stop,
                            sec_per_epoch=self.sec_per_epoch)
        yield from loop.stream(points, self._record, self._finish)

    def _record(self, point: tuple[int, float, torch.Tensor]) -> SweepProgress:
        examples, elapsed, losses = point
        self.examples.append(examples)
        self._curves.append(losses.cpu().numpy())
        self.seconds = elapsed
        return SweepProgress(examples / (self.epochs * self.n), examples, elapsed)

    def _finish(self, stopped: bool) -> None:
        self.stopped = stopped

    def fit(self) -> Sweep:
        """Run to the end (or until stopped) and return self."""
        for _ in self.run():
            pass
        return self

