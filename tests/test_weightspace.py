"""Adam in weight space: the plane, its loss, the runs on it, the page.

The chapter's data comes from conftest's `airfoil` / `shared_data_dir` (a loud skip
without the shared file, a failure under CI=true)."""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from optviz import payload, weightspace
from optviz.trainer import Trainer, design


@pytest.fixture(scope="module")
def view(airfoil):
    return weightspace.compute(airfoil, "adam")


def test_the_plane_holds_the_start_the_optimum_and_the_end(airfoil, view):
    X, y = design(airfoil)
    plane = view.plane
    optimum = weightspace.least_squares(X, y)
    path = np.array(Trainer(airfoil, log_every=10, record_weights=True).fit().thetas)
    for theta in (path[0], optimum, path[-1]):
        assert plane.off_plane(theta[None])[0] < 1e-9
    assert abs(np.linalg.norm(plane.u) - 1) < 1e-12 and abs(plane.u @ plane.v) < 1e-12
    # θ* sits on the a axis, at its distance from θ0; the start at the origin.
    assert view.optimum[0] == pytest.approx(np.linalg.norm(optimum - path[0]))
    assert abs(view.optimum[1]) < 1e-9
    np.testing.assert_allclose(view.runs[0].points[0], (0, 0), atol=1e-12)


def test_the_loss_on_the_plane_is_the_chapters_loss_exactly(airfoil, view):
    X, y = design(airfoil)
    X, y = X.astype(float), y.astype(float)
    plane = view.plane
    rng = np.random.default_rng(0)
    for a, b in rng.normal(size=(5, 2)):
        theta = plane.origin + a * plane.u + b * plane.v
        assert plane.loss(a, b) == pytest.approx(((X @ theta - y) ** 2).mean() / 2, rel=1e-10)
        h = 1e-6
        ga, gb = plane.grad(a, b)
        assert ga == pytest.approx((plane.loss(a + h, b) - plane.loss(a - h, b)) / (2 * h),
                                   rel=1e-5)
        assert gb == pytest.approx((plane.loss(a, b + h) - plane.loss(a, b - h)) / (2 * h),
                                   rel=1e-5, abs=1e-9)
    # The optimum is the plane's lowest point.
    a, b = view.optimum
    assert plane.loss(a, b) < min(plane.loss(a + 0.05, b), plane.loss(a, b + 0.05))


def test_both_runs_are_the_trainers_and_agree(airfoil, view):
    scratch, torch_run = view.runs
    assert (scratch.run.label, torch_run.run.label) == ("Adam, from scratch", "Adam, torch.optim")
    assert len(scratch.points) == 301  # every step of 2 epochs of 150 batches, and θ0
    trained = Trainer(airfoil).fit()
    assert scratch.values[-1] == pytest.approx(trained.final_loss, rel=1e-5)
    assert 0.24 < scratch.values[-1] < 0.25  # the chapter's 0.245
    np.testing.assert_allclose(scratch.points, torch_run.points, atol=1e-5)
    assert 0 < view.off_plane < 1


def test_the_payload_names_its_axes_and_dashes_torch(view):
    header, arrays = payload.unpack(weightspace.payload(view))
    assert header["axes"] == ["a (towards θ*)", "b"] and header["value_name"] == "L"
    assert [r["dashed"] for r in header["runs"]] == [False, True]
    assert header["sliders"] == [] and header["families"] == {} and header["start"] is None
    assert header["minima"] == [list(view.optimum)]
    points = arrays[header["runs"][0]["points"]]
    np.testing.assert_allclose(points, view.runs[0].points, atol=1e-6)


def test_the_page_draws_the_airfoil_run(shared_data_dir, monkeypatch):
    monkeypatch.setenv("OPTVIZ_DATA_DIR", str(shared_data_dir))
    page = str(Path(__file__).resolve().parents[1] / "pages" / "weights.py")
    at = AppTest.from_file(page, default_timeout=120).run()
    assert not at.exception and not at.error
    assert "0.246" in at.caption[0].value and "leave the plane" in at.caption[0].value
    at.number_input(key="w.adam.lr").set_value(0.05).run()
    assert not at.exception and not at.error


def test_bad_values_in_the_pages_link_get_one_message_each(shared_data_dir, monkeypatch):
    monkeypatch.setenv("OPTVIZ_DATA_DIR", str(shared_data_dir))
    page = str(Path(__file__).resolve().parents[1] / "pages" / "weights.py")
    at = AppTest.from_file(page, default_timeout=120)
    for key, value in {"w.batch": "abc", "w.adam.lr": "-1", "w.data": "nope",
                       "zz": "1", "w.epochs": "99"}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception and not at.error
    (warning,) = at.warning
    lines = warning.value.splitlines()[1:]
    assert len(lines) == 5, lines
    assert any("Learning rate must be in (0, ∞), got -1 (w.adam.lr)" in x for x in lines)
    assert "0.246" in at.caption[0].value  # drawn with the defaults
