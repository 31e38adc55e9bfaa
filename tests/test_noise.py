"""Noisy gradients (`optviz.noise`): g̃_t = ∇f(x_t) + σ ξ_t on both engines, σ = 0 as the
noise-free paths bit for bit, seeded draws shared by every run, and ensembles."""

import numpy as np
import pytest

from optviz import noise, rules, surfaces, trajectory
from optviz.trajectory import Run
from tests.run_oracle import at_steps

D2L = surfaces.get_surface("d2l")
ROSEN = surfaces.get_surface("rosenbrock")
ENGINES = ["numpy", "compiled"]


def _runs(surface, lrs=(1e-3, 0.05, 0.5)) -> list[Run]:
    return [Run.of(name, start=surface.start, lr=lr) for name in rules.RULES for lr in lrs]


def _assert_identical(a: trajectory.Trajectory, b: trajectory.Trajectory) -> None:
    """Equal to the last bit, NaN where NaN (and -0.0 where -0.0: array_equal on the bytes)."""
    assert a.diverged_at == b.diverged_at
    for x, y in [(a.points, b.points), (a.values, b.values), (a.grads, b.grads),
                 *((a.state[k], b.state[k]) for k in a.state),
                 *((a.explained[k], b.explained[k]) for k in a.explained)]:
        assert x.dtype == y.dtype and np.array_equal(x.view(np.uint64), y.view(np.uint64))
    assert a.state.keys() == b.state.keys() and a.explained.keys() == b.explained.keys()


# -------------------------------------------------------------------- σ = 0


@pytest.mark.parametrize("surface,steps,bound,engine", [
    ("d2l", 40, 1e6, "numpy"), ("d2l", 40, 1e6, "compiled"),
    ("rosenbrock", 300, 50.0, "numpy"), ("rosenbrock", 300, 50.0, "compiled"),
    # numba compiles every rule anew for each surface (seconds): these two on NumPy only.
    ("rastrigin", 200, 1e6, "numpy"), ("saddle", 30, 50.0, "numpy"),
])
def test_sigma_zero_is_the_noise_free_engine_bit_for_bit(surface, steps, bound, engine):
    """Whatever the seed: nothing is added, not even zero (which would turn -0.0 into 0.0).
    Some runs here diverge (lr 0.5 on Rosenbrock, bound 50)."""
    s = surfaces.get_surface(surface)
    runs = _runs(s)
    plain = trajectory.run(s, runs, steps, bound, engine)
    assert any(t.diverged_at is not None for t in plain) or surface != "rosenbrock"
    for seed in (0, 1, 2**32 - 1):
        zero = trajectory.run(s, runs, steps, bound, engine, noise=0.0, seed=seed)
        for a, b in zip(plain, zero, strict=True):
            _assert_identical(a, b)
            assert b.noisy_grads is None
    kept = np.arange(0, steps + 1, 3)
    for name in ("adam", "sgd", "nadam", "adadelta"):
        hp = rules.get_rule(name).hyperparams()._replace(lr=np.array([1e-3, 0.05, 0.5]))
        want = trajectory.run_points(s, name, hp, [s.start] * 3, steps, kept, bound, engine)
        for seed in (0, 5, [3, 4, 5]):
            got = trajectory.run_points(s, name, hp, [s.start] * 3, steps, kept, bound, engine,
                                        noise=0.0, seed=seed)
            assert np.array_equal(got.view(np.uint32), want.view(np.uint32))


# ------------------------------------------------------------- the model itself


