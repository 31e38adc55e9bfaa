"""Which runs would hide one another on the chart (optviz/overlap.py): the same path
step for step, one lying along another's track, and the widths that keep both seen."""

import numpy as np
import pytest

from optviz import overlap, presets
from optviz.plots.trajectory import view_window

VIEW = ((-5.0, 5.0), (-2.0, 2.0))


def line(x0, y0, x1, y1, n=50):
    return np.stack([np.linspace(x0, x1, n), np.linspace(y0, y1, n)], axis=1)


def preset_runs(name):
    s = presets.get(name).settings()
    runs = s.compute()
    return [t.points for t in runs], view_window(s.get_surface(), runs)


def test_a_run_repeating_an_earlier_one_within_the_tolerance_is_named():
    a = line(-4, -1, 4, 1)
    near = a + [0.05, -0.02]  # 0.5 % of the view's width, 0.5 % of its height
    far = a + [0.0, 0.1]  # 2.5 % of the view's height
    assert overlap.same_as([a, near, far], VIEW) == [None, 0, None]
    # The first match is the original, never a copy of it.
    assert overlap.same_as([a, a.copy(), a.copy()], VIEW) == [None, 0, 0]
    # In the view's units: the same offset is "same" in a wider view only.
    assert overlap.same_as([a, far], ((-5, 5), (-20, 20))) == [None, 0]


def test_same_steps_are_needed_not_the_same_track():
    a = line(-4, -1, 4, 1, n=50)
    slower = line(-4, -1, 4, 1, n=50)[::2].repeat(2, axis=0)  # the track, other speed
    assert overlap.same_as([a, slower], VIEW) == [None, None]
    assert overlap.same_as([a, a[:30]], VIEW) == [None, None]  # other length
    cut = a.copy()
    cut[40:] = np.nan  # diverged: no longer the same run
    assert overlap.same_as([a, cut], VIEW) == [None, None]
    assert overlap.same_as([cut, cut.copy()], VIEW) == [None, 0]


def test_a_run_lies_along_the_runs_whose_track_it_covers():
    valley = line(-4, -1, 4, 1)
    faster = line(-4, -1, 4, 1, n=7)  # the same track in fewer, longer steps
    half = line(-4, -1, 0, 0)  # half of the valley
    across = line(-4, 1, 4, -1)  # crosses it once
    under = overlap.lies_along([valley, faster, half, across], VIEW)
    assert under == [[], [0], [0, 1], []]
    # half covers 50 % of the valley: not enough at along=0.6.
    assert overlap.lies_along([valley, half], VIEW, along=0.6) == [[], []]
    # A dashed run hides nothing: what is under shows between its dashes.
    assert overlap.lies_along([valley, faster], VIEW, dashed=[1]) == [[], []]


def test_layers_and_widths_stack_narrower_on_top_and_leave_lone_runs_alone():
    assert overlap.layers([[], [0], [0, 1], []]) == [0, 1, 2, 0]
    assert overlap.widths([[], [0], [0, 1], []]) == [1.6, 1.0, 0.4, 1.0]
    assert overlap.widths([[], [0], []]) == [1.3, 0.7, 1.0]
    assert overlap.widths([[], []]) == [1.0, 1.0]
    # A tall stack: the bottom no wider than three runs need, none thinner than NARROWEST.
    chain = [list(range(k)) for k in range(8)]
    w = overlap.widths(chain)
    assert w[0] == 1.9 and min(w) == overlap.NARROWEST
    assert all(a >= b for a, b in zip(w, w[1:], strict=False))


def test_track_marks_the_cells_a_path_crosses_and_nothing_outside_the_view():
    cells = 10
    grid = overlap.track(np.array([[-5.0, -2.0], [5.0, 2.0]]), VIEW, cells)
    assert grid.sum() >= cells and all(grid[k, k] for k in range(cells))  # the diagonal
    # A run that leaves the view far away (diverging) marks its part inside only.
    far = overlap.track(np.array([[0.0, 0.0], [1e30, 0.0], [np.nan, np.nan]]), VIEW, cells)
    assert far[cells // 2].sum() == cells // 2 and far.sum() == cells // 2
    still = overlap.track(np.array([[0.0, 0.0]] * 5), VIEW, cells)
    assert still.sum() == 1


def test_the_presets_that_hid_runs_now_say_so():
    # ε large: momentum SGD is Adam's path, step for step, drawn over it, narrower.
    points, view = preset_runs("eps-large")
    under = overlap.lies_along(points, view)
    assert overlap.same_as(points, view) == [None, 0]
    assert under == [[], [0]] and overlap.widths(under) == [1.3, 0.7]
    # Rosenbrock: momentum runs along the valley over Adam and SGD; none is the same.
    points, view = preset_runs("rosenbrock")
    under = overlap.lies_along(points, view)
    assert overlap.same_as(points, view) == [None, None, None]
    assert under[2] == [0, 1] and overlap.widths(under)[2] < min(overlap.widths(under)[:2])


@pytest.mark.parametrize("name", ["chapter", "beta2-small", "bias-off", "lr-too-large"])
def test_presets_whose_runs_part_keep_full_width(name):
    points, view = preset_runs(name)
    under = overlap.lies_along(points, view)
    assert overlap.widths(under) == [1.0] * len(points)
    assert overlap.same_as(points, view) == [None] * len(points)
