"""The axes of a hyperparameter sweep as a person asks for them, and its results in words.

* `axis_values(param, low, high, count, spacing)`: the values of one axis of a grid,
  or SettingsError with one line a student understands. Spacing "log" (geometric,
  for lr and ε), "linear", or "log1m": geometric in 1 − β, for β1 and β2, so that
  0.9, 0.99, 0.999 are evenly apart, as they are in effect (1 / (1 − β) is the
  number of past gradients an average remembers).
* `guess_spacing` (the spacing of given values) and `axis_coordinate` (values where
  their axis draws them), for the heat map (`optviz.plots.sweep`).
* `best_setting`, `describe_setting`: the best result, and a setting in words.

    g = sweep.grid("lr", axis_values("lr", 1e-4, 1, 9, "log"),
                   "beta1", axis_values("beta1", 0.5, 0.999, 7, "log1m"))
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from optviz import settings, sweep
from optviz.validate import SettingsError, label, num, show, whole

MIN_VALUES, MAX_VALUES = 2, 100  # values per axis
SPACINGS = ("log", "linear", "log1m")
SPACING_NAMES = {"log": "log", "linear": "linear", "log1m": "log of 1 − β"}
BETAS = ("beta1", "beta2")

# (min, max, number of values, spacing) of each axis before the user changes it: wide
# enough to show where Adam works and where it does not, around the chapter's values
# (lr 0.01, β1 0.9, β2 0.999, ε 1e-6).
DEFAULT_AXES: dict[str, tuple[float, float, int, str]] = {
    "lr": (1e-4, 1.0, 25, "log"),
    "beta1": (0.5, 0.999, 20, "log1m"),
    "beta2": (0.9, 0.99999, 20, "log1m"),
    "eps": (1e-10, 1e-1, 19, "log"),
}


def spacings(param: str) -> tuple[str, ...]:
    """The spacings offered for `param`, the default first."""
    return ("log1m", "linear") if param in BETAS else ("log", "linear")


def _finite(value: Any, what: str) -> float:
    """A finite float from a number or from text as typed ("1e-4", " 0.9 ")."""
    if isinstance(value, str):
        try:
            x = float(value.strip())
        except ValueError:
            shown = show(value.strip()) if value.strip() else "nothing"
            raise SettingsError(f"{what} must be a number, got {shown}") from None
    elif isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise SettingsError(f"{what} must be a number, got {show(value)}")
    else:
        x = float(value)
    if not math.isfinite(x):
        raise SettingsError(f"{what} must be a finite number, got {num(x)}")
    return x


def axis_values(param: str, low: Any, high: Any, count: Any,
                spacing: str = "log") -> tuple[float, ...]:
    """`count` values of hyperparameter `param` from `low` to `high` (both included).

    `low` and `high` may be numbers or text as a user typed it ("1e-4").

    Raises SettingsError, one message at a time, for: a parameter that cannot be
    swept, a spacing it does not take, a count outside 2..100, min or max not finite,
    min ≥ max, values ≤ 0 on a log axis, values outside the hyperparameter's range.
    """
    if param not in sweep.SWEEPABLE:
        raise SettingsError(f"Cannot sweep {show(param)}; choose two of: "
                            f"{', '.join(sweep.SWEEPABLE)}")
    name = label(param)
    if spacing not in spacings(param):
        raise SettingsError(f"{name} takes spacing {' or '.join(map(repr, spacings(param)))}, "
                            f"not {show(spacing)}")
    lo = _finite(low, f"{name}: min")
    hi = _finite(high, f"{name}: max")
    try:
        n = whole(count, "count", MIN_VALUES, MAX_VALUES)
    except SettingsError:
        raise SettingsError(f"Number of values of {name} must be a whole number from "
                            f"{MIN_VALUES} to {MAX_VALUES}, got {show(count)}") from None
    if lo >= hi:
        raise SettingsError(f"{name}: min ({num(lo)}) must be below max "
                            f"({num(hi)})")
    if spacing == "log" and lo <= 0:
        raise SettingsError(f"{name}: a log axis needs values above 0, got min "
                            f"{num(lo)}; use linear spacing or a positive min")
    for x in (lo, hi):
        settings.check_hyper(param, x)  # e.g. "β1 must be in [0, 1), got 1"
    if spacing == "log":
        values = np.geomspace(lo, hi, n)
    elif spacing == "log1m":
        values = 1.0 - np.geomspace(1.0 - lo, 1.0 - hi, n)
    else:
        values = np.linspace(lo, hi, n)
    values[0], values[-1] = lo, hi  # exactly as typed
    out = tuple(float(v) for v in values)
    if len(set(out)) < n:
        raise SettingsError(f"{name}: {n} values from {num(lo)} to "
                            f"{num(hi)} are not all different; widen the range")
    return out


def guess_spacing(param: str, values: Sequence[float]) -> str:
    """The spacing of `values`: "log1m", "log" or "linear" (two values: the default)."""
    v = np.asarray(values, dtype=float)
    if len(v) < 3:
        return spacings(param)[0] if len(v) == 2 and _fits(param, spacings(param)[0], v) \
            else "linear"
    for spacing in ("log1m", "log", "linear"):
        if _fits(param, spacing, v):
            return spacing
    return "linear"


def _fits(param: str, spacing: str, v: np.ndarray) -> bool:
    if spacing == "log1m" and (param not in BETAS or (v >= 1).any()):
        return False
    if spacing == "log" and (v <= 0).any():
        return False
    t = _forward(spacing, v)
    steps = np.diff(t)
    return bool(len(steps) == 0 or np.allclose(steps, steps[0], rtol=1e-6, atol=1e-12))


def _forward(spacing: str, v: np.ndarray) -> np.ndarray:
    """Values to the space where they are evenly spaced."""
    if spacing == "log":
        return np.log10(v)
    if spacing == "log1m":
        return np.log10(1.0 - v)
    return np.asarray(v, dtype=float)


def axis_coordinate(spacing: str, v: np.ndarray) -> np.ndarray:
    """Values to plot coordinates: 1 − β on a log1m axis (drawn reversed), else as is."""
    return 1.0 - v if spacing == "log1m" else np.asarray(v, dtype=float)


def format_value(x: float) -> str:
    """A hyperparameter value as a person reads it: 0.001, 0.999, 3.16e-05."""
    return f"{x:.4g}"


# ---------------------------------------------------------------------- results


def best_setting(final_loss: np.ndarray, diverged: np.ndarray) -> int | None:
    """The setting of least final loss among those that did not diverge, or None."""
    loss = np.asarray(final_loss, dtype=float)
    ok = ~np.asarray(diverged, dtype=bool) & np.isfinite(loss)
    if not ok.any():
        return None
    return int(np.flatnonzero(ok)[np.argmin(loss[ok])])


def describe_setting(grid: sweep.Grid, s: int) -> str:
    """"Learning rate = 0.01, β1 = 0.9": the swept values of setting s."""
    iy, ix = divmod(int(s), len(grid.values_x))
    return (f"{label(grid.param_x)} = {format_value(grid.values_x[ix])}, "
            f"{label(grid.param_y)} = {format_value(grid.values_y[iy])}")
