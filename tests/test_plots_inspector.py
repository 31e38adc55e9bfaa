"""The state inspector: an optimizer's quantities at one step (table) and over all steps."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from optviz.plots import inspector
from optviz.surfaces import get_surface
from optviz.trajectory import Run, run
from tests.plot_helpers import values


def adam_runs(steps: int = 200, name: str = "adam", **hyper):
    """One run with the explorer's defaults (η = 0.4, ε = 1e-6) on the chapter's f."""
    from optviz.settings import OptimizerSettings

    surface = get_surface("d2l")
    return surface, run(surface, [OptimizerSettings(name, hyper).to_run(surface.start)],
                        steps)[0]


def table_dict(rows) -> dict:
    return {r["quantity"]: (r["x1"], r["x2"]) for r in rows}


# ---------------------------------------------------------------------- table


def test_state_table_of_adam():
    _, t = adam_runs(20)
    rows = inspector.state_table(t, 5)
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
    d = table_dict(inspector.state_table(t, 0))
    assert d["g"] == (None, None) and d["m̂"] == (None, None)
    assert d["m"] == (0.0, 0.0) and d["Δx"] == (0.0, 0.0)
    assert inspector.state_table(t, 99) == inspector.state_table(t, 10)
    assert inspector.state_table(t, -3) == inspector.state_table(t, 0)


def test_state_table_without_bias_correction_and_with_amsgrad():
    _, off = adam_runs(10, bias_correction=False)
    assert [r["quantity"] for r in inspector.state_table(off, 3)] == [
        "g", "m", "v", "η/(√v+ε)", "Δx"]
    _, ams = adam_runs(10, "amsgrad")
    names = [r["quantity"] for r in inspector.state_table(ams, 3)]
    assert names == ["g", "m", "v", "max v", "m̂", "v̂", "η/(√v̂+ε)", "Δx"]


@pytest.mark.parametrize("name, fields, shown", [
    ("sgd", ["momentum_buffer"], ["momentum b"]),
    ("momentum", ["momentum_buffer"], ["momentum b"]),
    ("adagrad", ["sum"], ["Σg²"]),
    ("rmsprop", ["square_avg", "momentum_buffer"], ["E[g²]", "momentum b"]),
    ("adadelta", ["square_avg", "acc_delta"], ["E[g²]", "E[Δx²]"]),
    ("nadam", ["m", "v", "mu_product"], ["m", "v", "Πμ"]),
])
def test_state_table_of_other_rules_names_their_state_as_a_student_reads_it(name, fields,
                                                                             shown):
    surface = get_surface("d2l")
    (t,) = run(surface, [Run.of(name, start=surface.start, lr=0.1)], 10)
    rows = inspector.state_table(t, 4)
    assert [r["quantity"] for r in rows] == ["g", *shown, "Δx"]
    d = table_dict(rows)
    for f, label in zip(fields, shown, strict=True):
        assert d[label] == tuple(t.state[f][4])


# --------------------------------------------------------------------- figure


def test_state_figure_rows_lines_and_step_marker():
    _, t = adam_runs(200)
    fig = inspector.state_figure(t, 17)
    titles = [a.text for a in fig.layout.annotations]
    assert len(titles) == 5
    for part, title in zip(["g", "m̂", "√v̂", "η/(√v̂+ε)", "Δx"], titles, strict=True):
        assert part in title
    assert len(fig.data) == 10  # x₁ and x₂ in each row
    assert [t.name for t in fig.data if t.showlegend is not False] == ["x₁", "x₂"]
    assert {t.line.color for t in fig.data} == {inspector.X1_COLOR, inspector.X2_COLOR}
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
    fig = inspector.state_figure(t, 3)
    assert fig.layout.font.size >= 14
    assert all(a.font.size >= 14 for a in fig.layout.annotations)
    assert 5 * 100 <= fig.layout.height <= 5 * 150
    domains = sorted(tuple(fig.layout[f"yaxis{s}"].domain) for s in ("", "2", "3", "4", "5"))
    for (lo, hi), (nlo, _) in zip(domains, domains[1:], strict=False):
        assert 0 <= lo < hi < nlo <= 1  # rows do not overlap


def test_state_figure_overlays_the_other_run_dashed():
    _, on = adam_runs(40)
    _, off = adam_runs(40, bias_correction=False)
    fig = inspector.state_figure(on, 5, overlay=off)
    dashed = [t for t in fig.data if t.line.dash == "dash"]
    assert len(dashed) == 11  # two per row and one legend entry
    (entry,) = [t for t in dashed if t.showlegend is not False]
    assert entry.name == "bias correction off"
    # The uncorrected run's m sits on the m̂ row.
    np.testing.assert_array_equal(values(dashed[2].y), off.state["m"][1:, 0])
    back = inspector.state_figure(off, 5, overlay=on)
    assert "no bias correction" in back.layout.annotations[1].text
    assert [t.name for t in back.data if t.showlegend is not False][-1] == "bias correction on"


def test_state_figure_of_other_rules_and_validity():
    surface = get_surface("rosenbrock")
    for name in ("sgd", "rmsprop", "adadelta", "nadam"):
        (t,) = run(surface, [Run.of(name, start=surface.start, lr=1e-3)], 30)
        fig = inspector.state_figure(t, 30)
        rows = inspector.state_table(t, 1)
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


def test_with_noise_the_table_and_figure_add_the_noisy_gradient_after_g():
    surface = get_surface("d2l")
    (t,) = run(surface, [Run.of("adam", lr=0.4, eps=1e-6)], 20, noise=1.0, seed=6)
    rows = inspector.state_table(t, 5)
    assert [r["quantity"] for r in rows][:2] == ["g", "g̃"]
    d = table_dict(rows)
    assert d["g"] == tuple(t.grads[4]) and d["g̃"] == tuple(t.noisy_grads[4])
    assert inspector.state_table(t, 0)[1] == {"quantity": "g̃", "x1": None, "x2": None}
    titles = [a["text"] for a in inspector.state_figure(t, 5).layout.annotations]
    assert titles[1].startswith("<b>g̃")
    (sgd,) = run(surface, [Run.of("sgd", lr=0.1)], 20, noise=1.0, seed=6)
    quantities = [r["quantity"] for r in inspector.state_table(sgd, 3)]
    assert quantities[:2] == ["g", "g̃"] and quantities.count("g̃") == 1
    _, quiet = adam_runs(20)
    assert "g̃" not in table_dict(inspector.state_table(quiet, 5))
