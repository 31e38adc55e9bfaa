"""Every use of plotly's private attributes, each beside its public fallback.

The trajectory and state figures are built here from plain dicts of numbers that optviz
made itself, so plotly's validation buys nothing and costs most of the time: ~30 ms for
a trajectory figure's traces and layout (most of it the 200 slider steps) and ~250 ms
for its 200 frames of 6 traces, against ~15 ms for all the rest. Skipping it takes
plotly internals, checked against plotly 7.1.0. Each function falls back to plotly's
public, validated way (the same figure, only slower) where the internals are not as
expected; setting `ENABLED = False` forces the fallback, which the tests use to check
that both ways give the same figure JSON and benchmarks/figures.py uses to time both.
"""

from __future__ import annotations

import plotly.graph_objects as go

ENABLED = True  # False: plotly's public, validated construction only


def scatter(**props) -> dict:
    """A scatter trace as the plain dict `unvalidated_figure` takes."""
    return {"type": "scatter", **props}


def unvalidated_figure(cls: type[go.Figure], data: list[dict], layout: dict) -> go.Figure:
    """`cls(data=data, layout=layout)`, skipping the validation of `data` and `layout`
    (plain dicts); whatever a caller changes afterwards is validated as usual."""
    if ENABLED:
        try:
            # Internal: `_validate=False` stores the dicts as given (plotly 7.1.0).
            fig = cls(data=data, layout=layout, _validate=False)
            # Internal: the flag stays on each object (figure, layout, traces); turn
            # validation back on for later edits.
            for obj in (fig, fig._layout_obj, *fig.data):
                obj._validate = True
            return fig
        except (AttributeError, TypeError):
            pass
    return cls(data=data, layout=layout)


def attach_frames(fig: go.Figure, frames: list[dict]) -> None:
    """Give `fig` the animation `frames`, plain dicts {"name", "data", "traces"},
    without plotly's per-trace validation where the internals allow."""
    if not (ENABLED and _fast_frames(fig, frames)):
        fig.frames = [go.Frame(**fr) for fr in frames]


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
                # Internal: an unvalidated trace keeps its values in `_orphan_props`.
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
    """Attach `frames` unvalidated; False, leaving `fig` untouched, where plotly's
    internals are not as this assumes (checked against plotly 7.1.0).

    Internal: a frame's traces are stored as plain dicts in `_props["data"]`, the way
    `_validate=False` stores values, and read through `_compound_array_props["data"]`
    (here a `_LazyTraces`); the figure keeps its frames in `_frame_objs`.
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
