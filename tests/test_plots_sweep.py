"""The sweep's heat map: log axes, log colours, diverged settings, the best one."""

import math

import numpy as np
import plotly.graph_objects as go
import pytest

from optviz import data, sweep
from optviz.plots import sweep as sweep_plot
from optviz.sweep_axes import axis_values, best_setting

X = axis_values("lr", 1e-3, 1.0, 4, "log")  # 0.001, 0.01, 0.1, 1
Y = axis_values("beta1", 0.9, 0.999, 3, "log1m")  # 0.9, 0.99, 0.999
GRID = sweep.grid("lr", X, "beta1", Y)
# (ny, nx) = (3, 4); the setting lr = 1, β1 = 0.999 diverged, lr = 0.01, β1 = 0.99 is best.
LOSS = np.array([[0.5, 0.3, 0.4, 20.0],
                 [0.6, 0.25, 0.5, 300.0],
                 [0.7, 0.35, 2.0, np.nan]])
DIVERGED = np.zeros((3, 4), bool)
DIVERGED[2, 3] = True


@pytest.fixture(scope="module")
def fig() -> go.Figure:
    return sweep_plot.sweep_heatmap(GRID, LOSS.ravel(), DIVERGED.ravel(), spacing=("log", "log1m"))


def _trace(fig: go.Figure, name: str):
    return next(t for t in fig.data if t.name == name)


# ---------------------------------------------------------------------- heat map


def test_shape_and_cell_edges(fig):
    heat = _trace(fig, "final loss")
    assert np.asarray(heat.z).shape == GRID.shape == (3, 4)
    ex, ey = np.asarray(heat.x), np.asarray(heat.y)
    assert len(ex) == 5 and len(ey) == 4  # edges, one more than the cells
    # Geometric midpoints on log axes: cells of equal width on screen.
    np.testing.assert_allclose(np.diff(np.log10(ex)), 1.0)
    np.testing.assert_allclose(np.diff(np.log10(ey)), -1.0)  # 1 − β: 0.1 -> 0.001


def test_log_axes_and_beta_drawn_as_one_minus_beta(fig):
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    assert fig.layout.xaxis.title.text == "Learning rate"
    assert fig.layout.xaxis.range[0] < fig.layout.xaxis.range[1]
    assert fig.layout.yaxis.range[0] > fig.layout.yaxis.range[1]  # β grows upward
    assert "β1" in fig.layout.yaxis.title.text and "1 − β" in fig.layout.yaxis.title.text
    assert list(fig.layout.yaxis.ticktext) == ["0.999", "0.99", "0.9"]
    np.testing.assert_allclose(fig.layout.yaxis.tickvals, [0.001, 0.01, 0.1])
    assert list(fig.layout.xaxis.ticktext) == ["0.001", "0.01", "0.1", "1"]


def test_linear_axes():
    g = sweep.grid("beta1", axis_values("beta1", 0, 0.9, 4, "linear"),
                   "beta2", axis_values("beta2", 0.5, 0.99, 3, "linear"))
    f = sweep_plot.sweep_heatmap(g, np.linspace(0.3, 1, 12), np.zeros(12, bool))
    assert f.layout.xaxis.type == "linear" and f.layout.yaxis.type == "linear"
    np.testing.assert_allclose(_trace(f, "final loss").x, [-0.15, 0.15, 0.45, 0.75, 1.05])


def test_log_colour_scale_with_ticks_in_loss(fig):
    heat = _trace(fig, "final loss")
    z = np.asarray(heat.z, dtype=float)
    ok = ~DIVERGED
    np.testing.assert_allclose(z[ok], np.log10(LOSS[ok]))
    assert heat.zmin == pytest.approx(math.log10(0.25))
    assert heat.zmax == pytest.approx(math.log10(300.0))
    bar = heat.colorbar
    assert bar.title.text == "final loss" and len(bar.tickvals) >= 3
    for value, text in zip(bar.tickvals, bar.ticktext, strict=True):
        assert 10 ** value == pytest.approx(float(text.replace(",", "")), rel=1e-6)


