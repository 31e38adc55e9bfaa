"""Plotly figures of optimizer trajectories on a 2D surface, for the page and the CLI.

    fig = trajectory_figure(surface, trajectories)          # a plotly Figure
    fig.write_html("runs.html", include_plotlyjs=True)      # a standalone page
    write_html(fig, "runs.html")                            # the same, no plotly logo

The figure is a `TrajectoryFigure`, a go.Figure whose `write_html` / `to_html` do not
auto-play (plotly's default would crawl through the frames at 0.5 s each).

The figure is made for a projector: a muted colour map of f with level lines
(log-spaced where `surface.log_levels`, with the colour bar labelled in f: 0.01, 0.1,
1, 10, ...), one strongly coloured path per run (Okabe-Ito colours), the known minima
as stars, the start points as squares and a "current position" dot per run.

The surface is drawn as a PNG image in the layout (the colours) under a layout shape
of level lines (marching squares, computed here, as one SVG path: plotly draws it
several times faster than the same segments as a scatter trace), not as a plotly
contour trace: plotly.js removes non-animatable traces such as contours and heatmaps
from the plot as soon as a redraw-free animation frame runs (plotly.js #4491,
plotly.py #2151), and redrawing them every frame makes the animation stutter. The
image and the shape stay put, and so does an invisible trace that carries the colour
bar.

Animation. With `animate=True` the figure carries plotly frames that play in the
browser (Play / Pause buttons and a "Step k" slider under the plot): frame k shows
every path up to step k and the dots at step k. Frames update only the path and dot
traces (`traces=[...]`), and only their x and y, as base64 float32, so they stay small
and cheap to serialise; the hover text (step, f) comes from the full-length arrays of
the base traces. Runs of more than `max_frames` steps get at most `max_frames` frames,
evenly spread and always including the last step; each frame still draws every path
at full resolution up to its step. A diverged run is shorter than the others: later
frames hold its last point, and the legend and a note on the plot (at the last good
point, or where the path leaves the view) say at which step it diverged.

Initial state. The figure as built, before anyone presses Play, shows the complete
paths with the dots on their final points and the slider on the last step, so a
static export or a first look shows the whole result. Play starts from step 0 (plotly
restarts from the beginning when the slider is on the last frame) and, after a
Pause, resumes where it stopped.

View. The surface's default window (or `window`), widened to fit every finite path
point with a 5 % margin, but by at most half the window's span on each side: a
diverging run leaves the view rather than shrinking the surface to a dot. x₁ and x₂
share one scale (`scaleanchor`, the plot shrinks to fit) unless the view is more than
3 : 1. `uirevision` is "optviz-<surface name>", so a user's zoom and pan survive
Streamlit reruns until the surface changes.

Clicks. `click_grid=n` adds an invisible n × n lattice of points over the view (the
last trace, outside the frames), so that a click anywhere lands on a point that
Streamlit's `st.plotly_chart(on_select=..., selection_mode="points")` reports;
`clicked_start` turns that report into a start point. `dashed=[i, ...]` draws those
runs dashed and faded: references to compare with, not results.

State inspector. `state_table(traj, step)` lists the optimizer's quantities at one
step and `state_figure(traj, step)` draws them over all steps, one small row each
(Adam: g, m̂, √v̂, η/(√v̂+ε), Δx), ~3 ms for 200 steps.

Speed. 3 runs × 200 steps build in ~15 ms and serialise (`to_json`, what Streamlit
does) in ~40 ms. `contour_grid` (~3 ms) is the part worth caching: its arguments are
hashable when the surface is given by name (with `condition` for "rotated") and the
window as a tuple; `view_window` gives the window `trajectory_figure` will use, and
its `grid=` argument takes the cached result.
"""

from __future__ import annotations

import base64
import copy
import math
import os
import struct
import zlib
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

from optviz import rules
from optviz.surfaces import Surface, Window, get_surface
from optviz.trajectory import Trajectory

__all__ = [
    "PALETTE",
    "Levels",
    "TrajectoryFigure",
    "clicked_start",
    "contour_grid",
    "run_name",
    "state_figure",
    "state_table",
    "trajectory_figure",
    "view_window",
    "write_html",
]

MAX_FRAMES = 200
# Okabe & Ito's colour-blind safe palette, reordered for contrast on a light contour
# (its yellow last, as it is faint on a projector), then a few darker extras.
PALETTE = (
    "#D55E00",  # vermillion
    "#0072B2",  # blue
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#222222",  # near black
    "#8C564B",  # brown
    "#7F3C8D",  # purple
    "#F0E442",  # yellow
)
# Low f light, high f a little darker; desaturated so the paths carry the colour.
CONTOUR_COLORSCALE = (
    (0.0, "#fdfcf6"),
    (0.35, "#eceee8"),
    (0.7, "#d6dee2"),
    (1.0, "#b7c4cd"),
)
CONTOUR_LINE = "rgba(60, 72, 88, 0.35)"
CONTOUR_NAME = "contours of f"  # the layout shape of level lines
CLICK_GRID_NAME = "click to start here"  # the invisible lattice of clickable points
CLICK_GRID = 15  # the explorer's lattice, points a side: each one is an SVG node to redraw
COLORBAR_NAME = "f colour scale"  # the invisible trace carrying the colour bar
DOT_SIZE = 19  # the current-position rings: open, so a minimum under them shows
FONT = {"family": "Inter, Helvetica Neue, Arial, sans-serif", "size": 16, "color": "#222"}

# plotly_white's look without its per-trace-type defaults, which plotly would merge
# into every redraw of a figure that uses only scatter traces.
_TEMPLATE = {"layout": pio.templates["plotly_white"].layout.to_plotly_json()}

_LOG_DECADES = 6.0  # log levels span at most this many decades below the top of f
_LOG_STEP = 0.25  # four levels per decade
_MAX_WIDEN = 0.5  # the view grows by at most half a window span on each side
_MARGIN = 0.05  # around the path points, as a fraction of the view span
_MARKER_STEPS = 150  # paths of longer runs are drawn without a marker per step
_MAX_ASPECT = 3.0  # beyond this, equal scales would leave a sliver of a plot