def test_the_optimizer_is_given_the_gradient_plus_sigma_xi():
    """Adam written out by hand on g̃ = ∇f + σ ξ, ξ from the seed's draws."""
    lr, b1, b2, eps, sigma = 0.4, 0.9, 0.999, 1e-6, 0.8
    (traj,) = trajectory.run(D2L, [Run.of("adam", lr=lr, beta1=b1, beta2=b2, eps=eps)], 30,
                             noise=sigma, seed=11)
    xi = np.random.default_rng(11).standard_normal((30, 2))
    x, m, v = np.array([-5.0, -2.0]), np.zeros(2), np.zeros(2)
    for t in range(1, 31):
        g = np.array([0.2 * x[0], 4 * x[1]])
        np.testing.assert_allclose(traj.grads[t - 1], g, rtol=1e-12)  # ∇f, not g̃
        g = g + sigma * xi[t - 1]
        np.testing.assert_allclose(traj.noisy_grads[t - 1], g, rtol=1e-12)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
        x = x - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        np.testing.assert_allclose(traj.points[t], x, rtol=1e-12)
    assert np.isnan(traj.noisy_grads[-1]).all()  # no step is taken from the last point
    assert traj.noisy_grads.shape == traj.grads.shape == (31, 2)


def test_draws_are_the_seeds_and_fewer_steps_are_the_first_rows_of_more():
    xi = noise.draws(3, 300)
    assert xi.shape == (300, 2) and xi.dtype == np.float64
    np.testing.assert_array_equal(noise.draws(3, 20), xi[:20])
    assert not np.array_equal(noise.draws(4, 20), xi[:20])
    assert abs(xi.mean()) < 0.2 and abs(xi.std() - 1) < 0.1  # 600 standard normal draws


@pytest.mark.parametrize("engine", ENGINES)
def test_a_seed_gives_the_same_paths_and_another_seed_others(engine):
    runs = _runs(ROSEN, (2e-3,))
    first = trajectory.run(ROSEN, runs, 150, engine=engine, noise=5.0, seed=42)
    again = trajectory.run(ROSEN, runs, 150, engine=engine, noise=5.0, seed=42)
    other = trajectory.run(ROSEN, runs, 150, engine=engine, noise=5.0, seed=43)
    for a, b, c in zip(first, again, other, strict=True):
        _assert_identical(a, b)
        np.testing.assert_array_equal(a.noisy_grads, b.noisy_grads)
        assert not np.array_equal(a.points, c.points)
    # A shorter run of the seed is the first steps of the longer one.
    (short,) = trajectory.run(ROSEN, runs[:1], 40, engine=engine, noise=5.0, seed=42)
    np.testing.assert_array_equal(short.points, first[0].points[:41])


def test_every_run_of_a_call_meets_the_same_noise():
    """Common random numbers: g̃ − ∇f is the same σ ξ_t for Adam and SGD, and for a run
    alone or in a batch."""
    runs = [Run.of("adam", lr=0.1), Run.of("sgd", lr=0.05), Run.of("rmsprop", lr=0.01)]
    together = trajectory.run(D2L, runs, 25, noise=2.0, seed=9)
    offsets = [t.noisy_grads[:-1] - t.grads[:-1] for t in together]
    for k in (1, 2):
        np.testing.assert_allclose(offsets[k], offsets[0], atol=1e-12)
    np.testing.assert_allclose(offsets[0], 2.0 * noise.draws(9, 25), atol=1e-12)
    for r, t in zip(runs, together, strict=True):
        (alone,) = trajectory.run(D2L, [r], 25, noise=2.0, seed=9)
        _assert_identical(t, alone)


def test_the_noise_scales_with_sigma():
    (a,), (b,) = (trajectory.run(D2L, [Run.of("sgd", lr=0.01)], 1, noise=s, seed=5)
                  for s in (1.0, 3.0))
    np.testing.assert_allclose(b.noisy_grads[0] - b.grads[0], 3 * (a.noisy_grads[0] - a.grads[0]))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_noisy_run_that_diverges_is_cut_with_its_noisy_gradients(engine):
    (t,) = trajectory.run(D2L, [Run.of("sgd", lr=1.0)], 50, engine=engine, noise=0.5, seed=1)
    assert t.diverged_at is not None and t.steps == t.diverged_at - 1
    assert t.noisy_grads.shape == t.grads.shape == t.points.shape
    assert np.isfinite(t.noisy_grads).all()  # its last row gave the step that went bad