def test_diverged_cells_are_grey_with_a_cross_and_a_legend_entry(fig):
    heat = _trace(fig, "final loss")
    assert math.isnan(np.asarray(heat.z, dtype=float)[2, 3])
    grey = _trace(fig, "diverged cells")
    zg = np.asarray(grey.z, dtype=float)
    assert zg[2, 3] == 1 and np.isnan(zg[~DIVERGED]).all()
    cross = _trace(fig, sweep_plot.DIVERGED_NAME)
    assert cross.marker.symbol.startswith("x") and cross.showlegend is not False
    assert list(cross.x) == pytest.approx([1.0]) and list(cross.y) == pytest.approx([0.001])


def test_best_setting_starred_and_named(fig):
    star = _trace(fig, sweep_plot.BEST_NAME)
    assert star.marker.symbol == "star"
    assert list(star.x) == pytest.approx([0.01]) and list(star.y) == pytest.approx([0.01])
    sub = fig.layout.title.subtitle.text
    assert "Learning rate = 0.01, β1 = 0.99" in sub and "0.25" in sub
    assert best_setting(LOSS.ravel(), DIVERGED.ravel()) == 5


def test_hover_names_both_values_and_the_loss_or_diverged(fig):
    cells = _trace(fig, sweep_plot.CELLS_NAME)
    assert cells.hovertemplate == "%{text}<extra></extra>"
    text = np.asarray(cells.text).reshape(GRID.shape)
    assert text[1][1] == "Learning rate = 0.01<br>β1 = 0.99<br>final loss = 0.25"
    assert text[0][3].endswith("final loss = 20")
    assert text[2][3] == "Learning rate = 1<br>β1 = 0.999<br><b>diverged</b>"
    # The heat maps stay silent, so the hover is always the cell's marker's.
    assert all(t.hoverinfo == "skip" for t in fig.data if t.type == "heatmap")


def test_each_cell_is_a_clickable_marker_naming_its_setting(fig):
    cells = _trace(fig, sweep_plot.CELLS_NAME)
    assert fig.data[-1] is cells  # on top, so a click reaches it
    assert list(cells.customdata) == list(range(GRID.size))
    for s, (x, y) in enumerate(zip(cells.x, cells.y, strict=True)):
        setting = GRID.setting(s)
        assert x == pytest.approx(setting["lr"])
        assert 1 - y == pytest.approx(setting["beta1"])  # the log1m axis plots 1 − β
    assert cells.marker.opacity == 0 and cells.selected.marker.opacity == 1
    assert fig.layout.hoverdistance == -1 and "select" in fig.layout.clickmode


# ------------------------------------------------------------- a narrow range

NARROW = np.array([[0.2458, 0.2452, 0.2465, 20.0],
                   [0.2460, 0.2451, 0.2455, 300.0],
                   [0.2462, 0.2457, 0.2459, np.nan]])  # 0.2451 .. 0.2465 but two outliers


def test_a_wide_range_is_not_narrow():
    assert sweep_plot.narrow_spread(LOSS.ravel(), DIVERGED.ravel()) is None
    # 5 % above the best is already wide; a best loss of 0 has no relative scale.
    assert sweep_plot.narrow_spread([1.0, 1.05], [False, False]) is None
    assert sweep_plot.narrow_spread([0.0, 1e-9], [False, False]) is None
    assert sweep_plot.narrow_spread([np.nan, 1.0], [True, True]) is None


def test_the_spread_counts_only_settings_that_did_not_diverge():
    bad = np.isnan(NARROW) | (NARROW > 1)
    spread = sweep_plot.narrow_spread(NARROW.ravel(), bad.ravel())
    assert spread == pytest.approx(0.2465 / 0.2451 - 1)
    assert sweep_plot.narrow_spread(NARROW.ravel(), np.isnan(NARROW).ravel()) is None
    assert sweep_plot.narrow_spread([0.3, 0.3], [False, False]) == 0


