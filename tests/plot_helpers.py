"""Runs and readers shared by the figure tests."""

from __future__ import annotations

import base64

import numpy as np
import plotly.graph_objects as go

from optviz.surfaces import get_surface
from optviz.trajectory import Run, run

D2L = [("adam", {"lr": 0.4}), ("momentum", {"lr": 0.05}), ("sgd", {"lr": 0.4})]


def runs_on(name: str, specs, steps: int):
    surface = get_surface(name)
    runs = [Run.of(opt, start=surface.start, **kw) for opt, kw in specs]
    return surface, run(surface, runs, steps)


def values(a) -> np.ndarray:
    """A trace array as numbers, whether a list, an ndarray or a plotly typed array."""
    if isinstance(a, dict) and "bdata" in a:
        return np.frombuffer(base64.b64decode(a["bdata"]), dtype=np.dtype(a["dtype"]))
    return np.asarray(a, dtype=float)


def traces_named(fig: go.Figure, name: str) -> list:
    return [t for t in fig.data if t.name == name]


