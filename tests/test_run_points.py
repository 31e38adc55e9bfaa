"""`trajectory.run_points`, the batched points-only path the previews take: each run the
same as `trajectory.run`'s alone, on both engines, divergence included; and compiling
in the background for engine "auto"."""

import numpy as np
import pytest

from optviz import families, rules, surfaces, trajectory
from optviz.surfaces import Surface
from optviz.trajectory import Run
from tests.run_oracle import at_steps

ROSEN = surfaces.get_surface("rosenbrock")
ENGINES = ["numpy", "compiled"]


def _alone(surface, optimizer, hp, start, steps, kept, bound, engine):
    (t,) = trajectory.run(surface, [Run(optimizer, hp, start)], steps, bound, engine)
    return at_steps(t.points, kept), t.diverged_at


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("optimizer", list(rules.RULES))
def test_each_run_is_the_engines_own_run_alone(optimizer, engine):
    """Runs differing in lr and start; some leave the bound (50), one starts outside it."""
    steps, bound = 120, 50.0
    kept = families.preview_steps(steps, 25)
    lrs = [1e-4, 2e-3, 0.05, 5.0, 1e4]
    begins = [ROSEN.start, (0.5, 0.5), (2.0, 2.0), (-1.9, 2.9)]
    pairs = [(lr, b) for lr in lrs for b in begins] + [(1e-3, (60.0, 0.0))]
    hyper = rules.get_rule(optimizer).hyperparams()
    got = trajectory.run_points(ROSEN, optimizer,
                                hyper._replace(lr=np.array([lr for lr, _ in pairs])),
                                [b for _, b in pairs], steps, kept, bound, engine)
    assert got.shape == (len(pairs), len(kept), 2) and got.dtype == np.float32
    cut = []
    for k, (lr, begin) in enumerate(pairs):
        want, at = _alone(ROSEN, optimizer, hyper._replace(lr=lr), begin, steps, kept, bound,
                          engine)
        np.testing.assert_allclose(got[k], want, rtol=2e-6, atol=1e-6, err_msg=f"run {k}")
        np.testing.assert_array_equal(np.isnan(got[k]), np.isnan(want))
        cut.append(at)
    assert any(at is None for at in cut) and any(at for at in cut)  # both kinds exercised
    assert cut[-1] == 0 and np.isfinite(got[-1, 0]).all() and np.isnan(got[-1, 1:]).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_run_whose_gradient_goes_non_finite_is_cut_there(engine):
    """ε = 5e-324 at the saddle point: the first step is finite but its f or gradient is
    not, and `run` cuts the run before it."""
    saddle = surfaces.get_surface("saddle")
    hyper = rules.get_rule("adam").hyperparams(lr=0.1, eps=5e-324)
    got = trajectory.run_points(saddle, "adam", hyper, [(0.0, 0.0), (1.0, 1.0)], 10,
                                engine=engine)
    for k, start in enumerate([(0.0, 0.0), (1.0, 1.0)]):
        want, at = _alone(saddle, "adam", hyper, start, 10, np.arange(11), 1e6, engine)
        np.testing.assert_allclose(got[k], want, rtol=2e-6)
    assert np.isfinite(got[0, 0]).all() and np.isnan(got[0, 1:]).all()


@pytest.mark.parametrize("engine", ENGINES)
def test_steps_zero_and_every_step_by_default(engine):
    hyper = rules.get_rule("sgd").hyperparams(lr=0.01)
    got = trajectory.run_points(ROSEN, "sgd", hyper, [(0.0, 0.0)], 0, engine=engine)
    np.testing.assert_array_equal(got, np.zeros((1, 1, 2), np.float32))
    got = trajectory.run_points(ROSEN, "sgd", hyper, [(0.0, 0.0)], 7, engine=engine)
    want, _ = _alone(ROSEN, "sgd", hyper, (0.0, 0.0), 7, np.arange(8), 1e6, engine)
    np.testing.assert_allclose(got[0], want, rtol=2e-6)


def test_the_compiled_loop_gives_the_same_numbers_however_the_runs_are_shared_out():
    from optviz import compiled

    rule = rules.get_rule("nadam")
    lrs = np.geomspace(1e-4, 10.0, 37)
    H = compiled.hyper_rows(rule.hyperparams()._replace(lr=lrs), len(lrs))
    starts = np.tile(ROSEN.start, (len(lrs), 1))
    kept = np.arange(0, 201, 5)
    one = compiled.points(rule, ROSEN, H, starts, kept, 1e6, threads=1)
    np.testing.assert_array_equal(compiled.points(rule, ROSEN, H, starts, kept, 1e6, threads=3),
                                  one)


