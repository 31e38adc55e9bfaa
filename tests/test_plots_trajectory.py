"""The trajectory figure: traces, animation frames, view, clicks, export, in a browser."""

from __future__ import annotations

import concurrent.futures
import json

import numpy as np
import plotly.graph_objects as go
import pytest
from hypothesis import given
from hypothesis import strategies as st
from playwright.sync_api import sync_playwright

from optviz.plots import animation, contours
from optviz.plots import trajectory as trajectory_plot
from optviz.settings import OptimizerSettings, TrajectorySettings
from optviz.surfaces import get_surface
from optviz.trajectory import Run, run
from tests.browser import CHROMIUM_ARGS, chromium_path
from tests.plot_helpers import D2L, runs_on, traces_named, values


def path_traces(fig: go.Figure) -> list:
    return [t for t in fig.data if t.legendgroup and t.showlegend is not False]


def play_button(fig: go.Figure) -> dict:
    (menu,) = fig.layout.updatemenus
    (play,) = [b for b in menu.buttons if "Play" in b.label]
    return play.args[1]


CASES = [
    ("d2l", D2L[:1], 50),
    ("rosenbrock", [("adam", {"lr": 0.1}), ("rmsprop", {"lr": 0.01})], 300),
    ("saddle", [("sgd", {"lr": 0.1}), ("adam", {"lr": 0.1}), ("momentum", {"lr": 0.02})], 60),
    ("himmelblau", [("adam", {"lr": 0.2}), ("sgd", {"lr": 0.01})], 120),
]


@pytest.fixture(params=CASES, ids=[c[0] for c in CASES])
def case(request):
    name, specs, steps = request.param
    surface, trajs = runs_on(name, specs, steps)
    return surface, trajs, trajectory_plot.trajectory_figure(surface, trajs)


# ----------------------------------------------------------------- the figure


def test_level_lines_a_shape_under_one_path_per_run_and_the_minima(case):
    surface, trajs, fig = case
    (shape,) = [s for s in fig.layout.shapes if s.name == trajectory_plot.CONTOUR_NAME]
    assert shape.type == "path" and shape.layer == "between" and shape.xref == "x"
    assert shape.path.startswith("M") and shape.path.count("M") > 10
    assert not traces_named(fig, trajectory_plot.CONTOUR_NAME)
    paths = path_traces(fig)
    assert len(paths) == len(trajs)
    for t, p in zip(trajs, paths, strict=True):
        np.testing.assert_array_equal(values(p.x), t.points[:, 0])
        np.testing.assert_array_equal(values(p.customdata), t.values)
        assert t.run.optimizer in p.name.lower() or trajectory_plot.run_name(t) == p.name
    stars = [t for t in fig.data if t.marker.symbol == "star"]
    assert sum(len(t.x) for t in stars) == len(surface.minima)
    if surface.minima:
        assert stars[0].text[0].startswith("minimum (")
    (start,) = traces_named(fig, "start")
    assert (start.x[0], start.y[0]) == tuple(trajs[0].points[0])


def test_paths_have_distinct_colours_and_hover(case):
    _, _, fig = case
    paths = path_traces(fig)
    assert len({p.line.color for p in paths}) == len(paths)
    for p in paths:
        for part in ("step %{pointNumber}", "x₁ = %{x", "x₂ = %{y", "f = %{customdata"):
            assert part in p.hovertemplate


def test_frames_carry_only_paths_and_dots(case):
    _, trajs, fig = case
    assert 1 <= len(fig.frames) <= trajectory_plot.MAX_FRAMES + 1
    paths = [i for i, t in enumerate(fig.data) if t.legendgroup and t.showlegend is not False]
    for fr in fig.frames:
        assert len(fr.traces) == 2 * len(trajs)
        assert set(fr.traces[: len(trajs)]) == set(paths)
        assert "shapes" not in fr.to_plotly_json().get("layout", {})
        for d in fr.to_plotly_json()["data"]:
            assert set(d) == {"type", "x", "y"} and d["type"] == "scatter"


