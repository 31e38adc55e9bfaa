"""A click on the explorer's plot, read as a start point.

The explorer draws its trajectory figure with an invisible click lattice
(`trajectory_figure(..., click_grid=CLICK_GRID)`, trace `CLICK_GRID_NAME`), so that a
click anywhere on the plot lands on a point that `st.plotly_chart(on_select=...,
selection_mode="points")` reports; `clicked_start` turns that report into a start.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import plotly.graph_objects as go

from optviz.plots.trajectory import CLICK_GRID_NAME

CLICK_GRID = 15  # the explorer's lattice, points a side: each one is an SVG node to redraw


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
