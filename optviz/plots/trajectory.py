"""The animated figure of optimizer runs on a 2D surface, for the page and the CLI.

    fig = trajectory_figure(surface, trajectories)          # a TrajectoryFigure
    write_html(fig, "runs.html")                            # a standalone page

Made for a projector: the surface as a muted colour map with level lines (see
`optviz.plots.contours`: an image and a path shape, which animation frames leave
alone, where a contour trace would vanish or stutter), one strongly coloured path per
run, the known minima as stars, the start points as squares and a "current position"
ring per run. An invisible trace carries the colour bar.

Animation. With `animate=True` the figure carries plotly frames that play in the
browser (Play / Pause buttons and a "Step k" slider under the plot; see
`optviz.plots.animation`): frame k shows every path up to step k and the rings at
step k. A diverged run's legend entry and a note on the plot (at its last good point,
or where the path leaves the view) say at which step it diverged.

Initial state. As built, before anyone presses Play, the figure shows the complete
paths with the rings on their final points and the slider on the last step, so a
static export or a first look shows the whole result; `TrajectoryFigure`'s HTML does
not auto-play (plotly's default would crawl through the frames at 0.5 s each).

View. `view_window`: the surface's window widened to hold the starts, then to fit the
paths, by at most half its span on each side, so a diverging run leaves the view rather
than shrinking the surface to a dot; each run's start and first steps are always in
it. x₁ and x₂ share one scale unless the view is more than 3 : 1; a zoom survives
redraws until the surface changes (`uirevision`).

References. `dashed=[i, ...]` draws those runs dashed and faded: references to
compare with, not results.

Speed. 3 runs × 200 steps build in ~15-20 ms (plain dicts, unvalidated: see
`optviz.plots.plotly_internals`; benchmarks/figures.py) and serialise in ~40-60 ms. Pass `grid=` a
cached `contour_grid(surface, view_window(surface, trajectories, window))`.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from optviz import rules
from optviz.plots.animation import animation
from optviz.plots.contours import Levels, as_window, contour_grid, image_extent
from optviz.plots.plotly_internals import attach_frames, scatter, unvalidated_figure
from optviz.plots.theme import CONTOUR_COLORSCALE, FONT, MARKERS, PALETTE, TEMPLATE
from optviz.surfaces import Surface, Window
from optviz.trajectory import Trajectory

MAX_FRAMES = 200
CONTOUR_LINE = "rgba(60, 72, 88, 0.35)"
CONTOUR_NAME = "contours of f"  # the layout shape of level lines
COLORBAR_NAME = "f colour scale"  # the invisible trace carrying the colour bar
DOT_SIZE = 19  # the current-position rings: open, so a minimum under them shows

_MAX_WIDEN = 0.5  # the view grows by at most half a window span on each side
_FIRST_STEPS = 3  # ... but always shows each run's start and its first steps
_MARGIN = 0.05  # around the path points, as a fraction of the view span
_MARKER_STEPS = 150  # paths of longer runs are drawn without a marker per step
_MAX_ASPECT = 3.0  # beyond this, equal scales would leave a sliver of a plot


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


def write_html(fig: go.Figure, path: str | os.PathLike, include_plotlyjs=True) -> None:
    """A standalone HTML page of `fig` (plotly.js inlined unless told otherwise),
    opening on the complete paths, without plotly's logo in the mode bar."""
    fig.write_html(os.fspath(path), include_plotlyjs=include_plotlyjs, auto_play=False,
                   config={"displaylogo": False, "responsive": True})


def view_window(
    surface: Surface, trajectories: Sequence[Trajectory], window: Window | None = None
) -> Window:
    """The window `trajectory_figure` shows: `window` (default: the surface's), widened
    to hold every run's start, then to fit all finite path points with a margin, by at
    most half that span on each side (so a diverging run's far-away tail leaves the
    view rather than shrinking the surface to a dot), and, for a run started outside
    the window, its first `_FIRST_STEPS` steps: a run started at x₁ = 100 is seen, where
    it begins and which way it goes, however far that is from the surface's window."""
    (x0, x1), (y0, y1) = as_window(window or surface.window)
    p = _finite([t.points for t in trajectories])
    if not len(p):
        return (x0, x1), (y0, y1)
    starts = _finite([t.points[:1] for t in trajectories])
    outside = [t for t in trajectories if len(t.points) and not (
        x0 <= t.points[0, 0] <= x1 and y0 <= t.points[0, 1] <= y1)]
    first = _finite([t.points[: _FIRST_STEPS + 1] for t in outside])
    out = []
    for k, (a, b) in enumerate(((x0, x1), (y0, y1))):
        if len(starts):
            a, b = min(a, starts[:, k].min()), max(b, starts[:, k].max())
        span, pad = b - a, _MARGIN * (b - a)
        na = max(min(a, p[:, k].min() - pad), a - _MAX_WIDEN * span)
        nb = min(max(b, p[:, k].max() + pad), b + _MAX_WIDEN * span)
        if len(first):
            na, nb = min(na, first[:, k].min() - pad), max(nb, first[:, k].max() + pad)
        out.append((float(na), float(nb)))
    return out[0], out[1]


