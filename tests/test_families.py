"""Families of a run (the explorer's previews): the grids, the kept steps, and every
member equal to the engine's own run at that value or start."""

import numpy as np
import pytest

from optviz import families, presets, rules, surfaces, trajectory
from optviz.families import SLIDERS
from optviz.settings import OptimizerSettings, TrajectorySettings
from tests.run_oracle import at_steps


@pytest.mark.parametrize("steps", [0, 1, 2, 20, 299, 300, 301, 1000, 4999, 5000])
@pytest.mark.parametrize("limit", [300, 50, 2])
def test_preview_steps_keep_the_first_and_last_evenly_within_the_limit(steps, limit):
    kept = families.preview_steps(steps, limit)
    assert kept.dtype == np.int32 and kept[0] == 0 and kept[-1] == steps
    assert len(kept) <= max(limit, 1 if steps == 0 else 2)
    assert (np.diff(kept) > 0).all()
    if steps + 1 <= limit:
        np.testing.assert_array_equal(kept, np.arange(steps + 1))
    else:
        gaps = np.diff(kept)
        assert gaps.max() - gaps.min() <= 1  # evenly spread


def test_at_steps_pads_a_cut_run_with_nan():
    points = np.arange(10.0).reshape(5, 2)
    got = at_steps(points, np.array([0, 3, 4, 5, 9]))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got[:3], points[[0, 3, 4]])
    assert np.isnan(got[3:]).all()


def test_slider_ends_are_allowed_values_and_grids_are_nice_decimals():
    for param, r in SLIDERS.items():
        for end in (r.low, r.high):
            rules.check_value(param, end)  # raises if BOUNDS forbids it
        grid = r.grid()
        assert len(grid) >= 41 and (np.diff(grid) > 0).all()
        assert (grid[0], grid[-1]) == (r.low, r.high)
        # Each value reads as typed: at most 3 significant digits, exactly that float.
        assert all(float(f"{v:.3g}") == v for v in grid), param
    assert SLIDERS["lr"].scale == SLIDERS["eps"].scale == "log"
    assert SLIDERS["beta1"].scale == SLIDERS["beta2"].scale == "linear"
    # Log sliders: evenly spread in log10 (every decade alike); β: 0.025 apart up to 0.975.
    lr = np.log10(SLIDERS["lr"].grid())
    assert np.diff(lr).max() < 0.13 and len(lr) == 71
    np.testing.assert_allclose(np.diff(SLIDERS["beta1"].grid()[:40]), 0.025)
    assert SLIDERS["beta2"].grid()[-3:].tolist() == [0.99, 0.995, 0.999]


def test_a_value_off_the_grid_joins_it_and_thinned_grids_keep_their_ends():
    assert SLIDERS["beta2"].bounds(0.9999) == (0.0, 0.9999)
    assert SLIDERS["lr"].bounds(1e-7) == (1e-7, 100.0)
    assert SLIDERS["lr"].bounds(0.4) == (1e-5, 100.0)
    assert SLIDERS["beta2"].grid(value=0.9999)[-1] == 0.9999
    with_041 = SLIDERS["lr"].grid(value=0.41)
    assert len(with_041) == 72 and 0.41 in with_041 and (np.diff(with_041) > 0).all()
    assert len(SLIDERS["lr"].grid(value=0.4)) == 71  # already one of them
    thin = SLIDERS["beta1"].grid(9)
    assert len(thin) == 9 and (thin[0], thin[-1]) == (0.0, 0.999)


def test_every_preset_and_default_value_is_one_of_its_sliders_values():
    """Every function's defaults too: the chart's slider rests on each."""
    runs = [(o, p.surface) for p in presets.PRESETS.values() for o in p.settings().optimizers]
    runs += [(OptimizerSettings(name), surface) for name in rules.RULES
             for surface in surfaces.SURFACES]
    for opt, surface in runs:
        hyper = opt.hyperparams(surface)
        for param in families.slider_params(opt.name):
            assert getattr(hyper, param) in SLIDERS[param].values, (opt, surface, param)


