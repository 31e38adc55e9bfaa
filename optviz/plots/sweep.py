"""The sweep's heat map: the final loss over two swept hyperparameters.

    g = sweep.grid("lr", axis_values("lr", 1e-4, 1, 9, "log"),
                   "beta1", axis_values("beta1", 0.5, 0.999, 7, "log1m"))
    s = sweep.Sweep(data.load_airfoil(), g).fit()
    sweep_heatmap(g, s.final_loss, s.diverged).show()

Colour is log10(final loss), with colour bar ticks labelled in loss; diverged settings
are grey with a ×, the best one starred and named in the subtitle. When every setting
that did not diverge ends within NARROW_RATIO of the best (`narrow_spread`), colour is
the percentage above the best instead, and the colour bar names the loss's range: a
spread of 0.2451 to 0.2465 then reads as "+0.6 %", not as the whole colour scale.
An invisible marker on each cell (trace CELLS_NAME, customdata the setting's index)
carries the hover text and makes a cell selectable by a click. The axes are those
of `optviz.sweep_axes`: log axes where the values are log-spaced, and for β spaced as
1 − β a log axis of 1 − β drawn reversed and labelled in β.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from optviz import rules, sweep
from optviz.plots.theme import FONT
from optviz.sweep_axes import (
    axis_coordinate,
    best_setting,
    describe_setting,
    format_value,
    guess_spacing,
)
from optviz.validate import label

COLORSCALE = "Viridis_r"  # low loss bright yellow, high loss dark blue
DIVERGED_COLOR = "#b8b8b8"
DIVERGED_NAME = "diverged"
BEST_NAME = "best"
CELLS_NAME = "cells"  # the clickable markers, one per setting
# Narrow: the worst setting that did not diverge is below NARROW_RATIO × the best's loss.
# Within 5 % the log colour scale would paint differences of a few thousandths of the
# loss as the whole range from dark to bright.
NARROW_RATIO = 1.05
SELECTED_COLOR = "#e6194b"


def narrow_spread(final_loss: Sequence[float], diverged: Sequence[bool]) -> float | None:
    """How far above the best the worst setting that did not diverge ends, as a fraction
    (0.006 for 0.2451 to 0.2465), if below NARROW_RATIO − 1; else (a wide range, no
    setting left, or a best loss of 0) None."""
    loss = np.asarray(final_loss, dtype=float).ravel()
    ok = ~np.asarray(diverged, dtype=bool).ravel() & np.isfinite(loss)
    if not ok.any():
        return None
    lo, hi = float(loss[ok].min()), float(loss[ok].max())
    if lo <= 0 or hi >= NARROW_RATIO * lo:
        return None
    return hi / lo - 1.0


def percent_text(fraction: float) -> str:
    """A relative difference as a person reads it: "+0.31 %", "+0.057 %", "+0 %"."""
    p = 100.0 * fraction
    return "+0 %" if p == 0 else f"+{p:.2g} %"


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
    cx, cy = axis_coordinate(sx, vx), axis_coordinate(sy, vy)  # cell centres, plot coordinates
    ex, ey = _edges(sx, vx), _edges(sy, vy)
    lx, ly = label(grid.param_x), label(grid.param_y)

    spread = narrow_spread(loss, bad)
    ok = ~bad
    best_loss = float(loss[ok].min()) if ok.any() else math.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        if spread is None:
            z = np.where(bad, np.nan, np.log10(np.maximum(loss, np.finfo(float).tiny)))
        else:  # percent above the best
            z = np.where(bad, np.nan, 100.0 * (loss / best_loss - 1.0))
    names_x = [f"{lx} = {format_value(v)}" for v in vx]
    names_y = [f"{ly} = {format_value(v)}" for v in vy]

    def cell_text(iy: int, ix: int) -> str:
        if bad[iy, ix]:
            return f"{names_x[ix]}<br>{names_y[iy]}<br><b>diverged</b>"
        text = f"{names_x[ix]}<br>{names_y[iy]}<br>final loss = {_loss_text(loss[iy, ix])}"
        if spread is not None:
            above = loss[iy, ix] / best_loss - 1.0
            text += " (the best)" if above == 0 else f" ({percent_text(above)} above the best)"
        return text

    hover = [[cell_text(iy, ix) for ix in range(len(vx))] for iy in range(len(vy))]

    traces: list[Any] = []
    finite = z[np.isfinite(z)]
    if finite.size:
        zmin, zmax = float(finite.min()), float(finite.max())
        if spread is None:
            tickvals, ticktext = _loss_ticks(zmin, zmax)
            bar_title = "final loss"
        else:
            tickvals = _percent_ticks(zmax)
            ticktext = ["best" if t == 0 else f"+{t:g} %" for t in tickvals]
            lo, hi = best_loss, float(loss[ok].max())
            bar_title = f"above the best<br>(loss {_loss_text(lo)}–{_loss_text(hi)})"
        traces.append(go.Heatmap(
            x=ex, y=ey, z=z, hoverinfo="skip",
            colorscale=COLORSCALE, zmin=zmin, zmax=zmax if zmax > zmin else zmin + 1e-9,
            hoverongaps=False, name="final loss", xgap=0, ygap=0,
            colorbar={"title": {"text": bar_title, "side": "top"}, "tickvals": tickvals,
                      "ticktext": ticktext, "tickfont": {"size": 14}, "thickness": 18,
                      "outlinewidth": 0, "len": 0.8, "y": 0, "yanchor": "bottom"},
        ))
    if bad.any():
        iy, ix = np.nonzero(bad)
        traces.append(go.Heatmap(
            x=ex, y=ey, z=np.where(bad, 1.0, np.nan), hoverinfo="skip", hoverongaps=False,
            showscale=False, colorscale=[[0, DIVERGED_COLOR], [1, DIVERGED_COLOR]],
            name="diverged cells",
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

    # One invisible marker per cell, drawn last: it carries the hover text (the nearest
    # cell's, anywhere in the plot: hoverdistance -1) and is what a click selects; the
    # selected one shows as an outlined square.
    cy_all, cx_all = np.meshgrid(cy, cx, indexing="ij")
    side = int(np.clip(240 / max(len(vx), len(vy)), 6, 24))  # within a cell, also on a phone
    traces.append(go.Scatter(
        x=cx_all.ravel(), y=cy_all.ravel(), mode="markers", name=CELLS_NAME,
        customdata=np.arange(grid.size), text=[t for row in hover for t in row],
        hovertemplate="%{text}<extra></extra>", showlegend=False,
        marker={"symbol": "square-open", "size": side, "opacity": 0,
                "color": SELECTED_COLOR, "line": {"width": 3}},
        selected={"marker": {"opacity": 1}}, unselected={"marker": {"opacity": 0}},
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
        c = axis_coordinate(spacing_, values)
        ticks = _log_ticks(float(c.min()), float(c.max()))
        # The ends too (e.g. β1 = 0.5), unless a round tick is near.
        for end in (float(c.min()), float(c.max())):
            if min(abs(math.log10(end / t)) for t in ticks) > 0.3:
                ticks = sorted([*ticks, end])
        a.update(type="log", range=[math.log10(lo), math.log10(hi)], tickvals=ticks)
        if spacing_ == "log1m":
            a["range"] = a["range"][::-1]  # β grows to the right, and up
            a["title"]["text"] += " (log scale of 1 − β)"
            a["ticktext"] = [format_value(1.0 - t) for t in ticks]
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
        hovermode="closest", hoverdistance=-1, clickmode="event+select",
        plot_bgcolor="white",
        showlegend=True,
    )
    return fig


# ---------------------------------------------------------- ticks and cell edges


def _edges(spacing: str, values: Sequence[float]) -> np.ndarray:
    """The len + 1 cell edges around `values`, in plot coordinates."""
    v = np.asarray(values, dtype=float)
    if spacing == "linear":
        if len(v) == 1:
            half = abs(v[0]) * 0.1 or 0.5
            return np.array([v[0] - half, v[0] + half])
        mid = (v[1:] + v[:-1]) / 2
        return np.concatenate([[2 * v[0] - mid[0]], mid, [2 * v[-1] - mid[-1]]])
    t = np.log10(axis_coordinate(spacing, v))  # log axis in plot coordinates
    if len(t) == 1:
        e = np.array([t[0] - 0.5, t[0] + 0.5])
    else:
        mid = (t[1:] + t[:-1]) / 2
        e = np.concatenate([[2 * t[0] - mid[0]], mid, [2 * t[-1] - mid[-1]]])
    return 10.0 ** e


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


def _percent_ticks(top: float, want: int = 4) -> list[float]:
    """Round ticks from 0 to `top` (percent), steps of 1, 2, 2.5 or 5 × a power of ten."""
    if not top > 0:
        return [0.0]
    raw = top / want
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    count = int(math.floor(top / step + 1e-9))
    return [float(f"{k * step:.12g}") for k in range(count + 1)]


def _loss_ticks(zmin: float, zmax: float) -> tuple[list[float], list[str]]:
    """Colour bar ticks for log10(loss) from zmin to zmax, labelled in loss."""
    if zmax - zmin < 1e-9:
        return [zmin], [_loss_text(10.0 ** zmin)]
    ticks = _log_ticks(10.0 ** zmin, 10.0 ** zmax, want=4)
    return [math.log10(t) for t in ticks], [_loss_text(t) for t in ticks]
