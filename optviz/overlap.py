"""Which runs a chart would draw over one another, so that none of them hides.

Two runs can share a path step for step (ε large: Adam is momentum SGD), or share a
track at different speeds (Rosenbrock: every optimizer follows the valley floor). The
chart draws runs in legend order, each on top of the ones before; here is what it
needs to keep every run visible:

    same_as(points, view)     # [None, 0]: run 1 is run 0's path, step for step
    under = lies_along(points, view)   # [[], [0]]: run 1 lies along run 0's track
    layers(under)             # [0, 1]: so it is drawn over it, one up
    widths(under)             # [1.3, 0.7]: line widths, the upper run narrower

Both compare in the view's units (each axis divided by its span), so a tolerance is a
fraction of what the chart shows first, whatever the surface's scale.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from optviz.surfaces import Window

SAME = 0.01  # the same path: every step within 1 % of the view (a few pixels) of the other's
CELLS = 120  # the raster a track is compared on, per axis of the view
ALONG = 0.3  # a run lies along an earlier one where it covers 30 % of that one's track
MAX_LAYERS = 3  # widths are spread over at most this many runs stacked on one track
NARROWEST = 0.35  # of the chart's line width: no path drawn thinner


def same_as(points: Sequence[np.ndarray], view: Window, tol: float = SAME) -> list[int | None]:
    """For each run, the first earlier run whose points it repeats at every step within
    `tol` of the view on each axis (the same steps finite), else None."""
    lo, span = _frame(view)
    scaled = [(np.asarray(p, float) - lo) / span for p in points]
    out: list[int | None] = []
    for j, b in enumerate(scaled):
        match = None
        for i in range(j):
            a = scaled[i]
            if out[i] is not None or a.shape != b.shape:
                continue
            few = slice(None, None, max(1, len(a) // 16))  # most pairs differ at once
            with np.errstate(invalid="ignore"):
                if (np.abs(a[few] - b[few]) > tol).any():
                    continue
            fa, fb = np.isfinite(a).all(axis=1), np.isfinite(b).all(axis=1)
            if (fa == fb).all() and fa.any() and np.abs(a[fa] - b[fb]).max() <= tol:
                match = i
                break
        out.append(match)
    return out


def lies_along(points: Sequence[np.ndarray], view: Window, dashed: Sequence[int] = (),
               cells: int = CELLS, along: float = ALONG) -> list[list[int]]:
    """For each run, the earlier runs it lies along: those it covers `along` of (its
    track within a cell of theirs, on a `cells`-square raster of the view), so would
    hide if drawn as wide. A dashed run hides nothing (what is under it shows between
    its dashes): its list is empty."""
    tracks = [track(p, view, cells) for p in points]
    out = []
    for j, t in enumerate(tracks):
        near = _grown(t) if j not in dashed else None
        out.append([] if near is None else [
            i for i in range(j)
            if tracks[i].any() and (tracks[i] & near).sum() >= along * tracks[i].sum()])
    return out


def layers(under: Sequence[Sequence[int]]) -> list[int]:
    """Each run's height in its stack (`under`: `lies_along`'s lists): 0 for a run that
    lies along none, else one more than the highest run it lies along."""
    out: list[int] = []
    for below in under:
        out.append(max((out[i] + 1 for i in below), default=0))
    return out


def widths(under: Sequence[Sequence[int]]) -> list[float]:
    """Each run's line width, as a multiple of the chart's: 1 for a run alone on its
    track; in a stack, evenly stepped, widest at the bottom, so that each run shows a
    rim on either side of the one above it (two: 1.3 and 0.7; three: 1.6, 1.0, 0.4)."""
    level = layers(under)
    top = list(level)  # the highest run stacked on each, itself if none
    for j in reversed(range(len(under))):
        for i in under[j]:
            top[i] = max(top[i], top[j])
    return [round(max(NARROWEST, 1 + 0.6 * (min(t, MAX_LAYERS) / 2 - min(k, MAX_LAYERS))), 3)
            for k, t in zip(level, top, strict=True)]


def track(points: np.ndarray, view: Window, cells: int = CELLS) -> np.ndarray:
    """The (cells, cells) boolean raster of the view that the polyline `points` passes
    through (NaN rows break it; what lies outside the view is left out)."""
    lo, span = _frame(view)
    p = (np.asarray(points, float) - lo) / span
    with np.errstate(invalid="ignore"):
        q = np.floor(p * cells)
    keep = np.ones(len(p), bool)  # a point in its predecessor's cell adds nothing
    keep[1:] = (q[1:] != q[:-1]).any(axis=1) | ~np.isfinite(q[1:]).all(axis=1)
    p = p[keep]
    grid = np.zeros((cells, cells), bool)
    a, b = p[:-1], p[1:]
    ok = np.isfinite(a).all(axis=1) & np.isfinite(b).all(axis=1)
    a, b = _clipped(a[ok], b[ok])
    lone = p[np.isfinite(p).all(axis=1)][:1]  # a run that never moves is a point
    a, b = np.concatenate([a, lone]), np.concatenate([b, lone])
    inside = ((a >= -1e-9) & (a <= 1 + 1e-9)).all(axis=1)
    a, b = a[inside], b[inside]
    if not len(a):
        return grid
    count = np.ceil(np.abs(b - a).max(axis=1) * cells).astype(int) + 1
    t = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    t = t / np.repeat(np.maximum(count - 1, 1), count)
    s = np.repeat(a, count, axis=0) + t[:, None] * np.repeat(b - a, count, axis=0)
    ij = np.clip((s * cells).astype(int), 0, cells - 1)
    grid[ij[:, 1], ij[:, 0]] = True
    return grid


def _frame(view: Window) -> tuple[np.ndarray, np.ndarray]:
    (x0, x1), (y0, y1) = view
    return np.array([x0, y0], float), np.array([x1 - x0, y1 - y0], float)


def _clipped(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Segments a→b cut to the unit square (Liang–Barsky); those missing it dropped
    (returned as points outside it)."""
    d = b - a
    t0, t1 = np.zeros(len(a)), np.ones(len(a))
    with np.errstate(divide="ignore", invalid="ignore"):
        for k in (0, 1):
            for p, q in ((-d[:, k], a[:, k]), (d[:, k], 1 - a[:, k])):
                r = q / p
                t0 = np.where(p < 0, np.maximum(t0, r), t0)
                t1 = np.where(p > 0, np.minimum(t1, r), t1)
                t1 = np.where((p == 0) & (q < 0), -1.0, t1)
    keep = t0 <= t1
    a, d, t0, t1 = a[keep], d[keep], t0[keep], t1[keep]
    return a + t0[:, None] * d, a + t1[:, None] * d


def _grown(grid: np.ndarray) -> np.ndarray:
    """`grid` and every cell next to one of its cells (diagonals too)."""
    g = np.pad(grid, 1)
    out = np.zeros_like(g)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            out |= np.roll(np.roll(g, dy, axis=0), dx, axis=1)
    return out[1:-1, 1:-1]