def test_each_optimizer_gets_the_sliders_it_takes_in_order():
    assert families.slider_params("adam") == ("lr", "eps", "beta1", "beta2")
    assert families.slider_params("nadam") == ("lr", "eps", "beta1", "beta2")
    assert families.slider_params("rmsprop") == ("lr", "eps")
    assert families.slider_params("sgd") == families.slider_params("momentum") == ("lr",)


def test_shapes_and_the_lattice_over_the_view():
    s = TrajectorySettings(steps=20)
    view = ((-6.0, 2.0), (-3.0, 2.0))
    fam = families.compute(s, view)
    np.testing.assert_array_equal(fam.steps, np.arange(21))
    assert list(fam.sliders) == ["lr", "eps", "beta1", "beta2"]
    for param, f in fam.sliders.items():
        assert f.points.shape == (len(SLIDERS[param].values), 21, 2)
        assert f.points.dtype == np.float32
        np.testing.assert_array_equal(f.values, SLIDERS[param].grid())
    assert fam.starts.shape == (21, 21, 21, 2) and fam.starts.dtype == np.float32
    assert (fam.x1[0], fam.x1[-1], fam.x2[0], fam.x2[-1]) == (-6.0, 2.0, -3.0, 2.0)
    i, j = 4, 17
    np.testing.assert_array_equal(fam.starts[j, i, 0], np.float32([fam.x1[i], fam.x2[j]]))
    # Every slider member starts at the run's start.
    assert (fam.sliders["lr"].points[:, 0] == np.float32([-5.0, -2.0])).all()


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
@pytest.mark.parametrize("surface,optimizer,steps", [
    ("rosenbrock", "adam", 400),  # subsampled: 400 steps, 60 kept
    ("d2l", "sgd", 30),  # large learning rates diverge
    ("beale", "rmsprop", 120),
])
def test_each_member_is_the_engines_own_run_at_the_kept_steps(surface, optimizer, steps,
                                                              engine):
    s = TrajectorySettings(surface=surface, steps=steps, optimizers=(optimizer,))
    fam = families.compute(s, preview=60, engine=engine)
    assert len(fam.steps) <= 60 and fam.steps[-1] == steps
    surf, hyper, start = s.get_surface(), s.hyperparams(0), s.start_point()

    def alone(hp, begin):
        (t,) = trajectory.run(surf, [trajectory.Run(optimizer, hp, begin)], steps, s.bound,
                              engine)
        return at_steps(t.points, fam.steps), t.diverged_at

    diverged = 0
    for param, f in fam.sliders.items():
        for k in (0, 7, 20, 33, len(f.values) - 1):
            want, at = alone(hyper._replace(**{param: float(f.values[k])}), start)
            np.testing.assert_allclose(f.points[k], want, rtol=2e-6, atol=1e-6)
            diverged += at is not None
    for j, i in ((0, 0), (3, 19), (10, 10), (20, 20)):
        want, _ = alone(hyper, (float(fam.x1[i]), float(fam.x2[j])))
        np.testing.assert_allclose(fam.starts[j, i], want, rtol=2e-6, atol=1e-6)
    if optimizer == "sgd":
        assert diverged  # and the NaN after it matched above
        assert np.isnan(fam.sliders["lr"].points[-1, -1]).all()


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
@pytest.mark.parametrize("optimizer", list(rules.RULES))
def test_every_member_of_every_optimizers_families_is_its_run_alone(optimizer, engine):
    """A small grid and lattice, every member checked; the bound (20) cuts runs at the
    sliders' far ends (large lr, or ε for AdaDelta), whose tails are NaN."""
    s = TrajectorySettings(steps=40, bound=20.0, optimizers=(optimizer,))
    fam = families.compute(s, grid=9, lattice_size=4, preview=15, engine=engine)
    surf, hyper, start = s.get_surface(), s.hyperparams(0), s.start_point()
    members = [(f.points[k], hyper._replace(**{p: float(f.values[k])}), start)
               for p, f in fam.sliders.items() for k in range(len(f.values))]
    members += [(fam.starts[j, i], hyper, (float(fam.x1[i]), float(fam.x2[j])))
                for j in range(4) for i in range(4)]
    cut = 0
    for got, hp, begin in members:
        (t,) = trajectory.run(surf, [trajectory.Run(optimizer, hp, begin)], s.steps, s.bound,
                              engine)
        np.testing.assert_allclose(got, at_steps(t.points, fam.steps),
                                   rtol=2e-6, atol=1e-6)
        cut += t.diverged_at is not None
    assert cut and any(np.isnan(got[-1]).all() for got, _, _ in members)