class Levels(NamedTuple):
    """The contour levels of a grid of f, and the drawing made from them.

    With `log`, levels (and colours) are those of the plotted value log10(f + offset).
    """

    log: bool
    start: float  # contour levels, in plotted units: start, start + size, ... end
    end: float
    size: float
    offset: float  # 0 for linear levels
    tickvals: tuple[float, ...]  # colour bar ticks, in plotted units (log levels only)
    ticktext: tuple[str, ...]  # their labels: the values of f
    lines_x: np.ndarray  # every level line as segments "x0, x1, NaN", float32
    lines_y: np.ndarray
    image: str  # a PNG data URI of the colour-mapped grid, one pixel per node

    path: str  # the level lines as one SVG path in data coordinates, "Mx,yLx,y..."


# ---------------------------------------------------------------------- the grid


def _nice_step(span: float, count: int) -> float:
    """A 1, 2, 2.5 or 5 × 10^k step giving about `count` intervals over `span`."""
    if not span > 0 or not math.isfinite(span):
        return 1.0
    raw = span / count
    mag = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if raw <= m * mag * (1 + 1e-9):
            return m * mag
    return 10.0 * mag


def _decade_label(k: int) -> str:
    """0.001, 0.01, 0.1, 1, 10, 100, 1000, then 10⁴, 10⁻⁴ ..."""
    if -3 <= k <= 3:
        return f"{10.0**k:g}"
    sup = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
    return "10" + str(k).translate(sup)


def _level_spec(z: np.ndarray, log: bool) -> tuple:
    """(start, end, size, offset, tickvals, ticktext) for a grid of f."""
    finite = z[np.isfinite(z)]
    if finite.size == 0:
        return 0.0, 1.0, 1.0, 0.0, (), ()
    zmin, zmax = float(finite.min()), float(finite.max())
    if not log:
        size = _nice_step(zmax - zmin, 18)
        return math.floor(zmin / size) * size, math.ceil(zmax / size) * size, size, 0.0, (), ()
    # f >= 0 here; its smallest grid values sit near a minimum, where f = 0.
    hi = math.log10(max(zmax, 1e-300))
    positive = finite[finite > 0]
    low_f = float(positive.min()) if positive.size else 10.0 ** (hi - _LOG_DECADES)
    lo = max(math.log10(low_f), hi - _LOG_DECADES)
    lo = math.floor(lo / _LOG_STEP) * _LOG_STEP
    # The offset lies a decade under the lowest level: f = 0 plots at lo - 1 (in the
    # lowest colour) and the levels from lo up are within 4 % of log10 f.
    offset = 10.0 ** (lo - 1.0)
    end = max(math.ceil(math.log10(zmax + offset) / _LOG_STEP) * _LOG_STEP, lo + _LOG_STEP)
    decades = range(math.ceil(lo), math.floor(hi) + 1)
    tickvals = tuple(math.log10(10.0**k + offset) for k in decades)
    ticktext = tuple(_decade_label(k) for k in decades)
    return lo, end, _LOG_STEP, offset, tickvals, ticktext


