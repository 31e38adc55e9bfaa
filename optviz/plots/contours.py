"""A surface's contours as the trajectory figure draws them: f on a grid, the levels
(log-spaced where `surface.log_levels`, with colour bar ticks labelled in f: 0.01, 0.1,
1, 10, ...), the level lines and the colour-mapped grid.

    x1s, x2s, z, levels = contour_grid("rosenbrock")    # levels: a `Levels`

The colours are a PNG (encoded by Pillow, one pixel per grid node) and the level lines
one SVG path, for the figure's layout image and shape: plotly.js removes contour and
heatmap traces from the plot as soon as a redraw-free animation frame runs (plotly.js
#4491, plotly.py #2151), while an image and a shape stay put; plotly also draws one
path shape several times faster than the same segments as a scatter trace.

The level lines come from the marching squares below, vectorised in NumPy over every
cell of a level (2-5 ms for the default 120 × 120 grid) and tested against exact level
lines. contourpy (1.3.3, measured) would save 1-3 ms of that: not worth a new
dependency for a result the page caches, the most of which is writing the SVG path.

`contour_grid` (several ms) is the part of a figure worth caching: with the surface
given by name (and `condition` for "rotated") and the window as a tuple, its arguments
are hashable.
"""

from __future__ import annotations

import base64
import io
import math
from typing import NamedTuple

import numpy as np
from PIL import Image

from optviz.plots.theme import CONTOUR_COLORSCALE
from optviz.surfaces import Surface, Window, get_surface

_LOG_DECADES = 6.0  # log levels span at most this many decades below the top of f
_LOG_STEP = 0.25  # four levels per decade


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


def as_window(window) -> Window:
    """((x1 min, x1 max), (x2 min, x2 max)) as floats."""
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
    name and a tuple window every argument is hashable.
    """
    if isinstance(surface, str):
        surface = get_surface(surface, condition)
    (x0, x1), (y0, y1) = as_window(window or surface.window)
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


# -------------------------------------------------------------------- the levels


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


def colorbar_ticks(levels: Levels, count: int = 5) -> list[tuple[float, str]]:
    """The colour bar's ticks as (position 0..1 from its bottom, label: a value of f).

    Log levels: the decades of `levels.ticktext`; linear: about `count` round values.
    """
    span = levels.end - levels.start
    if levels.log:
        marks = zip(levels.tickvals, levels.ticktext, strict=True)
    else:
        step = _nice_step(span, count)
        first = math.ceil(levels.start / step - 1e-9)
        values = [k * step for k in range(first, math.floor(levels.end / step + 1e-9) + 1)]
        marks = ((v, f"{v:.6g}") for v in values)  # .6g: 0.30000000000000004 reads 0.3
    return [((v - levels.start) / span, text) for v, text in marks if span > 0]


# --------------------------------------------------------------- the level lines


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
    """Segments "x0, x1, NaN" as one SVG path, for a single layout shape."""
    x = lines_x.reshape(-1, 3)[:, :2]
    y = lines_y.reshape(-1, 3)[:, :2]
    return "".join(f"M{a:.6g},{b:.6g}L{c:.6g},{d:.6g}"
                   for a, c, b, d in zip(x[:, 0], x[:, 1], y[:, 0], y[:, 1], strict=True))


# --------------------------------------------------------------------- the image


def image_extent(x1s: np.ndarray, x2s: np.ndarray) -> tuple[float, float, float, float]:
    """(left, right, bottom, top) of the grid's image in data coordinates: each pixel
    is centred on its node, so the image reaches half a spacing beyond the grid."""
    dx = (x1s[-1] - x1s[0]) / max(len(x1s) - 1, 1)
    dy = (x2s[-1] - x2s[0]) / max(len(x2s) - 1, 1)
    return (float(x1s[0] - dx / 2), float(x1s[-1] + dx / 2),
            float(x2s[0] - dy / 2), float(x2s[-1] + dy / 2))


def _palette(n: int = 256) -> np.ndarray:
    """CONTOUR_COLORSCALE sampled at n points, as (n, 3) uint8."""
    pos = np.array([p for p, _ in CONTOUR_COLORSCALE])
    rgb = np.array([[int(c[k : k + 2], 16) for k in (1, 3, 5)] for _, c in CONTOUR_COLORSCALE])
    t = np.linspace(0.0, 1.0, n)
    return np.stack([np.interp(t, pos, rgb[:, k]) for k in range(3)], axis=1).round().astype(
        np.uint8)


def _png(index: np.ndarray, palette: np.ndarray) -> bytes:
    """An 8-bit palette PNG of `index` (rows top to bottom)."""
    image = Image.fromarray(index)  # 8-bit grey, made a palette image by putpalette
    image.putpalette(palette.tobytes())
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def _image(zc: np.ndarray, start: float, end: float) -> str:
    """The grid as a PNG data URI, `start` in the lowest colour and `end` the highest."""
    with np.errstate(all="ignore"):
        t = np.clip((zc - start) / (end - start), 0.0, 1.0)
    index = np.nan_to_num(t * 255, nan=0.0).round().astype(np.uint8)[::-1]  # top row first
    return "data:image/png;base64," + base64.b64encode(_png(index, _palette())).decode("ascii")