def _finite(arrays: list[np.ndarray]) -> np.ndarray:
    """The rows of `arrays` (each (k, 2)) with both coordinates finite, as one array."""
    p = np.concatenate([a for a in arrays if len(a)] or [np.empty((0, 2))])
    return p[np.isfinite(p).all(axis=1)]


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
    dashed: Sequence[int] = (),
    scale: float = 1.0,
) -> TrajectoryFigure:
    """The runs' paths over a contour of `surface`, animated step by step.

    window: the view before it is widened to fit the paths (default: the surface's).
    animate: add frames, Play / Pause buttons and a step slider.
    height: in pixels; the width follows the container.
    max_frames: at most this many frames (the last step is always one).
    grid: a precomputed `contour_grid(surface, view_window(surface, trajectories,
        window), n)` result, e.g. cached by the page; computed here when None.
    title: instead of the surface's title.
    dashed: indices of `trajectories` drawn dashed and semi-transparent, e.g. a
        reference run to compare with (Adam with bias correction, when it is off).
    scale: every font, line, marker and control this many times larger (lecture
        mode: 1.5 reads from the back of a lecture hall); `height` is as given.
    """
    trajectories = list(trajectories)
    dashed = set(dashed)
    view = view_window(surface, trajectories, window)
    x1s, x2s, _, lev = grid if grid is not None else contour_grid(surface, view, n)
    traces = [_colorbar(lev)]

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
        traces.append(scatter(
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
    traces.append(scatter(
        x=[s[0] for s in starts], y=[s[1] for s in starts], mode="markers", name="start",
        marker={"symbol": "square", "size": 12, "color": "#333",
                "line": {"color": "white", "width": 1.5}},
        text=[f"start ({_fmt(a)}, {_fmt(b)})" for a, b in starts],
        hovertemplate="%{text}<extra></extra>",
    ))

    # ---- the current positions (at the final points, see the module doc): open
    # markers, a shape per run as the explorer's chart, under the minima, so that a run
    # that got there leaves the star visible
    for i, (t, name) in enumerate(zip(trajectories, names, strict=True)):
        color = PALETTE[i % len(PALETTE)]
        dot_idx.append(len(traces))
        last = t.points[-1]
        traces.append(scatter(
            x=[last[0]], y=[last[1]], mode="markers", name=name, legendgroup=f"run{i}",
            showlegend=False,
            marker={"symbol": f"{MARKERS[i % len(MARKERS)]}-open", "color": color, "size": DOT_SIZE,
                    "line": {"color": color, "width": 3.5}}, **_faded(i in dashed),
            hovertemplate=f"<b>{name}</b><br>x₁ = %{{x:.4g}}<br>x₂ = %{{y:.4g}}"
                          "<extra>current</extra>",
        ))

    # ---- the minima, on top
    if surface.minima:
        traces.append(scatter(
            x=[m[0] for m in surface.minima], y=[m[1] for m in surface.minima],
            mode="markers", name="minimum",
            marker={"symbol": "star", "size": 20, "color": "#FFD21F",
                    "line": {"color": "#333", "width": 1.5}},
            text=[f"minimum ({_fmt(a)}, {_fmt(b)})" for a, b in surface.minima],
            hovertemplate="%{text}<extra></extra>",
        ))

    layout = _layout(surface, view, x1s, x2s, lev, height, title, scale)
    annotations = _divergence_notes(trajectories, view)
    if annotations:
        layout["annotations"] = annotations

    frames = None
    if animate and trajectories:
        frames, controls = animation(trajectories, path_idx, dot_idx, max_frames)
        layout.update(controls)
        layout["margin"]["b"] = 80
    if scale != 1.0:
        traces, layout = _enlarged(traces, layout, scale)
    # Every trace and layout value above is built here from plain numbers, so
    # plotly's validation buys nothing; the tests check that the figure validates.
    fig = unvalidated_figure(TrajectoryFigure, traces, layout)
    if frames:
        attach_frames(fig, frames)
    return fig


# ------------------------------------------------------------- the figure's parts


def _colorbar(lev: Levels) -> dict:
    """An invisible point whose only job is to carry the surface's colour bar."""
    colorbar = {
        "title": {"text": "f", "side": "top"}, "thickness": 14, "len": 0.9,
        "outlinewidth": 0, "tickfont": {"size": 14}, "x": 1.01, "xpad": 4,
    }
    if lev.log:
        colorbar.update(tickvals=list(lev.tickvals), ticktext=list(lev.ticktext),
                        tickmode="array")
    return scatter(
        x=[None], y=[None], mode="markers", name=COLORBAR_NAME, showlegend=False,
        hoverinfo="skip",
        marker={"color": [lev.start], "cmin": lev.start, "cmax": lev.end,
                "colorscale": [list(c) for c in CONTOUR_COLORSCALE], "showscale": True,
                "colorbar": colorbar, "size": 0.1, "opacity": 0},
    )


def _layout(surface: Surface, view: Window, x1s: np.ndarray, x2s: np.ndarray, lev: Levels,
            height: int, title: str | None, scale: float) -> dict:
    """Title, axes, legend, and the surface as a layout image under a path shape."""
    left, right, bottom, top = image_extent(x1s, x2s)
    image = {
        "source": lev.image, "xref": "x", "yref": "y", "layer": "below",
        "x": left, "y": top, "sizex": right - left, "sizey": top - bottom,
        "xanchor": "left", "yanchor": "top", "sizing": "stretch", "opacity": 1.0,
    }
    level_lines = {"type": "path", "path": lev.path, "name": CONTOUR_NAME, "layer": "between",
                   "xref": "x", "yref": "y", "line": {"color": CONTOUR_LINE, "width": 1}}
    (vx0, vx1), (vy0, vy1) = view
    aspect = (vx1 - vx0) / (vy1 - vy0)
    axis = {
        "showgrid": False, "zeroline": False, "ticks": "outside", "ticklen": 5,
        "showline": True, "linecolor": "#555", "mirror": True,
        "title": {"font": {"size": 18}, "standoff": 8}, "tickfont": {"size": 14},
    }
    xaxis = {**axis, "range": [vx0, vx1], "title": {**axis["title"], "text": "x₁"}}
    yaxis = {**axis, "range": [vy0, vy1], "title": {**axis["title"], "text": "x₂"}}
    if 1 / _MAX_ASPECT <= aspect <= _MAX_ASPECT:  # equal scales
        yaxis.update(scaleanchor="x", scaleratio=1, constrain="domain")
        xaxis.update(constrain="domain")
    sub = formula(surface)
    heading = f"<b>{title or surface.title}</b>"
    if sub:
        heading += (f"<span style='font-size:{round(16 * scale)}px;color:#555'>"
                    f"&nbsp;&nbsp;&nbsp;{sub}</span>")
    return {
        "template": TEMPLATE,
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
        "images": [image],
        "shapes": [level_lines],
    }


def _divergence_notes(trajectories: list[Trajectory], view: Window) -> list[dict]:
    """A note per diverged run at its last good point, or where its path leaves the
    view on the way there (a diverging run usually ends far outside)."""
    (vx0, vx1), (vy0, vy1) = view
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
    return annotations


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def formula(surface: Surface) -> str:
    """f as the heading shows it beside the title, "f = 0.1 x₁² + 2 x₂²" (the first
    line of f's docstring, with subscripts; a typed function's "x1**2*sin(x2)" reads
    "x₁²·sin(x₂)")."""
    doc = (surface.f.__doc__ or "").strip().splitlines()
    if not doc:
        return ""
    text = re.sub(r"\*\*(-?\d+)(?![\d.])", lambda m: m.group(1).translate(_SUPERSCRIPT), doc[0])
    text = text.replace("**", "^").replace("*", "·")
    return text.replace("x1", "x₁").replace("x2", "x₂")


def _fmt(v: float) -> str:
    return f"{v:.4g}"


def _faded(on: bool) -> dict:
    """A dashed (reference) run's trace options: semi-transparent."""
    return {"opacity": 0.55} if on else {}


# -------------------------------------------------------------- the lecture scale

_SCALED = frozenset({"size", "width", "thickness", "ticklen", "standoff", "borderpad"})
_SCALED_ALL = frozenset({"pad", "margin"})  # every number inside is a length


def _enlarged(traces: list[dict], layout: dict, scale: float) -> tuple[list[dict], dict]:
    """Copies of the traces and layout with every length `scale` times larger (copies:
    the dicts share module constants such as FONT)."""
    traces = copy.deepcopy(traces)
    own = copy.deepcopy({k: v for k, v in layout.items() if k != "template"})
    _enlarge(traces, scale)
    _enlarge(own, scale)
    # Tick labels and the axis title grow too: move the controls further down.
    for control in own.get("sliders", []) + own.get("updatemenus", []):
        control["pad"]["t"] += 40 * (scale - 1)
    own["margin"]["b"] += 40 * (scale - 1)
    return traces, {**own, "template": layout["template"]}


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