def _segments(x1s: np.ndarray, x2s: np.ndarray, zc: np.ndarray,
              levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Marching squares: every level line of zc as "x0, x1, NaN" segment lists.

    Crossings are interpolated linearly along cell edges; a cell crossed on all four
    edges (a saddle) is resolved by the mean of its corners.
    """
    xs, ys = [], []
    za, zb = zc[:-1, :-1], zc[:-1, 1:]  # corners: a (j, i), b (j, i+1),
    zd, zcc = zc[1:, :-1], zc[1:, 1:]  # d (j+1, i), c (j+1, i+1)
    mean = (za + zb + zcc + zd) / 4
    x_lo, x_hi = x1s[:-1], x1s[1:]
    y_lo, y_hi = x2s[:-1], x2s[1:]
    with np.errstate(all="ignore"):
        for lev in levels:
            above = zc >= lev
            sa, sb, sd, sc = above[:-1, :-1], above[:-1, 1:], above[1:, :-1], above[1:, 1:]
            cross = (sa != sb, sb != sc, sd != sc, sa != sd)  # bottom, right, top, left
            count = cross[0].astype(np.int8) + cross[1] + cross[2] + cross[3]
            j, i = np.nonzero(count)
            if not j.size:
                continue
            a, b, c, d = za[j, i], zb[j, i], zcc[j, i], zd[j, i]
            xl, xh, yl, yh = x_lo[i], x_hi[i], y_lo[j], y_hi[j]
            # The crossing point on each edge (meaningful where that edge is crossed).
            ex = np.stack([xl + (lev - a) / (b - a) * (xh - xl), xh,
                           xl + (lev - d) / (c - d) * (xh - xl), xl])
            ey = np.stack([yl, yl + (lev - b) / (c - b) * (yh - yl),
                           yh, yl + (lev - a) / (d - a) * (yh - yl)])
            m = np.stack([cr[j, i] for cr in cross])
            n = count[j, i]
            two = n == 2
            first = np.argmax(m, axis=0)
            second = 3 - np.argmax(m[::-1], axis=0)
            k = np.arange(len(j))
            p = [(first[two], second[two], k[two])]
            four = np.flatnonzero(n == 4)
            if four.size:
                # a and c share a side of the level; if the middle does too, the
                # lines cut off corners b and d, otherwise a and c.
                cut_bd = above[j[four], i[four]] == (mean[j[four], i[four]] >= lev)
                e1 = np.where(cut_bd, 0, 0), np.where(cut_bd, 1, 3)
                e2 = np.where(cut_bd, 2, 1), np.where(cut_bd, 3, 2)
                p += [(e1[0], e1[1], four), (e2[0], e2[1], four)]
            for e0, e1_, kk in p:
                seg_x = np.full((len(kk), 3), np.nan)
                seg_y = np.full((len(kk), 3), np.nan)
                seg_x[:, 0], seg_x[:, 1] = ex[e0, kk], ex[e1_, kk]
                seg_y[:, 0], seg_y[:, 1] = ey[e0, kk], ey[e1_, kk]
                xs.append(seg_x.ravel())
                ys.append(seg_y.ravel())
    if not xs:
        return np.empty(0, np.float32), np.empty(0, np.float32)
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys).astype(np.float32)


def _svg_path(lines_x: np.ndarray, lines_y: np.ndarray) -> str:
    """Segments "x0, x1, NaN" as one SVG path: drawn as a single layout shape, which
    plotly draws several times faster than a scatter trace of the same segments."""
    x = lines_x.reshape(-1, 3)[:, :2]
    y = lines_y.reshape(-1, 3)[:, :2]
    return "".join(f"M{a:.6g},{b:.6g}L{c:.6g},{d:.6g}"
                   for a, c, b, d in zip(x[:, 0], x[:, 1], y[:, 0], y[:, 1], strict=True))


def _palette(n: int = 256) -> np.ndarray:
    """CONTOUR_COLORSCALE sampled at n points, as (n, 3) uint8."""
    pos = np.array([p for p, _ in CONTOUR_COLORSCALE])
    rgb = np.array([[int(c[k : k + 2], 16) for k in (1, 3, 5)] for _, c in CONTOUR_COLORSCALE])
    t = np.linspace(0.0, 1.0, n)
    return np.stack([np.interp(t, pos, rgb[:, k]) for k in range(3)], axis=1).round().astype(
        np.uint8)


def _png(index: np.ndarray, palette: np.ndarray) -> bytes:
    """An 8-bit palette PNG of `index` (rows top to bottom)."""
    h, w = index.shape
    raw = np.zeros((h, w + 1), np.uint8)  # a filter byte (0, none) before each row
    raw[:, 1:] = index

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0))
            + chunk(b"PLTE", palette.tobytes())
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
            + chunk(b"IEND", b""))


def _image(zc: np.ndarray, start: float, end: float) -> str:
    with np.errstate(all="ignore"):
        t = np.clip((zc - start) / (end - start), 0.0, 1.0)
    index = np.nan_to_num(t * 255, nan=0.0).round().astype(np.uint8)[::-1]  # top row first
    return "data:image/png;base64," + base64.b64encode(_png(index, _palette())).decode("ascii")


def _as_window(window) -> Window:
    (a, b), (c, d) = window
    return (float(a), float(b)), (float(c), float(d))


def contour_grid(
    surface: Surface | str,
    window: Window | None = None,
    n: int = 120,
    condition: float | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Levels]:
    """f on an n × n grid over `window` (default: the surface's own), and its contours.

    Returns (x1s, x2s, z, levels): x1s and x2s of shape (n,), z = f(x1, x2) of shape
    (n, n) with rows along x2, and `Levels`: the contour levels (log-spaced where
    `surface.log_levels`), the level lines as segments and the colour-mapped grid as
    a PNG. This is the costly part of a figure (a few ms), so it is the part to cache.

    `surface` may be a Surface or a name for `get_surface(name, condition)`; with a
    name and a tuple window every argument is hashable, for st.cache_data.
    """
    if isinstance(surface, str):
        surface = get_surface(surface, condition)
    (x0, x1), (y0, y1) = _as_window(window or surface.window)
    n = max(int(n), 2)
    x1s = np.linspace(x0, x1, n)
    x2s = np.linspace(y0, y1, n)
    with np.errstate(all="ignore"):
        z = np.asarray(surface.f(x1s[None, :], x2s[:, None]), dtype=float)
    z = np.broadcast_to(z, (n, n)).copy()
    start, end, size, offset, tickvals, ticktext = _level_spec(z, surface.log_levels)
    log = surface.log_levels
    zc = np.log10(np.maximum(z, 0.0) + offset) if log else z
    values = start + size * np.arange(round((end - start) / size) + 1)
    lx, ly = _segments(x1s, x2s, zc, values)
    levels = Levels(log, start, end, size, offset, tickvals, ticktext, lx, ly,
                    _image(zc, start, end), _svg_path(lx, ly))
    return x1s, x2s, z, levels


# ---------------------------------------------------------------------- the view


def view_window(
    surface: Surface, trajectories: Sequence[Trajectory], window: Window | None = None
) -> Window:
    """The window `trajectory_figure` shows: `window` (default: the surface's)
    widened to fit all finite path points with a margin, by at most half its span
    on each side."""
    (x0, x1), (y0, y1) = _as_window(window or surface.window)
    pts = [t.points for t in trajectories if len(t.points)]
    if not pts:
        return (x0, x1), (y0, y1)
    p = np.concatenate(pts)
    p = p[np.isfinite(p).all(axis=1)]
    if not len(p):
        return (x0, x1), (y0, y1)
    out = []
    for (a, b), lo, hi in zip(((x0, x1), (y0, y1)), p.min(axis=0), p.max(axis=0), strict=True):
        span, pad = b - a, _MARGIN * (b - a)
        na = max(min(a, lo - pad), a - _MAX_WIDEN * span)
        nb = min(max(b, hi + pad), b + _MAX_WIDEN * span)
        out.append((float(na), float(nb)))
    return out[0], out[1]


def run_name(trajectory: Trajectory) -> str:
    """The legend entry of a run: its label and its optimizer's title, then whether
    and when it diverged."""
    run = trajectory.run
    try:
        title = rules.get_rule(run.optimizer).title
    except ValueError:
        title = run.optimizer
    label = run.label or run.optimizer
    if label.lower() in (run.optimizer.lower(), title.lower()):
        name = title
    elif title.lower() in label.lower():
        name = label
    else:
        name = f"{label} · {title}"
    if trajectory.diverged_at is not None:
        name += f" (diverged at step {trajectory.diverged_at})"
    return name


def _subtitle(surface: Surface) -> str:
    doc = (surface.f.__doc__ or "").strip().splitlines()
    if not doc:
        return ""
    return doc[0].replace("x1", "x₁").replace("x2", "x₂")


def _fmt(v: float) -> str:
    return f"{v:.4g}"


# -------------------------------------------------------------------- the figure


def _frame_steps(total: int, max_frames: int) -> np.ndarray:
    """The steps that get a frame: all of 0..total, or at most max_frames of them
    evenly spread, always with 0 and the last."""
    if total + 1 <= max_frames:
        return np.arange(total + 1)
    return np.unique(np.round(np.linspace(0, total, max(int(max_frames), 2))).astype(int))


class _LazyTraces(list):
    """A frame's `data`, made into Scatter objects only when someone reads it.

    Building the ~1200 Scatter objects of 200 frames costs ~30 ms even unvalidated,
    and nothing needs them to draw or serialise the figure: that reads the frame's
    plain dicts. Reading `frame.data` builds them, each on the very dict the frame
    serialises, so edits to them show in the figure as usual.
    """

    def __init__(self, props: list[dict]):
        super().__init__()
        self._pending = props

    def _build(self) -> None:
        if self._pending is not None:
            props, self._pending = self._pending, None
            for k, d in enumerate(props):
                trace = go.Scatter(d, _validate=False)
                props[k] = trace._orphan_props
                list.append(self, trace)

    def __iter__(self):
        self._build()
        return list.__iter__(self)

    def __len__(self) -> int:
        self._build()
        return list.__len__(self)

    def __getitem__(self, i):
        self._build()
        return list.__getitem__(self, i)

    def __contains__(self, item) -> bool:
        self._build()
        return list.__contains__(self, item)

    def __reversed__(self):
        self._build()
        return list.__reversed__(self)

    def __reduce_ex__(self, protocol):
        # Copies and pickles get a plain list of built traces.
        return list, (list(self),)


def _fast_frames(fig: go.Figure, frames: list[dict]) -> bool:
    """Attach `frames` (plain dicts) without plotly's per-trace validation.

    Validating 200 frames of 6 traces takes ~250 ms, far more than everything else;
    the traces here are built by this module from plain numbers, so validation buys
    nothing. This goes through plotly internals (checked against plotly 7.1): the
    frames' traces are stored as plain dicts, the way `_validate=False` stores
    values, and become Scatter objects when read (`_LazyTraces`). Returns False,
    leaving `fig` untouched, where the internals differ; the caller then assigns
    `fig.frames` the ordinary way. The tests check both give the same figure.
    """
    try:
        if not hasattr(fig, "_frame_objs") or fig._frame_objs:
            return False
        objs = []
        for fr in frames:
            frame = go.Frame({"name": fr["name"], "traces": fr["traces"]}, _validate=False)
            frame._props["data"] = fr["data"]
            frame._compound_array_props["data"] = _LazyTraces(fr["data"])
            objs.append(frame)
        if objs:
            # A cheap check that plotly still reads a frame the way this assumes.
            probe = go.Frame(objs[0].to_plotly_json())
            if len(probe.data) != len(frames[0]["data"]) or probe.name != frames[0]["name"]:
                return False
        fig._frame_objs = tuple(objs)
        return True
    except (AttributeError, KeyError, TypeError, ValueError, IndexError):
        return False


class TrajectoryFigure(go.Figure):
    """A plotly Figure whose HTML export does not start playing by itself.

    plotly's `write_html` and `to_html` auto-play animations by default, with
    plotly's default 0.5 s a frame (100 s for 200 frames) instead of this figure's
    Play button settings. Here the page opens on the complete paths and plays on
    Play; pass `auto_play=True` to get plotly's behaviour back.
    """

    def write_html(self, *args, **kwargs):
        kwargs.setdefault("auto_play", False)
        return super().write_html(*args, **kwargs)

    def to_html(self, *args, **kwargs):
        kwargs.setdefault("auto_play", False)
        return super().to_html(*args, **kwargs)


def trajectory_figure(
    surface: Surface,
    trajectories: Sequence[Trajectory],
    window: Window | None = None,
    animate: bool = True,
    height: int = 620,
    *,
    max_frames: int = MAX_FRAMES,
    grid: tuple | None = None,
    n: int = 120,
    title: str | None = None,
    click_grid: int = 0,
    dashed: Sequence[int] = (),
    scale: float = 1.0,
) -> go.Figure:
    """The runs' paths over a contour of `surface`, animated step by step.

    window: the view before it is widened to fit the paths (default: the surface's).
    animate: add frames, Play / Pause buttons and a step slider.
    height: in pixels; the width follows the container.
    max_frames: at most this many frames (the last step is always one).
    grid: a precomputed `contour_grid(surface, view_window(surface, trajectories,
        window), n)` result, e.g. cached by the page; computed here when None.
    title: instead of the surface's title.
    click_grid: when > 0, an invisible click_grid × click_grid lattice of points over
        the view (trace `CLICK_GRID_NAME`, last, so on top), each hovering "start here
        (x₁, x₂)": a click on one, reported by st.plotly_chart(on_select=...,
        selection_mode="points"), gives a start point through `clicked_start`.
    dashed: indices of `trajectories` drawn dashed and semi-transparent, e.g. a
        reference run to compare with (Adam with bias correction, when it is off).
    scale: every font, line, marker and control this many times larger (lecture
        mode: 1.5 reads from the back of a lecture hall); `height` is as given.
    """
    trajectories = list(trajectories)
    dashed = set(dashed)
    view = view_window(surface, trajectories, window)
    x1s, x2s, _, lev = grid if grid is not None else contour_grid(surface, view, n)
    log = lev.log

    traces: list = []
    # ---- the surface: a colour-mapped image under the level lines. Not a plotly
    # contour trace: plotly.js drops every non-animatable trace (contour, heatmap)
    # from the plot as soon as a redraw-free animation frame runs, and redrawing
    # the contour on every frame is what makes such animations stutter. An image in
    # the layout and a scatter trace of level lines both survive frames untouched.
    dx = (x1s[-1] - x1s[0]) / max(len(x1s) - 1, 1)
    dy = (x2s[-1] - x2s[0]) / max(len(x2s) - 1, 1)
    images = [{
        "source": lev.image, "xref": "x", "yref": "y", "layer": "below",
        "x": float(x1s[0] - dx / 2), "y": float(x2s[-1] + dy / 2),
        "sizex": float(x1s[-1] - x1s[0] + dx), "sizey": float(x2s[-1] - x2s[0] + dy),
        "xanchor": "left", "yanchor": "top", "sizing": "stretch", "opacity": 1.0,
    }]
    shapes = [{"type": "path", "path": lev.path, "name": CONTOUR_NAME, "layer": "between",
               "xref": "x", "yref": "y", "line": {"color": CONTOUR_LINE, "width": 1}}]
    colorbar = {
        "title": {"text": "f", "side": "top"}, "thickness": 14, "len": 0.9,
        "outlinewidth": 0, "tickfont": {"size": 14}, "x": 1.01, "xpad": 4,
    }
    if log:
        colorbar.update(tickvals=list(lev.tickvals), ticktext=list(lev.ticktext),
                        tickmode="array")
    # An invisible point whose only job is to carry the colour bar.
    traces.append(_scatter(
        x=[None], y=[None], mode="markers", name=COLORBAR_NAME, showlegend=False,
        hoverinfo="skip",
        marker={"color": [lev.start], "cmin": lev.start, "cmax": lev.end,
                "colorscale": [list(c) for c in CONTOUR_COLORSCALE], "showscale": True,
                "colorbar": colorbar, "size": 0.1, "opacity": 0},
    ))

    # ---- the paths
    # A marker per step shows the step sizes; past ~150 steps they merge into a blur
    # and each costs the browser an SVG node on every animation frame.
    k_max = max((t.steps for t in trajectories), default=0)
    mode = "lines+markers" if k_max <= _MARKER_STEPS else "lines"
    marker_size = 6 if k_max <= 60 else 4
    path_idx, dot_idx = [], []
    names = [run_name(t) for t in trajectories]
    for i, (t, name) in enumerate(zip(trajectories, names, strict=True)):
        color = PALETTE[i % len(PALETTE)]
        path_idx.append(len(traces))
        traces.append(_scatter(
            x=t.points[:, 0], y=t.points[:, 1], customdata=t.values,
            mode=mode, name=name, legendgroup=f"run{i}",
            line={"color": color, "width": 2.5, **({"dash": "dash"} if i in dashed else {})},
            marker={"color": color, "size": marker_size}, **_faded(i in dashed),
            hovertemplate=f"<b>{name}</b><br>step %{{pointNumber}}<br>x₁ = %{{x:.4g}}"
                          "<br>x₂ = %{y:.4g}<br>f = %{customdata:.4g}<extra></extra>",
        ))

    # ---- start points
    starts = sorted({(float(t.points[0, 0]), float(t.points[0, 1]))
                     for t in trajectories if len(t.points)}) or [surface.start]
    traces.append(_scatter(
        x=[s[0] for s in starts], y=[s[1] for s in starts], mode="markers", name="start",
        marker={"symbol": "square", "size": 12, "color": "#333",
                "line": {"color": "white", "width": 1.5}},
        text=[f"start ({_fmt(a)}, {_fmt(b)})" for a, b in starts],
        hovertemplate="%{text}<extra></extra>",
    ))

    # ---- the current positions (at the final points, see the module doc): open
    # rings, under the minima, so that a run that got there leaves the star visible
    for i, (t, name) in enumerate(zip(trajectories, names, strict=True)):
        color = PALETTE[i % len(PALETTE)]
        dot_idx.append(len(traces))
        last = t.points[-1]
        traces.append(_scatter(
            x=[last[0]], y=[last[1]], mode="markers", name=name, legendgroup=f"run{i}",
            showlegend=False,
            marker={"symbol": "circle-open", "color": color, "size": DOT_SIZE,
                    "line": {"color": color, "width": 3.5}}, **_faded(i in dashed),
            hovertemplate=f"<b>{name}</b><br>x₁ = %{{x:.4g}}<br>x₂ = %{{y:.4g}}"
                          "<extra>current</extra>",
        ))

    # ---- the minima, on top
    if surface.minima:
        traces.append(_scatter(
            x=[m[0] for m in surface.minima], y=[m[1] for m in surface.minima],
            mode="markers", name="minimum",
            marker={"symbol": "star", "size": 20, "color": "#FFD21F",
                    "line": {"color": "#333", "width": 1.5}},
            text=[f"minimum ({_fmt(a)}, {_fmt(b)})" for a, b in surface.minima],
            hovertemplate="%{text}<extra></extra>",
        ))

    # ---- the click lattice, last so that it is on top; frames never touch it
    if click_grid > 0:
        traces.append(_click_lattice(view, int(click_grid)))
        # A click selects a point, and plotly then fades every unselected marker on
        # the plot to 20 %; keep the paths, dots, starts and minima as they were.
        for tr in traces[:-1]:
            if tr["name"] != COLORBAR_NAME:
                tr["unselected"] = {"marker": {"opacity": 1}}

    # ---- layout
    (vx0, vx1), (vy0, vy1) = view
    aspect = (vx1 - vx0) / (vy1 - vy0)
    equal = 1 / _MAX_ASPECT <= aspect <= _MAX_ASPECT
    axis = {
        "showgrid": False, "zeroline": False, "ticks": "outside", "ticklen": 5,
        "showline": True, "linecolor": "#555", "mirror": True,
        "title": {"font": {"size": 18}, "standoff": 8}, "tickfont": {"size": 14},
    }
    xaxis = {**axis, "range": [vx0, vx1], "title": {**axis["title"], "text": "x₁"}}
    yaxis = {**axis, "range": [vy0, vy1], "title": {**axis["title"], "text": "x₂"}}
    if equal:
        yaxis.update(scaleanchor="x", scaleratio=1, constrain="domain")
        xaxis.update(constrain="domain")
    sub = _subtitle(surface)
    heading = f"<b>{title or surface.title}</b>"
    if sub:
        heading += (f"<span style='font-size:{round(16 * scale)}px;color:#555'>"
                    f"&nbsp;&nbsp;&nbsp;{sub}</span>")
    layout = {
        "template": _TEMPLATE,
        "height": int(height),
        "font": FONT,
        "title": {"text": heading, "x": 0.5, "xref": "paper", "xanchor": "center",
                  "y": 0.98, "yanchor": "top", "font": {"size": 22}},
        "margin": {"l": 60, "r": 20, "t": 80, "b": 20},
        "xaxis": xaxis,
        "yaxis": yaxis,
        "legend": {"orientation": "h", "x": 0.5, "xanchor": "center", "y": 1.01,
                   "yanchor": "bottom", "font": {"size": 15}, "bgcolor": "rgba(0,0,0,0)",
                   "itemwidth": 30},
        "hovermode": "closest",
        "hoverlabel": {"font": {"size": 15}},
        "plot_bgcolor": "white",
        "uirevision": f"optviz-{surface.name}",
        "images": images,
        "shapes": shapes,
    }

    # ---- diverged runs: a note at the last good point, or where the path leaves the
    # view on its way there (a diverging run usually ends far outside).
    annotations = []
    for i, t in enumerate(trajectories):
        if t.diverged_at is None or not len(t.points):
            continue
        color = PALETTE[i % len(PALETTE)]
        px, py = (float(v) for v in t.points[-1])
        cx, cy = min(max(px, vx0), vx1), min(max(py, vy0), vy1)
        # Point the arrow in from whichever edge the run left by; inside, up and away
        # from the middle.
        ax = 50 if cx == vx0 else -50 if cx == vx1 else (40 if cx < (vx0 + vx1) / 2 else -40)
        ay = -40 if cy == vy0 else 40 if cy == vy1 else -30
        if cx in (vx0, vx1) and cy not in (vy0, vy1):
            ay = 0
        annotations.append({
            "x": cx, "y": cy, "text": f"diverged at step {t.diverged_at}",
            "showarrow": True, "arrowhead": 2, "arrowwidth": 1.5, "arrowcolor": color,
            "ax": ax, "ay": ay, "font": {"size": 14, "color": color},
            "bgcolor": "rgba(255,255,255,0.85)", "borderpad": 2,
        })
    if annotations:
        layout["annotations"] = annotations

    frames = None
    if animate and trajectories:
        frames, controls = _animation(trajectories, path_idx, dot_idx, max_frames)
        layout.update(controls)
        layout["margin"]["b"] = 80
    if scale != 1.0:  # on copies: the dicts above share module constants (FONT, ...)
        traces = copy.deepcopy(traces)
        own = copy.deepcopy({k: v for k, v in layout.items() if k != "template"})
        _enlarge(traces, scale)
        _enlarge(own, scale)
        # Tick labels and the axis title grow too: move the controls further down.
        for control in own.get("sliders", []) + own.get("updatemenus", []):
            control["pad"]["t"] += 40 * (scale - 1)
        own["margin"]["b"] += 40 * (scale - 1)
        layout = {**own, "template": layout["template"]}
    # Every trace and layout value above is built here from plain numbers, so
    # plotly's validation (~30 ms, most of it for the 200 slider steps) buys
    # nothing; the tests check that the figure validates.
    fig = TrajectoryFigure(data=traces, layout=layout, _validate=False)
    # ...but whatever a caller changes afterwards is checked as usual.
    for obj in (fig, fig._layout_obj, *fig.data):
        obj._validate = True
    if frames and not _fast_frames(fig, frames):
        fig.frames = [go.Frame(**fr) for fr in frames]
    return fig


def _animation(trajectories: list[Trajectory], path_idx: list[int], dot_idx: list[int],
               max_frames: int) -> tuple[list[dict], dict]:
    """The frames (plain dicts) and the layout's Play / Pause buttons and slider."""
    k_max = max(t.steps for t in trajectories)
    steps = _frame_steps(k_max, max_frames)
    # A frame's path coordinates go in plotly's own binary form, base64 float32:
    # a third of the JSON of decimal text, and one small string each, where NumPy
    # arrays or lists would cost plotly ~100 ms more to copy and encode (it walks
    # every list element and inspects every array) whenever the figure is sent.
    raw = [(t.points[:, 0].astype("<f4").tobytes(), t.points[:, 1].astype("<f4").tobytes())
           for t in trajectories]
    ends = [t.points.tolist() for t in trajectories]
    index = path_idx + dot_idx
    frames = []
    for k in steps.tolist():
        data = []
        for bx, by in raw:
            n = 4 * min(k + 1, len(bx) // 4)
            data.append({"type": "scatter", "x": _f4(bx[:n]), "y": _f4(by[:n])})
        for p in ends:
            x, y = p[min(k, len(p) - 1)]
            data.append({"type": "scatter", "x": [x], "y": [y]})
        frames.append({"name": str(k), "data": data, "traces": index})

    # About 4 s for the whole run: 20 ms a frame for 200 frames, 150 ms for few.
    duration = int(min(150, max(20, 4000 / len(steps))))
    play = {"frame": {"duration": duration, "redraw": False}, "fromcurrent": True,
            "transition": {"duration": 0}, "mode": "immediate"}
    # Pause, and go to a slider's step: show one frame now.
    still = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate",
             "transition": {"duration": 0}}
    few = len(steps) <= 25
    return frames, dict(
        updatemenus=[{
            "type": "buttons", "direction": "left", "showactive": False,
            "x": 0.0, "xanchor": "left", "y": 0.0, "yanchor": "top",
            "pad": {"t": 52, "r": 10}, "font": {"size": 15},
            "bgcolor": "#f2f2f2", "bordercolor": "#999",
            "buttons": [
                {"label": "▶ Play", "method": "animate", "args": [None, play]},
                {"label": "❚❚ Pause", "method": "animate", "args": [[None], still]},
            ],
        }],
        sliders=[{
            "active": len(steps) - 1,
            "x": 0.0, "len": 1.0, "xanchor": "left", "y": 0.0, "yanchor": "top",
            "pad": {"t": 35, "b": 0, "l": 185, "r": 10},
            "currentvalue": {"prefix": "Step ", "visible": True, "xanchor": "left",
                             "font": {"size": 16, "color": "#222"}},
            # Tick labels for every step would overlap; the current value says it.
            "font": {"size": 12, "color": "#555" if few else "rgba(0,0,0,0)"},
            "ticklen": 4 if few else 0, "minorticklen": 0,
            "bgcolor": "#e6e6e6", "bordercolor": "#999", "activebgcolor": "#888",
            "steps": [{"label": str(k), "method": "animate", "args": [[str(k)], still]}
                      for k in steps.tolist()],
        }],
    )


_SCALED = frozenset({"size", "width", "thickness", "ticklen", "standoff", "borderpad"})
_SCALED_ALL = frozenset({"pad", "margin"})  # every number inside is a length


def _enlarge(obj, k: float, every: bool = False) -> None:
    """Multiply, in place, the lengths (font and marker sizes, line widths, paddings)
    in a figure's plain dicts and lists by k."""
    items = obj.items() if isinstance(obj, dict) else enumerate(obj)
    for key, value in list(items):
        if isinstance(value, dict | list):
            _enlarge(value, k, every or key in _SCALED_ALL)
        elif (isinstance(value, int | float) and not isinstance(value, bool)
              and (every or key in _SCALED)):
            obj[key] = value * k


def _faded(on: bool) -> dict:
    """A dashed (reference) run's trace options: semi-transparent."""
    return {"opacity": 0.55} if on else {}


def _click_lattice(view: Window, n: int) -> dict:
    """The invisible click_grid trace: n × n points at the centres of an n × n tiling
    of `view`, rounded to a tenth of their spacing so a clicked start reads tidily."""
    axes = []
    for lo, hi in view:
        spacing = (hi - lo) / n
        decimals = max(0, math.ceil(-math.log10(spacing / 10))) if spacing > 0 else 0
        axes.append(np.round(lo + spacing * (np.arange(n) + 0.5), decimals))
    gx, gy = np.meshgrid(*axes)
    return _scatter(
        x=gx.ravel(), y=gy.ravel(), mode="markers", name=CLICK_GRID_NAME, showlegend=False,
        # Transparent colour, not opacity 0: the points still take hover and clicks.
        marker={"color": "rgba(0,0,0,0)", "size": 8},
        selected={"marker": {"color": "rgba(0,0,0,0)"}},
        # The label would take the trace's (transparent) colour.
        hoverlabel={"bgcolor": "white", "bordercolor": "#888", "font": {"color": "#222"}},
        hovertemplate="start here (%{x:.4~g}, %{y:.4~g})<extra></extra>",
    )


def clicked_start(fig_or_selection, selection=None) -> tuple[float, float] | None:
    """The start point a click on the plot asks for, or None.

    clicked_start(selection) or clicked_start(fig_or_trace_names, selection), where
    `selection` is what Streamlit's st.plotly_chart(on_select=..., selection_mode=
    "points") reports: {"selection": {"points": [{"x", "y", "curve_number", ...}]}}.
    Knowing the figure (or the list of its trace names), a point of the click lattice
    (`CLICK_GRID_NAME`) wins over others; any clicked point with numeric x and y will
    do, e.g. a point on a path.
    """
    if selection is None:
        selection, names = fig_or_selection, None
    else:
        names = fig_or_selection
        if isinstance(names, go.Figure):
            names = [t.name for t in names.data]
    if not isinstance(selection, Mapping):
        return None
    inner = selection.get("selection", selection)
    points = inner.get("points") if isinstance(inner, Mapping) else None
    found = []
    for p in points or ():
        try:
            x, y = float(p["x"]), float(p["y"])
        except (KeyError, TypeError, ValueError):
            continue
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        curve = p.get("curve_number")
        on_grid = (names is not None and isinstance(curve, int) and 0 <= curve < len(names)
                   and names[curve] == CLICK_GRID_NAME)
        found.append((not on_grid, (x, y)))
    return min(found, key=lambda f: f[0])[1] if found else None


def _f4(buf: bytes) -> dict:
    """Little-endian float32 bytes as a plotly typed array ({"dtype", "bdata"})."""
    return {"dtype": "f4", "bdata": base64.b64encode(buf).decode("ascii")}


def _scatter(**kw) -> dict:
    return {"type": "scatter", **kw}


def write_html(fig: go.Figure, path: str | os.PathLike, include_plotlyjs=True) -> None:
    """A standalone HTML page of `fig` (plotly.js inlined unless told otherwise),
    opening on the complete paths, without plotly's logo in the mode bar."""
    fig.write_html(os.fspath(path), include_plotlyjs=include_plotlyjs, auto_play=False,
                   config={"displaylogo": False, "responsive": True})


# ------------------------------------------------------------ the state inspector

X1_COLOR, X2_COLOR = PALETTE[1], PALETTE[0]
_ROW_PX = 120  # height of one row of the state figure
# Names of a rule's state and derived fields as the chapter writes them.
SYMBOLS = {"m_hat": "m̂", "v_hat": "v̂", "step_size": "η/(√v̂+ε)"}


def _bias_off(traj: Trajectory) -> bool:
    return getattr(traj.run.hyper, "bias_correction", True) is False


def _per_step(traj: Trajectory) -> dict[str, np.ndarray]:
    """Every inspected quantity as a (k+1, 2) array whose row t belongs to step t.

    g is the gradient step t used, g_t = ∇f(x_{t−1}) (row 0 NaN); then the rule's
    state after step t (fields that stay zero throughout, e.g. Adam's v_max without
    AMSGrad, left out), its derived quantities (Adam: m̂, v̂, η/(√v̂+ε); with bias
    correction off m̂ = m and v̂ = v, so only the step size) and Δx_t = x_t − x_{t−1}.
    """
    g = np.full_like(traj.grads, np.nan)
    g[1:] = traj.grads[:-1]
    out = {"g": g}
    out.update((k, a) for k, a in traj.state.items() if np.any(a != 0))
    for k, a in traj.explained.items():
        if not (_bias_off(traj) and k in ("m_hat", "v_hat")):
            out[k] = a
    out["Δx"] = traj.deltas
    return out


def _symbol(key: str, traj: Trajectory) -> str:
    if key == "step_size" and _bias_off(traj):
        return "η/(√v+ε)"
    return SYMBOLS.get(key, key)


def _number(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def state_table(traj: Trajectory, step: int) -> list[dict]:
    """The optimizer's quantities at `step` (clamped to 0..traj.steps), one row each:
    {"quantity": "g", "x1": g₁, "x2": g₂}. Adam: g, m, v, m̂, v̂, η/(√v̂+ε), Δx; other
    rules: g, their own state fields by name, Δx. None where nothing is defined yet
    (g and the derived quantities at step 0). See `_per_step` for what row t holds."""
    t = min(max(int(step), 0), traj.steps)
    return [{"quantity": _symbol(k, traj), "x1": _number(a[t, 0]), "x2": _number(a[t, 1])}
            for k, a in _per_step(traj).items()]


def _state_rows(traj: Trajectory) -> list[tuple[str, str, np.ndarray]]:
    """(key, title, (k+1, 2) values) of each row of `state_figure`."""
    q = _per_step(traj)
    if traj.explained:  # the Adam family: the chapter's view of one step
        off = _bias_off(traj)
        with np.errstate(invalid="ignore"):
            root_v = np.sqrt(traj.explained["v_hat"])
        return [
            ("g", "g — the gradient", q["g"]),
            ("m_hat", "m (no bias correction)" if off else "m̂ — momentum, bias-corrected",
             traj.explained["m_hat"]),
            ("sqrt_v_hat", "√v (no bias correction)" if off else "√v̂ — RMS of the gradient",
             root_v),
            ("step_size", f"{_symbol('step_size', traj)} — effective step size per coordinate",
             traj.explained["step_size"]),
            ("Δx", "Δx = −η m̂ / (√v̂ + ε) — the step taken" if not off else
             "Δx = −η m / (√v + ε) — the step taken", q["Δx"]),
        ]
    titles = {"g": "g — the gradient", "Δx": "Δx — the step taken"}
    return [(k, titles.get(k, k), a) for k, a in q.items()]


def state_figure(traj: Trajectory, step: int, overlay: Trajectory | None = None) -> go.Figure:
    """Small multiples of the optimizer's quantities over the steps, one row each, x₁
    and x₂ as two lines, and a vertical line at `step`.

    Adam family: g, m̂, √v̂, the effective step size η/(√v̂ + ε) and Δx = −η m̂/(√v̂ + ε);
    on the chapter's f = 0.1 x1² + 2 x2² the gradients differ 20-fold between the
    coordinates, the step sizes by the inverse factor, and Δx is about η in both.
    Other rules: g, their state fields, Δx. `overlay`, another run of the same rule
    (e.g. with bias correction off), is drawn dashed on the same rows, its legend entry
    saying which. Rows are matched by name; a row the overlay lacks is left out of it.
    """
    rows = _state_rows(traj)
    extra = {k: a for k, _, a in _state_rows(overlay)} if overlay is not None else {}
    n = len(rows)
    top, bottom, gap_px = 36, 44, 30  # gap_px: room for each row's title above it
    height = _ROW_PX * n + top + bottom
    plot_px = height - top - bottom
    gap = gap_px / plot_px
    row_h = (1 - n * gap) / n
    traces: list = []
    layout: dict = {
        "template": _TEMPLATE,
        "height": height,
        "font": {**FONT, "size": 14},
        "margin": {"l": 70, "r": 20, "t": top, "b": bottom},
        "hovermode": "x unified",
        "legend": {"orientation": "h", "x": 1, "xanchor": "right", "y": 1, "yanchor": "top",
                   "yref": "container", "font": {"size": 14}, "bgcolor": "rgba(0,0,0,0)"},
        "showlegend": True,
        "uirevision": "optviz-state",
        "annotations": [],
        "shapes": [{"type": "line", "xref": "x", "yref": "paper", "x0": step, "x1": step,
                    "y0": 0, "y1": 1, "line": {"color": "#444", "width": 1.5, "dash": "dot"}}],
    }
    steps = np.arange(traj.steps + 1)[1:]
    for r, (key, title, values) in enumerate(rows):
        suffix = "" if r == 0 else str(r + 1)
        y_top = 1 - r * (row_h + gap) - gap
        last = r == n - 1
        layout[f"xaxis{suffix}"] = {
            "anchor": f"y{suffix}", "domain": [0, 1], "showticklabels": last,
            "ticks": "outside" if last else "", "showgrid": True, "zeroline": False,
            **({"title": {"text": "step", "standoff": 4}} if last else {}),
            **({"matches": "x"} if r else {}),
        }
        layout[f"yaxis{suffix}"] = {
            "anchor": f"x{suffix}", "nticks": 5,
            "domain": [max(y_top - row_h, 0.0), min(max(y_top, 0.0), 1.0)],
            "zeroline": True, "zerolinecolor": "#bbb",
        }
        layout["annotations"].append({
            "text": f"<b>{title}</b>", "xref": "paper", "yref": "paper", "x": 0,
            "y": y_top, "xanchor": "left", "yanchor": "bottom", "showarrow": False,
            "font": {"size": 14},
        })
        axes = {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}
        for c, (name, color) in enumerate((("x₁", X1_COLOR), ("x₂", X2_COLOR))):
            traces.append(_scatter(
                x=steps, y=values[1:, c], mode="lines", name=name, legendgroup=name,
                showlegend=r == 0, line={"color": color, "width": 2.2},
                hovertemplate=f"{name}: %{{y:.4g}}<extra></extra>", **axes))
            if key in extra:
                other = extra[key]
                traces.append(_scatter(
                    x=np.arange(len(other))[1:], y=other[1:, c], mode="lines",
                    name=f"{name}, {_overlay_name(overlay)}", legendgroup="overlay",
                    showlegend=False, line={"color": color, "width": 1.8, "dash": "dash"},
                    opacity=0.7, hovertemplate=f"{name} (dashed): %{{y:.4g}}<extra></extra>",
                    **axes))
    if overlay is not None:
        # One legend entry for all the dashed lines, in neutral grey.
        traces.append(_scatter(x=[None], y=[None], mode="lines", name=_overlay_name(overlay),
                               legendgroup="overlay",
                               line={"color": "#555", "width": 1.8, "dash": "dash"}))
    fig = go.Figure(data=traces, layout=layout, _validate=False)
    # Built from plain numbers, as trajectory_figure; later edits are validated.
    for obj in (fig, fig._layout_obj, *fig.data):
        obj._validate = True
    return fig


def _overlay_name(overlay: Trajectory) -> str:
    flag = getattr(overlay.run.hyper, "bias_correction", None)
    if flag is None:
        return run_name(overlay)
    return "bias correction off" if flag is False else "bias correction on"
