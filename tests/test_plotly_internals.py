"""optviz.plots.plotly_internals: the unvalidated fast path gives plotly's own figure."""

from __future__ import annotations

import copy
import json
import pickle

import plotly.graph_objects as go
import pytest

from optviz.plots import inspector, plotly_internals
from optviz.plots import trajectory as trajectory_plot
from optviz.surfaces import get_surface
from optviz.trajectory import Run, run
from tests.plot_helpers import runs_on


def both_ways(monkeypatch, build):
    """`build()` through the fast path, then through plotly's public, validated path."""
    fast = build()
    with monkeypatch.context() as m:
        m.setattr(plotly_internals, "ENABLED", False)
        slow = build()
    return fast, slow


@pytest.mark.parametrize("kw", [{}, {"dashed": [1], "scale": 1.5}],
                         ids=["plain", "dashed-scaled"])
def test_fast_frames_match_plotlys_own(monkeypatch, kw):
    surface, trajs = runs_on("saddle", [("adam", {"lr": 0.1}), ("sgd", {"lr": 0.1})], 30)
    fast, slow = both_ways(monkeypatch, lambda: trajectory_plot.trajectory_figure(
        surface, trajs, **kw))
    assert type(fast) is type(slow) is trajectory_plot.TrajectoryFigure
    assert json.loads(fast.to_json()) == json.loads(slow.to_json())
    # Frames read, copied and edited like any plotly frames.
    fast.frames[3].data[0].x = [1.0, 2.0]
    assert fast.to_dict()["frames"][3]["data"][0]["x"] == [1.0, 2.0]


def test_state_figure_matches_plotlys_own(monkeypatch):
    surface = get_surface("d2l")
    on, off = run(surface, [Run.of("adam", start=surface.start, lr=0.4),
                            Run.of("adam", start=surface.start, lr=0.4,
                                   bias_correction=False)], 40)
    fast, slow = both_ways(monkeypatch, lambda: inspector.state_figure(on, 5, overlay=off))
    assert json.loads(fast.to_json()) == json.loads(slow.to_json())


def test_unvalidated_figures_validate_later_edits():
    fig = plotly_internals.unvalidated_figure(
        go.Figure, [plotly_internals.scatter(x=[1, 2], y=[3, 4], name="a")], {"height": 300})
    assert fig.data[0].name == "a" and fig.layout.height == 300
    with pytest.raises(ValueError):
        fig.update_layout(not_a_property=1)
    with pytest.raises(ValueError):
        fig.data[0].update(not_a_property=1)


def test_figures_with_fast_frames_copy_and_pickle():
    fig = trajectory_plot.trajectory_figure(*runs_on("d2l", [("adam", {"lr": 0.4})], 10))
    expected = fig.to_dict()["frames"]
    assert copy.deepcopy(fig).to_dict()["frames"] == expected
    assert pickle.loads(pickle.dumps(fig)).to_dict()["frames"] == expected
