"""Hyperparameter sweeps for people: the axes a user asks for, the heat map, the CSV.

The sweep page is thin; what it validates and draws lives here (no Streamlit):

* `axis_values(param, low, high, count, spacing)`: the values of one axis of a grid,
  or SettingsError with one line a student understands. Spacing "log" (geometric,
  for lr and ε), "linear", or "log1m": geometric in 1 − β, for β1 and β2, so that
  0.9, 0.99, 0.999 are evenly apart, as they are in effect (1 / (1 − β) is the
  number of past gradients an average remembers).
* `sweep_heatmap(grid, final_loss, diverged)`: a plotly heat map of log10(final loss)
  over the two swept hyperparameters, diverged settings grey with a ×, the best one
  starred and named in the subtitle.
* `best_setting`, `describe_setting`, `results_csv`.

    g = sweep.grid("lr", axis_values("lr", 1e-4, 1, 9, "log"),
                   "beta1", axis_values("beta1", 0.5, 0.999, 7, "log1m"))
    s = sweep.Sweep(data.load_airfoil(), g).fit()
    sweep_heatmap(g, s.final_loss, s.diverged).show()
"""

from __future__ import annotations

import csv
import io
import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from optviz import rules, settings, sweep
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

FONT = {"family": "Inter, Helvetica Neue, Arial, sans-serif", "size": 16, "color": "#222"}
COLORSCALE = "Viridis_r"  # low loss bright yellow, high loss dark blue
DIVERGED_COLOR = "#b8b8b8"
DIVERGED_NAME = "diverged"
BEST_NAME = "best"


# ------------------------------------------------------------------------- axes


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


def _coordinate(spacing: str, v: np.ndarray) -> np.ndarray:
    """Values to plot coordinates: 1 − β on a log1m axis (drawn reversed), else as is."""
    return 1.0 - v if spacing == "log1m" else np.asarray(v, dtype=float)


def _edges(spacing: str, values: Sequence[float]) -> np.ndarray:
    """The len + 1 cell edges around `values`, in plot coordinates."""
    v = np.asarray(values, dtype=float)
    if spacing == "linear":
        if len(v) == 1:
            half = abs(v[0]) * 0.1 or 0.5
            return np.array([v[0] - half, v[0] + half])
        mid = (v[1:] + v[:-1]) / 2
        return np.concatenate([[2 * v[0] - mid[0]], mid, [2 * v[-1] - mid[-1]]])
    t = np.log10(_coordinate(spacing, v))  # log axis in plot coordinates
    if len(t) == 1:
        e = np.array([t[0] - 0.5, t[0] + 0.5])
    else:
        mid = (t[1:] + t[:-1]) / 2
        e = np.concatenate([[2 * t[0] - mid[0]], mid, [2 * t[-1] - mid[-1]]])
    return 10.0 ** e


def _show(x: float) -> str:
    """A hyperparameter value as a person reads it: 0.001, 0.999, 3.16e-05."""
    return f"{x:.4g}"


def _loss_text(v: float) -> str:
    return f"{v:,.0f}" if v >= 1e4 else f"{v:.4g}"


def _log_ticks(lo: float, hi: float, want: int = 3, most: int = 9) -> list[float]:
    """Round ticks from lo to hi (> 0) for a log scale: decades, else 1-2-5, else finer."""
    lo, hi = min(lo, hi), max(lo, hi)
    decades = range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1)
    ticks: list[float] = []
    for mantissas in ((1,), (1, 2, 5), (1, 2, 3, 5, 7)):
        ticks = [float(f"{m * 10.0 ** k:.12g}") for k in decades for m in mantissas]
        ticks = [t for t in ticks if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]
        if len(ticks) >= want:
            break
    if len(ticks) > most:  # many decades: every other one (or third ...)
        ticks = ticks[::math.ceil(len(ticks) / most)]
    if len(ticks) < 2:
        ticks = sorted({lo, hi})
    return ticks


def _loss_ticks(zmin: float, zmax: float) -> tuple[list[float], list[str]]:
    """Colour bar ticks for log10(loss) from zmin to zmax, labelled in loss."""
    if zmax - zmin < 1e-9:
        return [zmin], [_loss_text(10.0 ** zmin)]
    ticks = _log_ticks(10.0 ** zmin, 10.0 ** zmax, want=4)
    return [math.log10(t) for t in ticks], [_loss_text(t) for t in ticks]


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
    return (f"{label(grid.param_x)} = {_show(grid.values_x[ix])}, "
            f"{label(grid.param_y)} = {_show(grid.values_y[iy])}")


def results_csv(grid: sweep.Grid, final_loss: np.ndarray, diverged: np.ndarray) -> str:
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


# ------------------------------------------------------------------------ figure