def test_last_frame_holds_every_whole_path_and_dot_at_its_end(case):
    _, trajs, fig = case
    last = fig.frames[-1]
    assert last.name == str(max(t.steps for t in trajs))
    n = len(trajs)
    for i, t in enumerate(trajs):
        path, dot = last.data[i], last.data[n + i]
        np.testing.assert_allclose(values(path.x), t.points[:, 0], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(values(path.y), t.points[:, 1], rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose([values(dot.x)[0], values(dot.y)[0]], t.points[-1],
                                   rtol=1e-6, atol=1e-6)


def test_frame_k_shows_the_paths_up_to_step_k():
    surface, trajs = runs_on("d2l", D2L, 40)
    fig = trajectory_plot.trajectory_figure(surface, trajs)
    assert [f.name for f in fig.frames] == [str(k) for k in range(41)]
    fr = fig.frames[12]
    for i, t in enumerate(trajs):
        np.testing.assert_allclose(values(fr.data[i].x), t.points[:13, 0], rtol=1e-6)
        np.testing.assert_allclose(values(fr.data[3 + i].y), [t.points[12, 1]], rtol=1e-6)


def test_slider_and_buttons(case):
    _, trajs, fig = case
    (slider,) = fig.layout.sliders
    assert len(slider.steps) == len(fig.frames)
    assert [list(s.args[0]) for s in slider.steps] == [[f.name] for f in fig.frames]
    assert slider.currentvalue.prefix == "Step "
    assert slider.active == len(fig.frames) - 1  # starts showing the whole run
    opts = play_button(fig)
    assert opts["frame"]["redraw"] is False
    assert opts["transition"]["duration"] == 0
    assert opts["fromcurrent"] is True
    # The whole run plays in a few seconds.
    assert 1.0 <= opts["frame"]["duration"] * len(fig.frames) / 1000 <= 8.0
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    assert any("Play" in s for s in labels) and any("Pause" in s for s in labels)


def test_initial_state_shows_complete_paths_and_final_dots(case):
    _, trajs, fig = case
    dots = [t for t in fig.data if t.marker.size == trajectory_plot.DOT_SIZE]
    assert len(dots) == len(trajs)
    for t, d in zip(trajs, dots, strict=True):
        assert (d.x[0], d.y[0]) == tuple(t.points[-1])


def test_layout_is_labelled_and_keeps_zoom(case):
    surface, _, fig = case
    lay = fig.layout
    assert surface.title in lay.title.text
    assert lay.xaxis.title.text == "x₁" and lay.yaxis.title.text == "x₂"
    assert lay.uirevision == f"optviz-{surface.name}"
    assert lay.font.size >= 14
    assert lay.legend.orientation == "h"
    assert len(lay.images) == 1 and lay.images[0].source.startswith("data:image/png")
    assert lay.images[0].layer == "below"


def test_equal_aspect_unless_the_view_is_a_sliver():
    surface, trajs = runs_on("d2l", D2L[:1], 20)
    fig = trajectory_plot.trajectory_figure(surface, trajs)
    assert fig.layout.yaxis.scaleanchor == "x"
    wide = trajectory_plot.trajectory_figure(surface, trajs, window=((-6.0, 6.0), (-0.5, 0.5)))
    assert wide.layout.yaxis.scaleanchor is None


def test_log_surface_colour_bar_shows_decades():
    surface, trajs = runs_on("rosenbrock", [("adam", {"lr": 0.1})], 100)
    fig = trajectory_plot.trajectory_figure(surface, trajs)
    (bar,) = traces_named(fig, trajectory_plot.COLORBAR_NAME)
    assert bar.marker.showscale
    assert {"0.1", "1", "10", "100", "1000"} <= set(bar.marker.colorbar.ticktext)
    lin = trajectory_plot.trajectory_figure(*runs_on("d2l", D2L[:1], 10))
    (bar,) = traces_named(lin, trajectory_plot.COLORBAR_NAME)
    assert bar.marker.showscale and bar.marker.colorbar.ticktext is None


def test_view_fits_the_paths_within_limits():
    s = get_surface("d2l")
    (x0, x1), (y0, y1) = s.window
    _, trajs = runs_on("d2l", [("adam", {"lr": 0.4})], 50)
    (a, b), (c, d) = trajectory_plot.view_window(s, trajs)
    p = trajs[0].points
    assert a <= p[:, 0].min() and b >= p[:, 0].max()
    assert c <= p[:, 1].min() and d >= p[:, 1].max()
    assert a <= x0 and b >= x1 and c <= y0 and d >= y1
    # A run that wanders far off widens the view by half a span at most.
    _, far = runs_on("d2l", [("sgd", {"lr": 0.55})], 60)
    (a, b), (c, d) = trajectory_plot.view_window(s, far)
    assert far[0].points[:, 1].max() > 100
    assert d == pytest.approx(y1 + 0.5 * (y1 - y0)) and c >= y0 - 0.5 * (y1 - y0)
    fig = trajectory_plot.trajectory_figure(s, far)
    assert tuple(fig.layout.yaxis.range) == (c, d)


def test_a_start_far_outside_the_window_is_in_view_with_its_first_steps():
    s = get_surface("d2l")
    for start in [(100.0, -2.0), (-40.0, 60.0), (9000.0, -9000.0)]:
        (t,) = TrajectorySettings(start=start, steps=20).compute()
        (a, b), (c, d) = trajectory_plot.view_window(s, [t])
        first = t.points[:4]
        assert a < first[:, 0].min() and b > first[:, 0].max()
        assert c < first[:, 1].min() and d > first[:, 1].max()
        # A slow run from far away is in view all the way, the surface's window too.
        assert a < t.points[:, 0].min() and b > t.points[:, 0].max()
        assert c < t.points[:, 1].min() and d > t.points[:, 1].max()
        (x0, x1), (y0, y1) = s.window
        assert a <= x0 and b >= x1 and c <= y0 and d >= y1


def test_the_half_span_cap_still_holds_for_a_far_start_that_diverges():
    s = get_surface("d2l")
    (t,) = TrajectorySettings(start=(100.0, -2.0), steps=40,
                              optimizers=[OptimizerSettings("sgd", {"lr": 0.55})]).compute()
    (a, b), (c, d) = trajectory_plot.view_window(s, [t])
    assert t.points[:, 1].max() > 1e3  # x2 grows 1.2-fold a step
    assert a < 100 < b and d < 100  # the start is in, the tail is not


def test_long_runs_are_subsampled_to_at_most_200_frames():
    surface, trajs = runs_on("rosenbrock", [("adam", {"lr": 0.05}), ("sgd", {"lr": 1e-3})], 777)
    fig = trajectory_plot.trajectory_figure(surface, trajs)
    names = [int(f.name) for f in fig.frames]
    assert len(names) <= 200 and names[0] == 0 and names[-1] == 777
    assert names == sorted(set(names))
    # A marker per step would be a blur: long paths are lines.
    assert {p.mode for p in path_traces(fig)} == {"lines"}
    short = trajectory_plot.trajectory_figure(*runs_on("rosenbrock", [("adam", {"lr": 0.05})], 150))
    assert path_traces(short)[0].mode == "lines+markers"
    # Frames still draw the paths at full resolution.
    k = names[len(names) // 2]
    np.testing.assert_allclose(values(fig.frames[len(names) // 2].data[0].x),
                               trajs[0].points[: k + 1, 0], rtol=1e-6, atol=1e-6)


@given(total=st.integers(0, 5000), cap=st.integers(2, 400))
def test_frame_steps(total, cap):
    steps = animation.frame_steps(total, cap).tolist()
    assert steps[0] == 0 and steps[-1] == total
    assert steps == sorted(set(steps)) and len(steps) <= max(cap, 1)
    if total + 1 <= cap:
        assert steps == list(range(total + 1))


def test_diverged_run_is_marked_and_holds_its_last_point():
    surface, trajs = runs_on("d2l", [("sgd", {"lr": 1.0}), ("adam", {"lr": 0.4})], 40)
    bad = trajs[0]
    assert bad.diverged_at is not None and bad.steps < 40
    fig = trajectory_plot.trajectory_figure(surface, trajs)
    path = path_traces(fig)[0]
    assert f"diverged at step {bad.diverged_at}" in path.name
    assert any(f"diverged at step {bad.diverged_at}" in a.text for a in fig.layout.annotations)
    assert fig.frames[-1].name == "40"
    for fr in fig.frames[bad.steps:]:
        assert len(values(fr.data[0].x)) == bad.steps + 1
        np.testing.assert_allclose([values(fr.data[2].x)[0], values(fr.data[2].y)[0]],
                                   bad.points[-1], rtol=1e-6)


def test_legend_names():
    surface, trajs = runs_on("d2l", D2L, 5)
    assert [trajectory_plot.run_name(t) for t in trajs] == ["Adam", "Momentum", "SGD"]
    labelled = run(surface, [Run.of("adam", label="fast", lr=1.0),
                             Run.of("adam", label="Adam, η = 0.1", lr=0.1)], 5)
    assert [trajectory_plot.run_name(t) for t in labelled] == ["fast · Adam", "Adam, η = 0.1"]


def test_static_figure_and_no_runs():
    surface, trajs = runs_on("beale", [("adam", {"lr": 0.1})], 30)
    fig = trajectory_plot.trajectory_figure(surface, trajs, animate=False)
    assert not fig.frames and not fig.layout.sliders and not fig.layout.updatemenus
    empty = trajectory_plot.trajectory_figure(get_surface("saddle"), [])
    assert not empty.frames and len(traces_named(empty, "start")) == 1
    json.loads(empty.to_json())


def test_a_precomputed_grid_gives_the_same_figure():
    surface, trajs = runs_on("himmelblau", [("adam", {"lr": 0.2})], 50)
    view = trajectory_plot.view_window(surface, trajs)
    grid = contours.contour_grid(surface.name, view)
    a = trajectory_plot.trajectory_figure(surface, trajs, grid=grid).to_json()
    assert a == trajectory_plot.trajectory_figure(surface, trajs).to_json()


# -------------------------------------------------------- export and validity


def test_json_round_trips_and_the_figure_validates(case):
    _, _, fig = case
    data = json.loads(fig.to_json())
    assert len(data["frames"]) == len(fig.frames)
    # Built unvalidated for speed: plotly's validation must accept every part of it.
    checked = go.Figure(fig.to_dict())
    assert json.loads(checked.to_json()) == data


def test_write_html(tmp_path):
    surface, trajs = runs_on("d2l", D2L, 30)
    fig = trajectory_plot.trajectory_figure(surface, trajs)
    out = tmp_path / "fig.html"
    trajectory_plot.write_html(fig, out)
    text = out.read_text(encoding="utf-8")
    assert "plotly" in text and "Plotly.newPlot" in text
    assert out.stat().st_size > 1_000_000  # plotly.js inlined: works offline
    # What the CLI calls: a standalone page that does not auto-play at plotly's
    # default 0.5 s a frame.
    assert isinstance(fig, go.Figure)
    fig.write_html(str(tmp_path / "plain.html"), include_plotlyjs=True)
    plain = (tmp_path / "plain.html").read_text(encoding="utf-8")
    assert "plotly" in plain and "Plotly.animate" not in plain
    assert "Plotly.animate" in fig.to_html(auto_play=True)


def test_edits_after_building_are_validated():
    fig = trajectory_plot.trajectory_figure(*runs_on("d2l", D2L[:1], 5))
    with pytest.raises(ValueError):
        fig.update_layout(not_a_property=1)
    with pytest.raises(ValueError):
        fig.data[0].update(not_a_property=1)
    fig.update_layout(height=500)
    assert fig.layout.height == 500


# ------------------------------------------------------------------- frames


def test_frames_touch_only_the_paths_and_dots():
    surface, trajs = runs_on("d2l", D2L, 30)
    fig = trajectory_plot.trajectory_figure(surface, trajs)
    names = [t.name for t in fig.data]
    expected = [trajectory_plot.run_name(t) for t in trajs] * 2
    for fr in fig.frames:
        assert [names[i] for i in fr.traces] == expected
    last = fig.frames[-1]
    for i, t in enumerate(trajs):  # the frame's data still lands on the right traces
        np.testing.assert_allclose(values(last.data[i].x), t.points[:, 0], rtol=1e-6)


def test_figure_with_dashed_runs_validates():
    surface, trajs = runs_on("d2l", D2L, 30)
    fig = trajectory_plot.trajectory_figure(surface, trajs, dashed=[1])
    data = json.loads(fig.to_json())
    assert json.loads(go.Figure(fig.to_dict()).to_json()) == data


# ---------------------------------------------------------------- dashed runs


def test_dashed_runs_are_dashed_and_faded():
    surface, trajs = runs_on("d2l", D2L, 20)
    fig = trajectory_plot.trajectory_figure(surface, trajs, dashed=[1])
    paths = path_traces(fig)
    dots = [t for t in fig.data if t.marker.size == trajectory_plot.DOT_SIZE]
    assert paths[1].line.dash == "dash" and 0 < paths[1].opacity < 1
    assert dots[1].opacity == paths[1].opacity
    for i in (0, 2):
        assert paths[i].line.dash is None and paths[i].opacity is None
        assert dots[i].opacity is None
    # Frames still move the dashed run.
    assert [len(values(d.x)) for d in fig.frames[5].data[:3]] == [6, 6, 6]


# --------------------------------------------------------------- in a browser


def _open_figure(playwright, path):
    """Chromium showing the figure saved at `path`, once plotly has drawn it."""
    browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1000, "height": 640})
    page.goto(path.as_uri())
    page.wait_for_selector(".js-plotly-plot .scatterlayer")
    return browser, page


@pytest.mark.e2e
def test_animation_keeps_the_surface_in_a_browser(tmp_path):
    surface, trajs = runs_on("d2l", D2L, 40)
    path = tmp_path / "fig.html"
    trajectory_plot.write_html(trajectory_plot.trajectory_figure(surface, trajs), path)
    js_lengths = "() => document.querySelector('.js-plotly-plot')._fullData.map(t => t.x.length)"

    shapes = "() => document.querySelectorAll('.shapelayer path').length"

    def look() -> tuple[list, list, int, int, int, int, int]:
        with sync_playwright() as p:
            browser, page = _open_figure(p, path)
            try:
                before = page.evaluate(js_lengths)
                images = page.locator(".layer-subplot image").count()
                lines = page.evaluate(shapes)
                page.evaluate("""() => Plotly.animate(document.querySelector('.js-plotly-plot'),
                    ['12'], {frame: {duration: 0, redraw: false}, transition: {duration: 0},
                    mode: 'immediate'})""")
                page.wait_for_timeout(200)
                return (before, page.evaluate(js_lengths), images,
                        page.locator(".layer-subplot image").count(),
                        page.locator(".scatterlayer .trace").count(),
                        lines, page.evaluate(shapes))
            finally:
                browser.close()

    # Playwright's sync API refuses a thread with a running asyncio loop, which
    # other tests (Streamlit's) may leave behind: use a thread of its own.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        (before, after, images_before, images_after, drawn,
         lines_before, lines_after) = pool.submit(look).result()
    assert images_before == images_after == 1
    assert lines_before == lines_after == 1  # the level lines: one path shape
    # Paths cut at step 12 (traces: colour bar, 3 paths, ...); every trace still drawn.
    assert after[0] == before[0] and after[1:4] == [13, 13, 13] and before[1] == 41
    assert drawn == len(before)
