"""The trajectory figure: contour grid, traces, animation frames, export, speed."""

from __future__ import annotations

import base64
import concurrent.futures
import dataclasses
import json
import math
import struct
import time
import zlib

import numpy as np
import plotly.graph_objects as go
import pytest
from hypothesis import given
from hypothesis import strategies as st
from playwright.sync_api import sync_playwright

from optviz import figures
from optviz.surfaces import SURFACES, get_surface
from optviz.trajectory import Run, run
from tests.browser import CHROMIUM_ARGS, chromium_path

# ---------------------------------------------------------------------- helpers


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


def path_traces(fig: go.Figure) -> list:
    return [t for t in fig.data if t.legendgroup and t.showlegend is not False]


def play_button(fig: go.Figure) -> dict:
    (menu,) = fig.layout.updatemenus
    (play,) = [b for b in menu.buttons if "Play" in b.label]
    return play.args[1]


D2L = [("adam", {"lr": 0.4}), ("momentum", {"lr": 0.05}), ("sgd", {"lr": 0.4})]
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
    return surface, trajs, figures.trajectory_figure(surface, trajs)


# ------------------------------------------------------------------ contour grid


def test_contour_grid_evaluates_f_on_the_window():
    s = get_surface("d2l")
    x1s, x2s, z, lev = figures.contour_grid(s, n=50)
    assert x1s.shape == (50,) and x2s.shape == (50,) and z.shape == (50, 50)
    assert (x1s[0], x1s[-1]) == s.window[0] and (x2s[0], x2s[-1]) == s.window[1]
    # rows along x2, columns along x1
    np.testing.assert_allclose(z[7, 3], s.f(x1s[3], x2s[7]))
    assert not lev.log and lev.offset == 0
    assert lev.start <= z.min() and lev.end >= z.max() and lev.size > 0
    assert 8 <= (lev.end - lev.start) / lev.size <= 40


def test_contour_grid_takes_a_name_and_hashable_arguments():
    by_name = figures.contour_grid("rotated", ((-1.0, 1.0), (-2.0, 2.0)), 40, 100.0)
    direct = figures.contour_grid(get_surface("rotated", 100.0), ((-1, 1), (-2, 2)), 40)
    np.testing.assert_array_equal(by_name[2], direct[2])
    hash(("rotated", ((-1.0, 1.0), (-2.0, 2.0)), 40, 100.0))  # what st.cache_data keys on
    # The condition number reaches the surface: a flatter valley.
    assert not np.allclose(by_name[2], figures.contour_grid("rotated", n=40)[2])


def test_log_levels_span_decades_and_label_the_colour_bar_in_f():
    x1s, x2s, z, lev = figures.contour_grid("rosenbrock")
    assert lev.log and lev.offset > 0 and lev.size == 0.25
    assert lev.end >= math.log10(z.max())
    assert lev.ticktext == ("0.01", "0.1", "1", "10", "100", "1000")
    # Each tick sits where the plotted value log10(f + offset) of that f is.
    for val, text in zip(lev.tickvals, lev.ticktext, strict=True):
        assert val == pytest.approx(math.log10(float(text) + lev.offset))


def test_level_lines_lie_on_their_levels():
    # On a plane, linear interpolation along cell edges is exact.
    plane = dataclasses.replace(
        SURFACES["booth"], f=lambda x1, x2: x1 + 2.0 * x2, window=((-1.0, 1.0), (-1.0, 1.0))
    )
    _, _, _, lev = figures.contour_grid(plane, n=30)
    x, y = lev.lines_x.astype(float), lev.lines_y.astype(float)
    assert len(x) % 3 == 0 and np.isnan(x[2::3]).all()  # segments "x0, x1, NaN"
    v = x + 2 * y
    ok = ~np.isnan(v)
    k = (v[ok] - lev.start) / lev.size
    np.testing.assert_allclose(k, np.round(k), atol=1e-4)
    # Every level strictly inside the range is drawn.
    drawn = set(np.round(k).astype(int))
    inside = {i for i in range(round((lev.end - lev.start) / lev.size) + 1)
              if -3 < lev.start + i * lev.size < 3}
    assert inside <= drawn