def test_the_other_settings_are_the_focused_runs():
    s = TrajectorySettings(surface="rotated", condition=30.0, steps=15, start=(1.0, -2.0),
                           optimizers=("sgd", OptimizerSettings("adam", {"beta1": 0.5})))
    fam = families.compute(s, focus=1, lattice_size=5)
    assert list(fam.sliders) == ["lr", "eps", "beta1", "beta2"]  # Adam's, not SGD's
    assert fam.starts.shape == (5, 5, 16, 2)
    lr = float(fam.sliders["lr"].values[30])
    hyper = s.hyperparams(1)._replace(lr=lr)
    assert hyper.beta1 == 0.5
    (want,) = trajectory.run(s.get_surface(), [trajectory.Run("adam", hyper, (1.0, -2.0))], 15)
    np.testing.assert_allclose(fam.sliders["lr"].points[30], want.points, rtol=2e-6)


def test_every_presets_families_reach_its_last_step_from_a_finite_start():
    for preset in presets.PRESETS.values():
        s = preset.settings()
        fam = families.compute(s)
        assert fam.steps[-1] == s.steps
        assert all(np.isfinite(f.points[:, 0]).all() for f in fam.sliders.values())


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
def test_with_noise_the_member_at_the_runs_own_value_is_the_noisy_run(engine):
    """Every member meets the request's ξ: the member at the run's own slider value is
    the exact noisy run, to the float32 bit, and every other member its own run alone."""
    s = TrajectorySettings(surface="rosenbrock", steps=80, noise=30.0, seed=4,
                           optimizers=(OptimizerSettings("adam", {"lr": 0.05}),))
    fam = families.compute(s, grid=7, lattice_size=3, engine=engine)
    (run,) = s.compute(engine)
    assert run.noisy_grads is not None
    want = at_steps(run.points, fam.steps)
    hyper, surf = s.hyperparams(0), s.get_surface()
    for param, f in fam.sliders.items():
        (own,) = np.flatnonzero(f.values == getattr(hyper, param))
        np.testing.assert_array_equal(f.points[own], want)
        for k in (0, len(f.values) - 1):
            (t,) = trajectory.run(
                surf, [trajectory.Run("adam", hyper._replace(**{param: float(f.values[k])}),
                                      s.start_point())], s.steps, s.bound, engine,
                noise=s.noise, seed=s.seed)
            np.testing.assert_array_equal(f.points[k], at_steps(t.points, fam.steps))
    (t,) = trajectory.run(surf, [trajectory.Run("adam", hyper, (float(fam.x1[2]),
                                                                float(fam.x2[1])))],
                          s.steps, s.bound, engine, noise=s.noise, seed=s.seed)
    np.testing.assert_array_equal(fam.starts[1, 2], at_steps(t.points, fam.steps))
    # And the noise is there: the noise-free family differs.
    quiet = families.compute(TrajectorySettings(surface="rosenbrock", steps=80,
                                                optimizers=s.optimizers),
                             grid=7, lattice_size=3, engine=engine)
    assert not np.array_equal(quiet.sliders["lr"].points, fam.sliders["lr"].points)
