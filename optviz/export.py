"""Trajectories as CSV, for a spreadsheet or pandas (`csv` module only).

One row per run and step, with the columns

    run, label, optimizer, step, x1, x2, f, g1, g2, dx1, dx2,
    g_noisy_1, g_noisy_2                       (only with gradient noise)
    <state field>_1, <state field>_2, ...      (Adam: m_1, m_2, v_1, v_2, v_max_1, ...)
    <explained field>_1, <explained field>_2   (Adam: m_hat_1, ..., step_size_2)

Row `step` = k holds the point x_k, f(x_k), the gradient g = ∇f(x_k), Δx_k = x_k − x_{k−1}
(0 at k = 0) and the state after step k, so the same row indices as `Trajectory`; with
gradient noise, g_noisy = ∇f(x_k) + σ ξ_k, what the optimizer was given at x_k (blank in
the last row: no step is taken from there).
`run` counts from 1 in the order given. Columns are the union over all runs (in order
of first appearance); a run without a field leaves it blank, and so does NaN (the
derived quantities at step 0). A diverged run stops at its last good point.

`results_csv`: a sweep's results, one row per setting.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from optviz.records import RunRecord
from optviz.trajectory import Trajectory

if TYPE_CHECKING:  # optviz.sweep imports torch, which exporting trajectories never needs
    from optviz.sweep import Grid

BASE_COLUMNS = ("run", "label", "optimizer", "step", "x1", "x2", "f", "g1", "g2", "dx1", "dx2")


def _cell(x: float) -> str:
    # repr is the shortest text that reads back as the same float.
    x = float(x)
    return "" if math.isnan(x) else repr(x)


def _per_coordinate(trajectories: Sequence[Trajectory], kind: str) -> list[str]:
    names = dict.fromkeys(k for t in trajectories for k in getattr(t, kind))
    return [f"{k}_{i}" for k in names for i in (1, 2)]


def trajectories_csv(trajectories: Sequence[Trajectory]) -> str:
    """The runs as CSV text (header row first, "\\r\\n" line ends as `csv` writes)."""
    trajectories = list(trajectories)
    noisy = ["g_noisy_1", "g_noisy_2"] if any(t.noisy_grads is not None
                                              for t in trajectories) else []
    extra = (noisy + _per_coordinate(trajectories, "state")
             + _per_coordinate(trajectories, "explained"))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*BASE_COLUMNS, *extra], restval="")
    writer.writeheader()
    for r, t in enumerate(trajectories, start=1):
        fields = {**({} if t.noisy_grads is None else {"g_noisy": t.noisy_grads}),
                  **t.state, **t.explained}
        deltas = t.deltas
        for k in range(len(t.points)):
            row = {"run": r, "label": t.run.label, "optimizer": t.run.optimizer, "step": k,
                   "x1": _cell(t.points[k, 0]), "x2": _cell(t.points[k, 1]),
                   "f": _cell(t.values[k]), "g1": _cell(t.grads[k, 0]),
                   "g2": _cell(t.grads[k, 1]), "dx1": _cell(deltas[k, 0]),
                   "dx2": _cell(deltas[k, 1])}
            for name, a in fields.items():
                row[f"{name}_1"], row[f"{name}_2"] = _cell(a[k, 0]), _cell(a[k, 1])
            writer.writerow(row)
    return out.getvalue()


def results_csv(grid: Grid, final_loss: np.ndarray, diverged: np.ndarray) -> str:
    """One row per setting: setting, optimizer, x, y, final_loss, diverged (exact floats)."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["setting", "optimizer", grid.param_x, grid.param_y, "final_loss", "diverged"])
    cols = grid.columns()
    for s in range(grid.size):
        w.writerow([s, grid.optimizer, repr(float(cols[grid.param_x][s])),
                    repr(float(cols[grid.param_y][s])), repr(float(final_loss[s])),
                    str(bool(diverged[s])).lower()])
    return out.getvalue()


def run_log_csv(runs: Sequence[RunRecord]) -> str:
    """Training runs as CSV: one row per run and log point, columns run, epoch, loss
    (the run's label; numbers as `repr`, which reads back as the same float)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["run", "epoch", "loss"])
    for run in runs:
        for epoch, loss in zip(run.epochs, run.losses, strict=True):
            writer.writerow([run.label, repr(epoch), repr(loss)])
    return out.getvalue()