def test_level_lines_of_a_quadratic_are_closed_ellipses():
    _, _, _, lev = figures.contour_grid("d2l", ((-5.0, 5.0), (-5.0, 5.0)), 80)
    x, y = lev.lines_x.astype(float), lev.lines_y.astype(float)
    f = 0.1 * x * x + 2 * y * y
    ok = ~np.isnan(f)
    k = (f[ok] - lev.start) / lev.size
    # Interpolation error only: within a small fraction of a level step.
    assert np.abs(k - np.round(k)).max() < 0.15
    # Each segment end is shared with a neighbour (closed curves), except at the edges.
    ends = np.round(np.stack([x[ok], y[ok]], 1), 5)
    _, counts = np.unique(ends, axis=0, return_counts=True)
    assert (counts == 2).mean() > 0.95


def test_surface_image_is_a_png_of_the_grid():
    x1s, x2s, z, lev = figures.contour_grid("himmelblau", n=64)
    head, b64 = lev.image.split(",", 1)
    assert head == "data:image/png;base64"
    png = base64.b64decode(b64)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = {}, 8
    while pos < len(png):
        (size,), tag = struct.unpack(">I", png[pos:pos + 4]), png[pos + 4:pos + 8]
        chunks[tag] = png[pos + 8:pos + 8 + size]
        pos += 12 + size
    w, h, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (w, h, depth, colour) == (64, 64, 8, 3)  # 8-bit palette
    # One palette index per node, top row = largest x2; low f is light, high f dark.
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(64, 65)[:, 1:]
    lo, hi = np.unravel_index(z.argmin(), z.shape), np.unravel_index(z.argmax(), z.shape)
    assert rows[63 - lo[0], lo[1]] < 20 and rows[63 - hi[0], hi[1]] > 235


# ------------------------------------------------------------------ the figure


def test_level_lines_are_one_path_shape_of_the_segments():
    _, _, _, lev = figures.contour_grid("d2l", ((-5.0, 5.0), (-5.0, 5.0)), 40)
    parts = lev.path.split("M")[1:]
    assert len(parts) == len(lev.lines_x) // 3  # one "Mx,yLx,y" per segment
    for part, k in zip(parts[:50], range(0, 150, 3), strict=False):
        (a, b), (c, d) = (map(float, xy.split(",")) for xy in part.split("L"))
        np.testing.assert_allclose([a, c, b, d], [lev.lines_x[k], lev.lines_x[k + 1],
                                   lev.lines_y[k], lev.lines_y[k + 1]], rtol=1e-5, atol=1e-6)


def test_level_lines_a_shape_under_one_path_per_run_and_the_minima(case):
    surface, trajs, fig = case
    (shape,) = [s for s in fig.layout.shapes if s.name == figures.CONTOUR_NAME]
    assert shape.type == "path" and shape.layer == "between" and shape.xref == "x"
    assert shape.path.startswith("M") and shape.path.count("M") > 10
    assert not traces_named(fig, figures.CONTOUR_NAME)
    paths = path_traces(fig)
    assert len(paths) == len(trajs)
    for t, p in zip(trajs, paths, strict=True):
        np.testing.assert_array_equal(values(p.x), t.points[:, 0])
        np.testing.assert_array_equal(values(p.customdata), t.values)
        assert t.run.optimizer in p.name.lower() or figures.run_name(t) == p.name
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
    assert 1 <= len(fig.frames) <= figures.MAX_FRAMES + 1
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
    fig = figures.trajectory_figure(surface, trajs)
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
    dots = [t for t in fig.data if t.marker.size == figures.DOT_SIZE]
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
    fig = figures.trajectory_figure(surface, trajs)
    assert fig.layout.yaxis.scaleanchor == "x"
    wide = figures.trajectory_figure(surface, trajs, window=((-6.0, 6.0), (-0.5, 0.5)))
    assert wide.layout.yaxis.scaleanchor is None


def test_log_surface_colour_bar_shows_decades():
    surface, trajs = runs_on("rosenbrock", [("adam", {"lr": 0.1})], 100)
    fig = figures.trajectory_figure(surface, trajs)
    (bar,) = traces_named(fig, figures.COLORBAR_NAME)
    assert bar.marker.showscale
    assert {"0.1", "1", "10", "100", "1000"} <= set(bar.marker.colorbar.ticktext)
    lin = figures.trajectory_figure(*runs_on("d2l", D2L[:1], 10))
    (bar,) = traces_named(lin, figures.COLORBAR_NAME)
    assert bar.marker.showscale and bar.marker.colorbar.ticktext is None


