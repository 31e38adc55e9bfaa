"""A click on the explorer's plot, read as a start point (ui/selection.py)."""

from __future__ import annotations

import pytest

from optviz.plots import trajectory as trajectory_plot
from tests.plot_helpers import click_figure, values
from ui.selection import clicked_start


def selection(*points):
    return {"selection": {"points": list(points), "point_indices": [], "box": [], "lasso": []}}


def test_clicked_start_reads_streamlits_selection():
    _, _, fig = click_figure(9)
    grid = [t.name for t in fig.data].index(trajectory_plot.CLICK_GRID_NAME)
    x, y = float(values(fig.data[grid].x)[40]), float(values(fig.data[grid].y)[40])
    clicked = selection({"x": x, "y": y, "curve_number": grid, "point_number": 40})
    assert clicked_start(fig, clicked) == (x, y)
    assert clicked_start([t.name for t in fig.data], clicked) == (x, y)
    assert clicked_start(clicked) == (x, y)  # without the figure: any point


def test_clicked_start_prefers_the_click_grid_and_takes_any_point_otherwise():
    _, _, fig = click_figure(9)
    grid = len(fig.data) - 1
    on_path = {"x": -5.0, "y": -2.0, "curve_number": 2, "point_number": 0}
    on_grid = {"x": 0.25, "y": 1.0, "curve_number": grid, "point_number": 3}
    assert clicked_start(fig, selection(on_path, on_grid)) == (0.25, 1.0)
    assert clicked_start(fig, selection(on_path)) == (-5.0, -2.0)
    assert clicked_start(selection(on_path, on_grid)) == (-5.0, -2.0)


@pytest.mark.parametrize("nothing", [
    None, {}, selection(), {"selection": {}}, {"selection": None}, "plot",
    selection({"curve_number": 3}), selection({"x": "a", "y": 1.0}),
    selection({"x": float("nan"), "y": 1.0}), selection({"x": None, "y": None}),
])
def test_clicked_start_without_a_usable_point(nothing):
    assert clicked_start(nothing) is None
    assert clicked_start(["a", "b"], nothing) is None


def test_clicked_start_reads_streamlits_own_state_object():
    from streamlit import util  # a runtime dependency; imported here to keep the rest fast
    point = {"curve_number": 8, "point_number": 3, "point_index": 3, "x": 0.39, "y": 1.12}
    state = util.ReadOnlyAttributeDictionary({"selection": util.ReadOnlyAttributeDictionary(
        {"points": [point], "point_indices": [3], "box": [], "lasso": []})})
    assert clicked_start(state) == (0.39, 1.12)
