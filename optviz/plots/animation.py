"""The trajectory figure's animation: plotly frames, Play / Pause buttons, a step slider.

Frame k shows every path up to step k and the current-position rings at step k.
Frames update only the path and ring traces, and only their x and y, as base64
float32, so they stay small and cheap to serialise. Runs of more than `max_frames`
steps get at most `max_frames` frames, evenly spread and always with the last step;
each frame still draws every path at full resolution up to its step. A diverged run
is shorter than the others: later frames hold its last point. The slider starts on the
last step, the whole run; Play starts from step 0 (plotly restarts when the slider is
on the last frame) and resumes where a Pause stopped, about 4 s for a whole run.
"""

from __future__ import annotations

import base64

import numpy as np

from optviz.trajectory import Trajectory


def frame_steps(total: int, max_frames: int) -> np.ndarray:
    """The steps that get a frame: all of 0..total, or at most max_frames of them
    evenly spread, always with 0 and the last."""
    if total + 1 <= max_frames:
        return np.arange(total + 1)
    return np.unique(np.round(np.linspace(0, total, max(int(max_frames), 2))).astype(int))


def animation(trajectories: list[Trajectory], path_idx: list[int], dot_idx: list[int],
              max_frames: int) -> tuple[list[dict], dict]:
    """The frames (plain dicts {"name", "data", "traces"}) that move the traces at
    `path_idx` (whole paths up to the step) and `dot_idx` (one point, at the step), and
    the layout's Play / Pause buttons and slider."""
    k_max = max(t.steps for t in trajectories)
    steps = frame_steps(k_max, max_frames)
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


def _f4(buf: bytes) -> dict:
    """Little-endian float32 bytes as a plotly typed array ({"dtype", "bdata"})."""
    return {"dtype": "f4", "bdata": base64.b64encode(buf).decode("ascii")}