def test_view_fits_the_paths_within_limits():
    s = get_surface("d2l")
    (x0, x1), (y0, y1) = s.window
    _, trajs = runs_on("d2l", [("adam", {"lr": 0.4})], 50)
    (a, b), (c, d) = figures.view_window(s, trajs)
    p = trajs[0].points
    assert a <= p[:, 0].min() and b >= p[:, 0].max()
    assert c <= p[:, 1].min() and d >= p[:, 1].max()
    assert a <= x0 and b >= x1 and c <= y0 and d >= y1
    # A run that wanders far off widens the view by half a span at most.
    _, far = runs_on("d2l", [("sgd", {"lr": 0.55})], 60)
    (a, b), (c, d) = figures.view_window(s, far)
    assert far[0].points[:, 1].max() > 100
    assert d == pytest.approx(y1 + 0.5 * (y1 - y0)) and c >= y0 - 0.5 * (y1 - y0)
    fig = figures.trajectory_figure(s, far)
    assert tuple(fig.layout.yaxis.range) == (c, d)


def test_long_runs_are_subsampled_to_at_most_200_frames():
    surface, trajs = runs_on("rosenbrock", [("adam", {"lr": 0.05}), ("sgd", {"lr": 1e-3})], 777)
    fig = figures.trajectory_figure(surface, trajs)
    names = [int(f.name) for f in fig.frames]
    assert len(names) <= 200 and names[0] == 0 and names[-1] == 777
    assert names == sorted(set(names))
    # A marker per step would be a blur: long paths are lines.
    assert {p.mode for p in path_traces(fig)} == {"lines"}
    short = figures.trajectory_figure(*runs_on("rosenbrock", [("adam", {"lr": 0.05})], 150))
    assert path_traces(short)[0].mode == "lines+markers"
    # Frames still draw the paths at full resolution.
    k = names[len(names) // 2]
    np.testing.assert_allclose(values(fig.frames[len(names) // 2].data[0].x),
                               trajs[0].points[: k + 1, 0], rtol=1e-6, atol=1e-6)


@given(total=st.integers(0, 5000), cap=st.integers(2, 400))
def test_frame_steps(total, cap):
    steps = figures._frame_steps(total, cap).tolist()
    assert steps[0] == 0 and steps[-1] == total
    assert steps == sorted(set(steps)) and len(steps) <= max(cap, 1)
    if total + 1 <= cap:
        assert steps == list(range(total + 1))


def test_diverged_run_is_marked_and_holds_its_last_point():
    surface, trajs = runs_on("d2l", [("sgd", {"lr": 1.0}), ("adam", {"lr": 0.4})], 40)
    bad = trajs[0]
    assert bad.diverged_at is not None and bad.steps < 40
    fig = figures.trajectory_figure(surface, trajs)
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
    assert [figures.run_name(t) for t in trajs] == ["Adam", "Momentum", "SGD"]
    labelled = run(surface, [Run.of("adam", label="fast", lr=1.0),
                             Run.of("adam", label="Adam, η = 0.1", lr=0.1)], 5)
    assert [figures.run_name(t) for t in labelled] == ["fast · Adam", "Adam, η = 0.1"]


def test_static_figure_and_no_runs():
    surface, trajs = runs_on("beale", [("adam", {"lr": 0.1})], 30)
    fig = figures.trajectory_figure(surface, trajs, animate=False)
    assert not fig.frames and not fig.layout.sliders and not fig.layout.updatemenus
    empty = figures.trajectory_figure(get_surface("saddle"), [])
    assert not empty.frames and len(traces_named(empty, "start")) == 1
    json.loads(empty.to_json())


def test_a_precomputed_grid_gives_the_same_figure():
    surface, trajs = runs_on("himmelblau", [("adam", {"lr": 0.2})], 50)
    view = figures.view_window(surface, trajs)
    grid = figures.contour_grid(surface.name, view)
    a = figures.trajectory_figure(surface, trajs, grid=grid).to_json()
    assert a == figures.trajectory_figure(surface, trajs).to_json()


# ------------------------------------------------------------- export and validity


def test_json_round_trips_and_the_figure_validates(case):
    _, _, fig = case
    data = json.loads(fig.to_json())
    assert len(data["frames"]) == len(fig.frames)
    # Built unvalidated for speed: plotly's validation must accept every part of it.
    checked = go.Figure(fig.to_dict())
    assert json.loads(checked.to_json()) == data


def test_fast_frames_match_plotlys_own(monkeypatch):
    surface, trajs = runs_on("saddle", [("adam", {"lr": 0.1}), ("sgd", {"lr": 0.1})], 30)
    fast = figures.trajectory_figure(surface, trajs)
    monkeypatch.setattr(figures, "_fast_frames", lambda fig, frames: False)
    slow = figures.trajectory_figure(surface, trajs)
    assert json.loads(fast.to_json()) == json.loads(slow.to_json())
    # Frames read, copied and edited like any plotly frames.
    fast.frames[3].data[0].x = [1.0, 2.0]
    assert fast.to_dict()["frames"][3]["data"][0]["x"] == [1.0, 2.0]


def test_write_html(tmp_path):
    surface, trajs = runs_on("d2l", D2L, 30)
    fig = figures.trajectory_figure(surface, trajs)
    out = tmp_path / "fig.html"
    figures.write_html(fig, out)
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
    fig = figures.trajectory_figure(*runs_on("d2l", D2L[:1], 5))
    with pytest.raises(ValueError):
        fig.update_layout(not_a_property=1)
    with pytest.raises(ValueError):
        fig.data[0].update(not_a_property=1)
    fig.update_layout(height=500)
    assert fig.layout.height == 500


def test_building_is_fast():
    surface, trajs = runs_on("d2l", D2L, 200)
    figures.trajectory_figure(surface, trajs)  # warm up imports and caches
    best = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        figures.trajectory_figure(surface, trajs)
        best = min(best, time.perf_counter() - t0)
    assert best < 0.1, f"{best * 1000:.0f} ms"


# ------------------------------------------------------------------- in a browser


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
    figures.write_html(figures.trajectory_figure(surface, trajs), path)
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


# ------------------------------------------------------------ click to set the start


def click_figure(n: int = 9, steps: int = 30, **kw):
    surface, trajs = runs_on("d2l", D2L, steps)
    return surface, trajs, figures.trajectory_figure(surface, trajs, click_grid=n, **kw)


def test_click_grid_is_an_invisible_lattice_over_the_view_on_top():
    surface, trajs, fig = click_figure(9)
    (grid,) = traces_named(fig, figures.CLICK_GRID_NAME)
    assert fig.data[-1] is grid  # drawn last: on top
    x, y = values(grid.x), values(grid.y)
    assert len(x) == len(y) == 81
    assert len(np.unique(x)) == len(np.unique(y)) == 9
    (vx0, vx1), (vy0, vy1) = figures.view_window(surface, trajs)
    assert vx0 < x.min() and x.max() < vx1 and vy0 < y.min() and y.max() < vy1
    assert grid.showlegend is False
    assert grid.marker.color == "rgba(0,0,0,0)" and grid.opacity is None
    assert grid.hovertemplate.startswith("start here (%{x")
    assert grid.hoverlabel.bgcolor == "white"  # not the trace's transparent colour
    # Tidy values: at most a tenth of the spacing from the exact cell centres.
    exact = vx0 + (vx1 - vx0) / 9 * (np.arange(9) + 0.5)
    assert np.abs(np.unique(x) - exact).max() <= (vx1 - vx0) / 90


def test_no_click_grid_by_default():
    surface, trajs = runs_on("d2l", D2L, 10)
    fig = figures.trajectory_figure(surface, trajs)
    assert not traces_named(fig, figures.CLICK_GRID_NAME)
    assert all(t.unselected is None or t.unselected.marker.opacity is None for t in fig.data)


def test_frames_leave_the_click_grid_alone():
    _, trajs, fig = click_figure(9)
    names = [t.name for t in fig.data]
    grid = names.index(figures.CLICK_GRID_NAME)
    expected = [figures.run_name(t) for t in trajs] * 2
    for fr in fig.frames:
        assert grid not in fr.traces
        assert [names[i] for i in fr.traces] == expected
    last = fig.frames[-1]
    for i, t in enumerate(trajs):  # the frame's data still lands on the right traces
        np.testing.assert_allclose(values(last.data[i].x), t.points[:, 0], rtol=1e-6)


def test_a_click_does_not_fade_the_paths():
    _, _, fig = click_figure(5)
    for t in fig.data[2:-1]:
        assert t.unselected.marker.opacity == 1


def test_figure_with_click_grid_and_dashed_runs_validates():
    _, _, fig = click_figure(21, dashed=[1])
    data = json.loads(fig.to_json())
    assert json.loads(go.Figure(fig.to_dict()).to_json()) == data


def selection(*points):
    return {"selection": {"points": list(points), "point_indices": [], "box": [], "lasso": []}}


def test_clicked_start_reads_streamlits_selection():
    _, _, fig = click_figure(9)
    grid = [t.name for t in fig.data].index(figures.CLICK_GRID_NAME)
    x, y = float(values(fig.data[grid].x)[40]), float(values(fig.data[grid].y)[40])
    clicked = selection({"x": x, "y": y, "curve_number": grid, "point_number": 40})
    assert figures.clicked_start(fig, clicked) == (x, y)
    assert figures.clicked_start([t.name for t in fig.data], clicked) == (x, y)
    assert figures.clicked_start(clicked) == (x, y)  # without the figure: any point


def test_clicked_start_prefers_the_click_grid_and_takes_any_point_otherwise():
    _, _, fig = click_figure(9)
    grid = len(fig.data) - 1
    on_path = {"x": -5.0, "y": -2.0, "curve_number": 2, "point_number": 0}
    on_grid = {"x": 0.25, "y": 1.0, "curve_number": grid, "point_number": 3}
    assert figures.clicked_start(fig, selection(on_path, on_grid)) == (0.25, 1.0)
    assert figures.clicked_start(fig, selection(on_path)) == (-5.0, -2.0)
    assert figures.clicked_start(selection(on_path, on_grid)) == (-5.0, -2.0)


@pytest.mark.parametrize("nothing", [
    None, {}, selection(), {"selection": {}}, {"selection": None}, "plot",
    selection({"curve_number": 3}), selection({"x": "a", "y": 1.0}),
    selection({"x": float("nan"), "y": 1.0}), selection({"x": None, "y": None}),
])
def test_clicked_start_without_a_usable_point(nothing):
    assert figures.clicked_start(nothing) is None
    assert figures.clicked_start(["a", "b"], nothing) is None


# ------------------------------------------------------------------- dashed runs


def test_dashed_runs_are_dashed_and_faded():
    surface, trajs = runs_on("d2l", D2L, 20)
    fig = figures.trajectory_figure(surface, trajs, dashed=[1])
    paths = path_traces(fig)
    dots = [t for t in fig.data if t.marker.size == figures.DOT_SIZE]
    assert paths[1].line.dash == "dash" and 0 < paths[1].opacity < 1
    assert dots[1].opacity == paths[1].opacity
    for i in (0, 2):
        assert paths[i].line.dash is None and paths[i].opacity is None
        assert dots[i].opacity is None
    # Frames still move the dashed run.
    assert [len(values(d.x)) for d in fig.frames[5].data[:3]] == [6, 6, 6]


# ------------------------------------------------------------------ state inspector


def adam_runs(steps: int = 200, name: str = "adam", **hyper):
    """One run with the explorer's defaults (η = 0.4, ε = 1e-6) on the chapter's f."""
    from optviz.settings import OptimizerSettings

    surface = get_surface("d2l")
    return surface, run(surface, [OptimizerSettings(name, hyper).to_run(surface.start)],
                        steps)[0]


def table_dict(rows) -> dict:
    return {r["quantity"]: (r["x1"], r["x2"]) for r in rows}


def test_state_table_of_adam():
    _, t = adam_runs(20)
    rows = figures.state_table(t, 5)
    assert [r["quantity"] for r in rows] == ["g", "m", "v", "m̂", "v̂", "η/(√v̂+ε)", "Δx"]
    assert all(set(r) == {"quantity", "x1", "x2"} for r in rows)
    d = table_dict(rows)
    assert d["g"] == tuple(t.grads[4])  # the gradient step 5 used, at x_4
    assert d["m"] == tuple(t.state["m"][5]) and d["v"] == tuple(t.state["v"][5])
    assert d["m̂"] == tuple(t.explained["m_hat"][5])
    assert d["η/(√v̂+ε)"] == tuple(t.explained["step_size"][5])
    assert d["Δx"] == tuple(t.points[5] - t.points[4])
    # Δx = −η/(√v̂+ε) · m̂, coordinate by coordinate.
    np.testing.assert_allclose(d["Δx"], -np.multiply(d["η/(√v̂+ε)"], d["m̂"]), rtol=1e-9)


def test_state_table_at_step_0_and_out_of_range():
    _, t = adam_runs(10)
    d = table_dict(figures.state_table(t, 0))
    assert d["g"] == (None, None) and d["m̂"] == (None, None)
    assert d["m"] == (0.0, 0.0) and d["Δx"] == (0.0, 0.0)
    assert figures.state_table(t, 99) == figures.state_table(t, 10)
    assert figures.state_table(t, -3) == figures.state_table(t, 0)


def test_state_table_without_bias_correction_and_with_amsgrad():
    _, off = adam_runs(10, bias_correction=False)
    assert [r["quantity"] for r in figures.state_table(off, 3)] == [
        "g", "m", "v", "η/(√v+ε)", "Δx"]
    _, ams = adam_runs(10, "amsgrad")
    names = [r["quantity"] for r in figures.state_table(ams, 3)]
    assert "v_max" in names
    assert names == ["g", "m", "v", "v_max", "m̂", "v̂", "η/(√v̂+ε)", "Δx"]


@pytest.mark.parametrize("name, fields", [
    ("sgd", ["momentum_buffer"]), ("momentum", ["momentum_buffer"]),
    ("adagrad", ["sum"]), ("rmsprop", ["square_avg", "momentum_buffer"]),
    ("adadelta", ["square_avg", "acc_delta"]), ("nadam", ["m", "v", "mu_product"]),
])
def test_state_table_of_other_rules_uses_their_field_names(name, fields):
    surface = get_surface("d2l")
    (t,) = run(surface, [Run.of(name, start=surface.start, lr=0.1)], 10)
    rows = figures.state_table(t, 4)
    assert [r["quantity"] for r in rows] == ["g", *fields, "Δx"]
    d = table_dict(rows)
    for f in fields:
        assert d[f] == tuple(t.state[f][4])


def test_state_figure_rows_lines_and_step_marker():
    _, t = adam_runs(200)
    fig = figures.state_figure(t, 17)
    titles = [a.text for a in fig.layout.annotations]
    assert len(titles) == 5
    for part, title in zip(["g", "m̂", "√v̂", "η/(√v̂+ε)", "Δx"], titles, strict=True):
        assert part in title
    assert len(fig.data) == 10  # x₁ and x₂ in each row
    assert [t.name for t in fig.data if t.showlegend is not False] == ["x₁", "x₂"]
    assert {t.line.color for t in fig.data} == {figures.X1_COLOR, figures.X2_COLOR}
    (line,) = fig.layout.shapes
    assert line.x0 == line.x1 == 17 and line.xref == "x" and line.yref == "paper"
    # One x axis for all rows, labelled at the bottom only.
    assert [fig.layout[f"xaxis{s}"].matches for s in ("", "2", "5")] == [None, "x", "x"]
    assert fig.layout.xaxis5.title.text == "step" and fig.layout.xaxis.showticklabels is False
    np.testing.assert_array_equal(values(fig.data[0].x), np.arange(1, 201))
    np.testing.assert_array_equal(values(fig.data[1].y), t.grads[:-1, 1])
    np.testing.assert_array_equal(values(fig.data[7].y), t.explained["step_size"][1:, 1])
    np.testing.assert_array_equal(values(fig.data[8].y), t.deltas[1:, 0])


def test_state_figure_is_compact_and_readable():
    _, t = adam_runs(50)
    fig = figures.state_figure(t, 3)
    assert fig.layout.font.size >= 14
    assert all(a.font.size >= 14 for a in fig.layout.annotations)
    assert 5 * 100 <= fig.layout.height <= 5 * 150
    domains = sorted(tuple(fig.layout[f"yaxis{s}"].domain) for s in ("", "2", "3", "4", "5"))
    for (lo, hi), (nlo, _) in zip(domains, domains[1:], strict=False):
        assert 0 <= lo < hi < nlo <= 1  # rows do not overlap


def test_state_figure_overlays_the_other_run_dashed():
    _, on = adam_runs(40)
    _, off = adam_runs(40, bias_correction=False)
    fig = figures.state_figure(on, 5, overlay=off)
    dashed = [t for t in fig.data if t.line.dash == "dash"]
    assert len(dashed) == 11  # two per row and one legend entry
    (entry,) = [t for t in dashed if t.showlegend is not False]
    assert entry.name == "bias correction off"
    # The uncorrected run's m sits on the m̂ row.
    np.testing.assert_array_equal(values(dashed[2].y), off.state["m"][1:, 0])
    back = figures.state_figure(off, 5, overlay=on)
    assert "no bias correction" in back.layout.annotations[1].text
    assert [t.name for t in back.data if t.showlegend is not False][-1] == "bias correction on"


def test_state_figure_of_other_rules_and_validity():
    surface = get_surface("rosenbrock")
    for name in ("sgd", "rmsprop", "adadelta", "nadam"):
        (t,) = run(surface, [Run.of(name, start=surface.start, lr=1e-3)], 30)
        fig = figures.state_figure(t, 30)
        rows = figures.state_table(t, 1)
        assert len(fig.layout.annotations) == len(rows)
        assert json.loads(go.Figure(fig.to_dict()).to_json()) == json.loads(fig.to_json())


def test_adams_effective_step_evens_out_the_coordinates():
    """The teaching claim: on f = 0.1 x1² + 2 x2² the gradients differ 20-fold, but
    η/(√v̂+ε) ≈ η/|g| per coordinate, so the first steps are ≈ η in both."""
    _, t = adam_runs(200)
    g = np.abs(t.grads[0])
    assert g[1] / g[0] == pytest.approx(8.0)  # at (-5, -2); 4·2 / (0.2·5)
    step = t.explained["step_size"][1]
    np.testing.assert_allclose(step, 0.4 / g, rtol=1e-5)
    np.testing.assert_allclose(np.abs(t.deltas[1]), [0.4, 0.4], rtol=1e-5)


def test_state_figure_is_fast():
    _, t = adam_runs(200)
    _, off = adam_runs(200, bias_correction=False)
    figures.state_figure(t, 10, overlay=off)
    best = math.inf
    for _ in range(5):
        t0 = time.perf_counter()
        figures.state_figure(t, 10, overlay=off)
        best = min(best, time.perf_counter() - t0)
    assert best < 0.03, f"{best * 1000:.0f} ms"


@pytest.mark.e2e
def test_click_grid_takes_clicks_in_a_browser(tmp_path):
    surface, trajs = runs_on("d2l", D2L[:1], 20)
    fig = figures.trajectory_figure(surface, trajs, click_grid=41)
    path = tmp_path / "fig.html"
    figures.write_html(fig, path)

    def click() -> tuple[list, list]:
        with sync_playwright() as p:
            browser, page = _open_figure(p, path)
            try:
                page.evaluate("""() => { const gd = document.querySelector('.js-plotly-plot');
                    window.clicks = []; gd.on('plotly_click', e => window.clicks.push(
                        e.points.map(p => [p.data.name, p.x, p.y]))); }""")
                # The pixel of (0.5, 1.0), away from the path.
                px = page.evaluate("""() => { const l = document.querySelector(
                    '.js-plotly-plot')._fullLayout; return [l.xaxis.d2p(0.5) + l.xaxis._offset,
                    l.yaxis.d2p(1.0) + l.yaxis._offset]; }""")
                page.mouse.move(*px)
                page.wait_for_timeout(100)
                page.mouse.click(*px)
                page.wait_for_timeout(200)
                return page.evaluate("() => window.clicks"), page.locator(
                    ".hovertext").all_inner_texts()
            finally:
                browser.close()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        clicks, _ = pool.submit(click).result()
    ((name, x, y),) = clicks[-1]
    assert name == figures.CLICK_GRID_NAME
    assert abs(x - 0.5) < 0.2 and abs(y - 1.0) < 0.2


def test_clicked_start_reads_streamlits_own_state_object():
    from streamlit import util  # a runtime dependency; imported here to keep the rest fast
    point = {"curve_number": 8, "point_number": 3, "point_index": 3, "x": 0.39, "y": 1.12}
    state = util.ReadOnlyAttributeDictionary({"selection": util.ReadOnlyAttributeDictionary(
        {"points": [point], "point_indices": [3], "box": [], "lasso": []})})
    assert figures.clicked_start(state) == (0.39, 1.12)
