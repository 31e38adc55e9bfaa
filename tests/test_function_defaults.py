"""Each function's defaults (`optviz.surfaces`: start, steps, η per optimizer) show a
sensible path with every optimizer, and settings fill in what a user does not give."""

import math

import pytest

from optviz import rules, settings, surfaces
from optviz.defaults import DEFAULTS
from optviz.settings import OptimizerSettings, TrajectorySettings
from tools import function_defaults

# "Well below its start": the run ends at least 90 % of the way down from f(start) to
# f* = 0, the value of f at every minimum listed (and at the saddle's saddle point):
#     f(end) − f* ≤ 0.1 · (f(start) − f*)
WELL_BELOW = 0.1
F_STAR = 0.0


def test_f_star_is_f_at_every_minimum_and_at_the_saddle_point():
    for surface in surfaces.SURFACES.values():
        for x in surface.minima or [(0.0, 0.0)]:
            assert surface.f(*x) == pytest.approx(F_STAR, abs=1e-12), surface.name


@pytest.mark.parametrize("optimizer", list(rules.RULES))
@pytest.mark.parametrize("name", list(surfaces.SURFACES))
def test_every_function_with_every_optimizer_goes_well_down_without_diverging(name, optimizer):
    request = TrajectorySettings(surface=name, optimizers=(optimizer,))
    assert request.steps == surfaces.SURFACES[name].steps
    (t,) = request.compute(engine="numpy")
    assert t.diverged_at is None, f"{name}, {optimizer}: diverged at step {t.diverged_at}"
    assert t.steps == request.steps
    start, end = float(t.values[0]), float(t.values[-1])
    assert start == request.get_surface().f(*request.start_point())
    assert math.isfinite(end) and end - F_STAR <= WELL_BELOW * (start - F_STAR), (
        f"{name}, {optimizer}: f from {start:.4g} to {end:.4g}")


def test_the_chapters_function_keeps_the_chapters_values():
    d2l = surfaces.SURFACES["d2l"]
    assert (d2l.start, d2l.steps) == ((-5.0, -2.0), 20)
    # Its own η only where the chapter does not run the optimizer on it.
    assert set(d2l.lr) == {"nesterov", "adadelta"}
    for name in ("sgd", "momentum", "adagrad", "rmsprop", "adam"):
        assert TrajectorySettings(optimizers=(name,)).hyperparams().lr == 0.4
    assert TrajectorySettings().runs()[0].hyper == OptimizerSettings("adam").hyperparams()


def test_every_other_function_has_an_eta_for_every_optimizer():
    for name, surface in surfaces.SURFACES.items():
        if name != "d2l":
            assert set(surface.lr) == set(rules.RULES), name
        assert all(lr > 0 for lr in surface.lr.values())
    assert surfaces.get_surface("rotated", 1000.0).lr == surfaces.SURFACES["rotated"].lr


def test_settings_fill_in_the_functions_defaults_and_given_values_win():
    s = TrajectorySettings(surface="rosenbrock",
                           optimizers=("adam", "sgd", OptimizerSettings("momentum", {"lr": 0.4})))
    assert (s.steps, s.start_point()) == (2000, (-1.5, 2.0))
    assert [r.hyper.lr for r in s.runs()] == [0.006, 0.001, 0.4]
    hp = s.hyperparams(0)
    assert (hp.eps, hp.beta1) == (DEFAULTS["adam"].explorer["eps"], 0.9)  # the rest as before
    assert s.runs()[2].hyper.momentum == 0.5
    assert TrajectorySettings(surface="rosenbrock", steps=20, start=(0, 0)).steps == 20
    strings = TrajectorySettings.from_strings(surface="beale", optimizers="nadam,sgd",
                                              hyper={"lr": "0.05"})
    assert strings.steps == 20 and [r.hyper.lr for r in strings.runs()] == [0.05, 0.05]


def test_a_function_longer_than_the_servers_cap_takes_the_cap(monkeypatch):
    monkeypatch.setattr(settings, "MAX_STEPS", 300)
    assert settings.default_steps("rosenbrock") == 300
    assert TrajectorySettings(surface="rosenbrock").steps == 300
    assert settings.default_steps("booth") == 100


def test_the_table_is_what_the_documented_search_finds():
    """tools/function_defaults.py chose these values; rerun, it finds them again."""
    for name, surface in surfaces.SURFACES.items():
        assert function_defaults.search(surface) == (surface.steps, dict(surface.lr)), name