def test_bad_arguments_raise():
    hyper = rules.get_rule("adam").hyperparams()
    with pytest.raises(ValueError, match="engine"):
        trajectory.run_points(ROSEN, "adam", hyper, [(0, 0)], 3, engine="gpu")
    for kept in ([0, 4], [2, 1], [], [-1, 2], [[0, 1]], [0.0, 1.5]):
        with pytest.raises(ValueError, match="kept"):
            trajectory.run_points(ROSEN, "adam", hyper, [(0, 0)], 3, kept)
    with pytest.raises(ValueError, match="unknown optimizer"):
        trajectory.run_points(ROSEN, "adamx", hyper, [(0, 0)], 3)


# ------------------------------------------------------------ background compiling


def bowl_f(x1, x2):
    """A surface of this file's own, so that nothing else has compiled it."""
    return 0.5 * x1 * x1 + 3.0 * x2 * x2


def bowl_grad(x1, x2):
    return 1.0 * x1, 6.0 * x2


BOWL = Surface("bowl", "Bowl", "", bowl_f, bowl_grad, ((-3.0, 3.0), (-3.0, 3.0)),
               (-2.0, 1.0), ((0.0, 0.0),), False)


def test_auto_compiles_in_the_background_once_and_then_takes_the_compiled_loop(monkeypatch):
    from optviz import compiled

    monkeypatch.setattr(trajectory, "BACKGROUND_COMPILE", True)
    rule = rules.get_rule("nadam")
    hyper = rule.hyperparams()._replace(lr=np.geomspace(1e-3, 3.0, 12))
    starts = np.tile(BOWL.start, (12, 1))
    assert not compiled.is_warm(rule, bowl_grad, "points")
    first = trajectory.run_points(BOWL, "nadam", hyper, starts, 60)  # the NumPy loop
    thread = trajectory.compile_in_background(rule, BOWL)
    assert thread is not None and thread is trajectory.compile_in_background(rule, BOWL)
    thread.join(timeout=300)
    assert not thread.is_alive()
    assert compiled.is_warm(rule, bowl_grad, "points")
    assert compiled.is_warm(rule, bowl_grad, "advance")
    np.testing.assert_array_equal(first, trajectory.run_points(BOWL, "nadam", hyper, starts, 60,
                                                               engine="numpy"))
    again = trajectory.run_points(BOWL, "nadam", hyper, starts, 60)  # now compiled
    np.testing.assert_array_equal(again, trajectory.run_points(BOWL, "nadam", hyper, starts, 60,
                                                               engine="compiled"))
    np.testing.assert_allclose(again, first, rtol=1e-6, atol=1e-9)
    (done,) = trajectory.run(BOWL, [Run("nadam", rule.hyperparams(lr=1e-3), BOWL.start)], 60)
    np.testing.assert_allclose(done.points, again[0], rtol=1e-6, atol=1e-9)


def test_nothing_is_compiled_in_the_background_when_it_is_off_or_per_condition_number():
    assert not trajectory.BACKGROUND_COMPILE  # tests/conftest.py
    rule = rules.get_rule("adagrad")
    trajectory.run_points(BOWL, "adagrad", rule.hyperparams(), [(1.0, 1.0)], 5)
    assert (rule.init, rule.update, bowl_grad) not in trajectory._background
    # The rotated quadratic's f and gradient are made anew for each condition number.
    assert trajectory.compile_in_background(rule, surfaces.get_surface("rotated", 20.0)) is None


def test_auto_runs_while_a_background_compile_is_still_importing_numba(monkeypatch):
    """Half imported, optviz.compiled is in sys.modules without is_warm yet."""
    import sys
    import types

    monkeypatch.setitem(sys.modules, "optviz.compiled", types.ModuleType("optviz.compiled"))
    hyper = rules.get_rule("adam").hyperparams()
    got = trajectory.run_points(ROSEN, "adam", hyper, [ROSEN.start], 5)
    np.testing.assert_array_equal(got, trajectory.run_points(ROSEN, "adam", hyper,
                                                             [ROSEN.start], 5, engine="numpy"))
    (t,) = trajectory.run(ROSEN, [Run("adam", hyper, ROSEN.start)], 5)
    np.testing.assert_allclose(t.points, got[0], rtol=1e-6)