def test_bad_noise_or_seed_raise():
    for kwargs in (dict(noise=-1.0), dict(noise=np.nan), dict(noise=1e5), dict(seed=-1),
                   dict(seed=2**32), dict(seed=1.5), dict(seed=True)):
        with pytest.raises(ValueError, match="noise|seed"):
            trajectory.run(D2L, [Run.of("adam")], 3, **{"noise": 1.0, **kwargs})
    with pytest.raises(ValueError, match="one per run"):
        trajectory.run_points(D2L, "adam", rules.get_rule("adam").hyperparams(),
                              [(0, 0)] * 3, 5, noise=1.0, seed=[1, 2])


# ----------------------------------------------------------- the two engines


@pytest.mark.parametrize("surface", ["d2l", "rosenbrock"])
def test_numpy_and_compiled_engines_agree_with_noise(surface):
    """To rounding (1e-12 relative), as without noise: both add the same σ ξ_t."""
    s = surfaces.get_surface(surface)
    runs = _runs(s, (1e-3, 0.02))
    slow = trajectory.run(s, runs, 200, 50.0, "numpy", noise=0.7, seed=3)
    fast = trajectory.run(s, runs, 200, 50.0, "compiled", noise=0.7, seed=3)
    for a, b in zip(slow, fast, strict=True):
        assert a.diverged_at == b.diverged_at and a.steps == b.steps
        np.testing.assert_allclose(a.points, b.points, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(a.noisy_grads, b.noisy_grads, rtol=1e-12, atol=1e-12)
        for k in a.state:
            np.testing.assert_allclose(a.state[k], b.state[k], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("optimizer", list(rules.RULES))
def test_run_points_with_noise_is_each_run_alone_exactly(optimizer, engine):
    """The previews' batched path meets the same ξ: each run's points are its
    Trajectory's, to the float32 bit; some runs diverge (bound 50)."""
    steps, bound = 120, 50.0
    kept = np.arange(0, steps + 1, 4)
    lrs = np.array([1e-4, 3e-3, 0.05, 1.0])
    begins = [ROSEN.start, (0.5, 0.5), (2.0, 2.0), (-1.9, 2.9)]
    hyper = rules.get_rule(optimizer).hyperparams()
    got = trajectory.run_points(ROSEN, optimizer, hyper._replace(lr=lrs), begins, steps, kept,
                                bound, engine, noise=20.0, seed=8)
    for k, (lr, begin) in enumerate(zip(lrs, begins, strict=True)):
        (t,) = trajectory.run(ROSEN, [Run(optimizer, hyper._replace(lr=float(lr)), begin)],
                              steps, bound, engine, noise=20.0, seed=8)
        np.testing.assert_array_equal(got[k], at_steps(t.points, kept))


def test_run_points_gives_each_run_its_own_seed_when_asked():
    hp = rules.get_rule("adam").hyperparams(lr=0.1)
    for engine in ENGINES:
        got = trajectory.run_points(D2L, "adam", hp, [D2L.start] * 3, 30, engine=engine,
                                    noise=1.0, seed=[4, 5, 4])
        np.testing.assert_array_equal(got[0], got[2])
        assert not np.array_equal(got[0], got[1])
        (t,) = trajectory.run(D2L, [Run("adam", hp, D2L.start)], 30, engine=engine,
                              noise=1.0, seed=5)
        np.testing.assert_array_equal(got[1], t.points.astype(np.float32))


def test_the_compiled_loop_shares_per_run_noise_out_between_threads_unchanged():
    from optviz import compiled

    rule = rules.get_rule("adam")
    count, kept = 24, np.arange(0, 101, 5)
    H = compiled.hyper_rows(rule.hyperparams(lr=0.05)._replace(lr=np.full(count, 0.05)), count)
    starts = np.tile(D2L.start, (count, 1))
    E = noise.offsets(1.5, noise.ensemble_seeds(2, count), 100)
    one = compiled.points(rule, D2L, H, starts, kept, 1e6, threads=1, offsets=E)
    np.testing.assert_array_equal(
        compiled.points(rule, D2L, H, starts, kept, 1e6, threads=5, offsets=E), one)
    assert len({one[k, -1].tobytes() for k in range(count)}) == count


# ------------------------------------------------------------------ ensembles


def test_ensemble_shape_seeds_and_determinism():
    run = Run.of("adam", lr=0.4)
    kept = np.arange(0, 41, 4)
    paths = trajectory.ensemble(D2L, run, 40, 1.0, 7, count=6, kept=kept)
    assert paths.shape == (6, len(kept), 2) and paths.dtype == np.float32
    np.testing.assert_array_equal(trajectory.ensemble(D2L, run, 40, 1.0, 7, count=6, kept=kept),
                                  paths)
    assert (paths[:, 0] == np.float32(D2L.start)).all()
    assert len({p.tobytes() for p in paths}) == 6  # every member has its own noise
    # Each member is the run of its documented seed, alone.
    seeds = noise.ensemble_seeds(7, 6)
    assert all(isinstance(s, int) and 0 <= s <= noise.MAX_SEED for s in seeds)
    assert len(set(seeds)) == 6 and 7 not in seeds
    for k in (0, 5):
        (t,) = trajectory.run(D2L, [run], 40, noise=1.0, seed=seeds[k])
        np.testing.assert_array_equal(paths[k], at_steps(t.points, kept))
    # The members do not depend on how many are asked for, and the seed matters.
    more = trajectory.ensemble(D2L, run, 40, 1.0, 7, count=10, kept=kept)
    np.testing.assert_array_equal(more[:6], paths)
    assert not np.array_equal(trajectory.ensemble(D2L, run, 40, 1.0, 8, count=6, kept=kept),
                              paths)
    # Without noise every member is the run itself.
    (plain,) = trajectory.run(D2L, [run], 40)
    flat = trajectory.ensemble(D2L, run, 40, 0.0, 7, count=3)
    assert all(np.array_equal(p, plain.points.astype(np.float32)) for p in flat)
    assert trajectory.ensemble(D2L, run, 40, 1.0, 7, count=0).shape == (0, 41, 2)
    with pytest.raises(ValueError, match="count"):
        trajectory.ensemble(D2L, run, 40, 1.0, 7, count=-1)


def test_ensemble_engines_agree():
    run = Run.of("nadam", lr=0.01, start=ROSEN.start)
    a, b = (trajectory.ensemble(ROSEN, run, 200, 30.0, 1, engine=e) for e in ENGINES)
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_momentum_narrows_the_spread_across_the_steep_coordinate():
    """Adam on the D2L quadratic (η = 0.4, ε = 1e-6), σ = 1: once the runs have settled
    (the last 100 of 200 steps), the ensemble's spread in x2, where f = 2 x2² is steep,
    shrinks as β1 grows 0 → 0.5 → 0.9: m averages the noise before it moves x. (It held
    for each of 30 seeds tried. Along x1, where f = 0.1 x1² is flat, β1 leaves the
    spread about as it is: there m's average steps as far as g̃'s would, so this test
    does not claim it.)"""
    spread = []
    for beta1 in (0.0, 0.5, 0.9):
        run = Run.of("adam", lr=0.4, beta1=beta1, eps=1e-6)
        paths = trajectory.ensemble(D2L, run, 200, 1.0, 0, count=20, engine="compiled")
        assert np.isfinite(paths).all()
        spread.append(paths[:, 100:, 1].std())
    assert spread[2] < spread[1] < spread[0]