def sweep_heatmap(grid: sweep.Grid, final_loss: Sequence[float], diverged: Sequence[bool],
                  title: str = "", *, spacing: tuple[str, str] | None = None,
                  height: int = 620) -> go.Figure:
    """A heat map of the final loss over the grid: colour log10(loss), ticks in loss.

    x and y are the swept hyperparameters: log axes where the values are log-spaced,
    and for β spaced as 1 − β a log axis of 1 − β drawn reversed and labelled in β.
    Diverged settings are grey with a × (legend "diverged"); the best one has a star,
    named in the subtitle. `spacing` (x, y) is guessed from the values if not given.
    """
    loss = np.asarray(final_loss, dtype=float).reshape(grid.shape)
    bad = np.asarray(diverged, dtype=bool).reshape(grid.shape) | ~np.isfinite(loss)
    sx, sy = spacing or (guess_spacing(grid.param_x, grid.values_x),
                         guess_spacing(grid.param_y, grid.values_y))
    vx, vy = np.asarray(grid.values_x), np.asarray(grid.values_y)
    cx, cy = _coordinate(sx, vx), _coordinate(sy, vy)  # cell centres, plot coordinates
    ex, ey = _edges(sx, vx), _edges(sy, vy)
    lx, ly = label(grid.param_x), label(grid.param_y)

    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(bad, np.nan, np.log10(np.maximum(loss, np.finfo(float).tiny)))
    names_x = [f"{lx} = {_show(v)}" for v in vx]
    names_y = [f"{ly} = {_show(v)}" for v in vy]
    hover = [[f"{names_x[ix]}<br>{names_y[iy]}<br>"
              + ("<b>diverged</b>" if bad[iy, ix] else f"final loss = {_loss_text(loss[iy, ix])}")
              for ix in range(len(vx))] for iy in range(len(vy))]

    traces: list[Any] = []
    finite = z[np.isfinite(z)]
    if finite.size:
        zmin, zmax = float(finite.min()), float(finite.max())
        tickvals, ticktext = _loss_ticks(zmin, zmax)
        traces.append(go.Heatmap(
            x=ex, y=ey, z=z, text=hover, hovertemplate="%{text}<extra></extra>",
            colorscale=COLORSCALE, zmin=zmin, zmax=zmax if zmax > zmin else zmin + 1e-9,
            hoverongaps=False, name="final loss", xgap=0, ygap=0,
            colorbar={"title": {"text": "final loss", "side": "top"}, "tickvals": tickvals,
                      "ticktext": ticktext, "tickfont": {"size": 14}, "thickness": 18,
                      "outlinewidth": 0, "len": 0.8, "y": 0, "yanchor": "bottom"},
        ))
    if bad.any():
        iy, ix = np.nonzero(bad)
        traces.append(go.Heatmap(
            x=ex, y=ey, z=np.where(bad, 1.0, np.nan), text=hover,
            hovertemplate="%{text}<extra></extra>", hoverongaps=False, showscale=False,
            colorscale=[[0, DIVERGED_COLOR], [1, DIVERGED_COLOR]], name="diverged cells",
        ))
        size = int(np.clip(360 / max(len(vx), len(vy)), 5, 16))
        traces.append(go.Scatter(
            x=cx[ix], y=cy[iy], mode="markers", name=DIVERGED_NAME, hoverinfo="skip",
            marker={"symbol": "x-thin", "size": size, "line": {"width": 2, "color": "#444"},
                    "color": "#444"},
        ))
    best = best_setting(loss.ravel(), bad.ravel())
    subtitle = "every setting diverged"
    if best is not None:
        by, bx = divmod(best, len(vx))
        subtitle = (f"★ best: {describe_setting(grid, best)}, "
                    f"final loss {_loss_text(loss[by, bx])}")
        traces.append(go.Scatter(
            x=[cx[bx]], y=[cy[by]], mode="markers", name=BEST_NAME, hoverinfo="skip",
            marker={"symbol": "star", "size": 24, "color": "#e6194b",
                    "line": {"width": 1.5, "color": "white"}},
        ))

    def axis(param: str, spacing_: str, edges: np.ndarray, values: np.ndarray) -> dict:
        a = {"title": {"text": label(param), "font": {"size": 18, "color": "#222"},
                       "standoff": 8},
             "tickfont": {"size": 15, "color": "#222"}, "showgrid": False, "zeroline": False,
             "ticks": "outside", "showline": True, "linecolor": "#555", "mirror": True}
        lo, hi = float(edges.min()), float(edges.max())
        if spacing_ == "linear":
            a.update(type="linear", range=[lo, hi])
            return a
        c = _coordinate(spacing_, values)
        ticks = _log_ticks(float(c.min()), float(c.max()))
        # The ends too (e.g. β1 = 0.5), unless a round tick is near.
        for end in (float(c.min()), float(c.max())):
            if min(abs(math.log10(end / t)) for t in ticks) > 0.3:
                ticks = sorted([*ticks, end])
        a.update(type="log", range=[math.log10(lo), math.log10(hi)], tickvals=ticks)
        if spacing_ == "log1m":
            a["range"] = a["range"][::-1]  # β grows to the right, and up
            a["title"]["text"] += " (log scale of 1 − β)"
            a["ticktext"] = [_show(1.0 - t) for t in ticks]
        else:
            a["ticktext"] = [f"{t:g}" for t in ticks]
        return a

    heading = title or (f"Final loss of {rules.RULES[grid.optimizer].title} over "
                        f"{lx} × {ly}")
    fig = go.Figure(traces)
    fig.update_layout(
        template="plotly_white", height=int(height), font=FONT,
        title={"text": f"<b>{heading}</b>", "x": 0.5, "xanchor": "center",
               "font": {"size": 22}, "subtitle": {"text": subtitle, "font": {"size": 17}}},
        xaxis=axis(grid.param_x, sx, ex, vx), yaxis=axis(grid.param_y, sy, ey, vy),
        margin={"l": 80, "r": 20, "t": 100, "b": 70},
        # Above the colour bar, in the right margin: clear of the title and the cells.
        legend={"orientation": "v", "x": 1.01, "xanchor": "left", "y": 1.0,
                "yanchor": "top", "font": {"size": 15}, "bgcolor": "rgba(0,0,0,0)"},
        hoverlabel={"font": {"size": 15, "color": "#222"}, "bgcolor": "white",
                    "bordercolor": "#888"},
        plot_bgcolor="white",
        showlegend=True,
    )
    return fig
