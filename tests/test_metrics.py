"""Run metrics: final f, distance to the nearest minimum, first step within a tolerance."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optviz import cli, metrics
from optviz.cli import trajectory as cli_trajectory
from optviz.settings import OptimizerSettings
from optviz.surfaces import get_surface
from optviz.trajectory import Run, run


def one(surface_name: str, optimizer: str = "adam", steps: int = 200, start=None, **hyper):
    surface = get_surface(surface_name)
    r = OptimizerSettings(optimizer, hyper).to_run(start or surface.start)
    return surface, run(surface, [r], steps)[0]


def test_summary_of_a_converging_run():
    surface, t = one("d2l")
    s = metrics.summarize(t, surface)
    assert s.final_value == t.values[-1] and s.final_point == tuple(t.points[-1])
    assert s.steps == 200 and s.diverged_at is None
    assert s.nearest_minimum == (0.0, 0.0)
    assert s.distance_to_minimum == pytest.approx(math.hypot(*t.points[-1]))
    d = np.hypot(t.points[:, 0], t.points[:, 1])
    k = s.steps_to_tolerance
    assert d[k] <= 1e-3 and (d[:k] > 1e-3).all()
    assert str(s) == s.text() == (
        f"f = {metrics._short(s.final_value)} after 200 steps, "
        f"{metrics._short(s.distance_to_minimum)} from the minimum (0, 0); "
        f"first within 1e-3 at step {k}")


def test_a_looser_tolerance_is_reached_no_later():
    surface, t = one("rosenbrock", lr=0.1, steps=1200)
    ks = [metrics.summarize(t, surface, tol).steps_to_tolerance for tol in (1e-1, 1e-2, 1e-3)]
    assert None not in ks and ks == sorted(ks) and ks[0] < ks[2]


def test_never_within_tolerance():
    surface, t = one("d2l", steps=20)
    s = metrics.summarize(t, surface)
    assert s.steps_to_tolerance is None
    assert s.text().endswith("from the minimum (0, 0); never within 1e-3")


def test_a_start_on_the_minimum_is_within_tolerance_at_step_0():
    surface, t = one("booth", start=(1.0, 3.0), steps=5)
    assert metrics.summarize(t, surface).steps_to_tolerance == 0


def test_the_nearest_of_several_minima():
    surface, t = one("himmelblau", lr=0.1, steps=300, start=(-1.0, 2.5))
    s = metrics.summarize(t, surface)
    brute = min(surface.minima, key=lambda m: math.dist(m, t.points[-1]))
    assert s.nearest_minimum == brute
    assert s.distance_to_minimum == pytest.approx(math.dist(brute, t.points[-1]))
    assert "from the nearest minimum (-2.805, 3.131)" in s.text()


def test_a_surface_without_minima():
    surface, t = one("saddle", steps=20)
    s = metrics.summarize(t, surface)
    assert s.nearest_minimum is None and s.distance_to_minimum is None
    assert s.steps_to_tolerance is None
    assert s.text() == f"f = {metrics._short(t.values[-1])} after 20 steps " \
                       "(this surface has no minimum)"


def test_a_diverged_run():
    surface, t = one("d2l", "sgd", lr=20.0, steps=50)
    s = metrics.summarize(t, surface)
    assert s.diverged_at == t.diverged_at is not None
    assert s.text() == f"diverged at step {t.diverged_at}"
    assert s.final_point == tuple(t.points[-1]) and math.isfinite(s.final_value)


@pytest.mark.parametrize("x, text", [(1e-3, "1e-3"), (0.0123, "0.0123"), (0.5, "0.5"),
                                     (1e-6, "1e-6"), (3.59e-9, "3.59e-9"), (25000.0, "2.5e4"),
                                     (123.456, "123"), (-0.147, "-0.147"), (0.0, "0")])
def test_short_numbers(x, text):
    assert metrics._short(x) == text


coordinate = st.floats(-10, 10)


@given(st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=5),
       st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=4))
def test_distances_to_minima_is_the_nearest(points, minima):
    d = metrics.distances_to_minima(np.array(points), minima)
    expected = [min(math.dist(p, m) for m in minima) for p in points]
    np.testing.assert_allclose(d, expected, rtol=1e-12, atol=1e-12)


def test_no_minima_gives_nan_distances():
    assert np.isnan(metrics.distances_to_minima(np.zeros((3, 2)), ())).all()


def test_the_cli_summary_uses_the_same_numbers(capsys):
    assert cli.main(["trajectory", "--steps", "200"]) == 0
    out = capsys.readouterr().out
    surface = get_surface("d2l")
    t = run(surface, [OptimizerSettings("adam").to_run(surface.start)], 200)[0]
    s = metrics.summarize(t, surface, cli_trajectory.TOLERANCE)
    assert f"distance to the nearest minimum (0, 0): {s.distance_to_minimum:.3g}" in out
    assert f"first within 0.001 at step {s.steps_to_tolerance}" in out


# Each engine named: under "auto" the batch and a lone run may take different loops,
# by what earlier tests compiled, and the two loops agree to rounding, not bit for bit.
@pytest.mark.parametrize("engine", ["numpy", "compiled"])
def test_summaries_of_many_runs_match_one_by_one(engine):
    surface = get_surface("rosenbrock")
    runs = [Run.of(o, start=surface.start, lr=lr) for o, lr in
            (("adam", 0.05), ("rmsprop", 0.01), ("sgd", 1e-3))]
    for t in run(surface, runs, 300, engine=engine):
        s = metrics.summarize(t, surface, 1e-2)
        alone = run(surface, [t.run], 300, engine=engine)[0]
        assert s == metrics.summarize(alone, surface, 1e-2)