def test_a_narrow_range_colours_the_percentage_above_the_best():
    bad = np.isnan(NARROW) | (NARROW > 1)
    f = sweep_plot.sweep_heatmap(GRID, NARROW.ravel(), bad.ravel(), spacing=("log", "log1m"))
    heat = _trace(f, "final loss")
    z = np.asarray(heat.z, dtype=float)
    np.testing.assert_allclose(z[~bad], 100 * (NARROW[~bad] / 0.2451 - 1))
    assert np.isnan(z[bad]).all()
    assert heat.zmin == 0 and heat.zmax == pytest.approx(100 * (0.2465 / 0.2451 - 1))
    bar = heat.colorbar
    assert "above the best" in bar.title.text and "0.2451–0.2465" in bar.title.text
    assert bar.ticktext[0] == "best" and bar.tickvals[0] == 0
    for value, text in zip(bar.tickvals[1:], bar.ticktext[1:], strict=True):
        assert text == f"+{value:g} %" and 0 < value <= heat.zmax
    assert len(bar.tickvals) >= 3
    text = np.asarray(_trace(f, sweep_plot.CELLS_NAME).text).reshape(GRID.shape)
    assert text[1][1].endswith("final loss = 0.2451 (the best)")
    assert text[0][2].endswith("final loss = 0.2465 (+0.57 % above the best)")
    assert text[1][3].endswith("<b>diverged</b>")


def test_a_wide_range_keeps_log_colours_and_plain_hover(fig):
    assert _trace(fig, "final loss").colorbar.title.text == "final loss"
    text = _trace(fig, sweep_plot.CELLS_NAME).text
    assert not any("above the best" in t for t in text)


@pytest.mark.parametrize("top, ticks", [(0.57, [0, 0.2, 0.4]), (4.0, [0, 1, 2, 3, 4]),
                                        (0.03, [0, 0.01, 0.02, 0.03]), (0.0, [0])])
def test_percent_ticks_are_round(top, ticks):
    assert sweep_plot._percent_ticks(top) == pytest.approx(ticks)


def test_percent_text():
    assert sweep_plot.percent_text(0.0031) == "+0.31 %"
    assert sweep_plot.percent_text(0.00057) == "+0.057 %"
    assert sweep_plot.percent_text(0) == "+0 %"


def test_every_setting_diverged():
    f = sweep_plot.sweep_heatmap(GRID, np.full(12, np.inf), np.ones(12, bool))
    assert "every setting diverged" in f.layout.title.subtitle.text
    assert sweep_plot.BEST_NAME not in [t.name for t in f.data]
    assert best_setting(np.full(12, np.inf), np.ones(12, bool)) is None


def test_readable_on_a_projector(fig):
    assert fig.layout.font.size >= 14
    assert fig.layout.xaxis.tickfont.size >= 14 and fig.layout.yaxis.tickfont.size >= 14
    assert _trace(fig, "final loss").colorbar.tickfont.size >= 14
    assert fig.layout.legend.font.size >= 14 and fig.layout.title.font.size >= 14
    assert "Adam" in fig.layout.title.text


def test_a_real_sweep_end_to_end():
    g = sweep.grid("lr", axis_values("lr", 1e-3, 10, 5, "log"),
                   "eps", axis_values("eps", 1e-8, 1e-2, 4, "log"))
    s = sweep.Sweep(data.synthetic(n=100, d=2), g, epochs=1).fit()
    f = sweep_plot.sweep_heatmap(g, s.final_loss, s.diverged, "My sweep")
    assert "My sweep" in f.layout.title.text
    assert np.asarray(_trace(f, "final loss").z).shape == (4, 5)
    assert f.layout.xaxis.type == "log" and f.layout.yaxis.type == "log"
    f.to_json()  # serializable as Streamlit sends it


def test_an_axis_end_far_from_a_round_tick_gets_its_own():
    g = sweep.grid("lr", X, "beta1", axis_values("beta1", 0.5, 0.999, 5, "log1m"))
    f = sweep_plot.sweep_heatmap(g, np.linspace(0.3, 1, 20), np.zeros(20, bool))
    assert list(f.layout.yaxis.ticktext) == ["0.999", "0.99", "0.9", "0.5"]
