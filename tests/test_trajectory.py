"""The trajectory engine: the chapter's traces, recorded state, batching, divergence."""

import math

import numpy as np
import pytest

from optviz import rules, surfaces, trajectory
from optviz.trajectory import Run

D2L = surfaces.get_surface("d2l")


def test_reproduces_the_chapters_momentum_trace():
    """d2l's momentum_2d: v = β v + ∇f; x -= η v, with η = 0.4, β = 0.5, from (-5, -2)."""
    (traj,) = trajectory.run(D2L, [Run.of("momentum", lr=0.4, momentum=0.5)], 20)
    x1, x2, v1, v2 = -5.0, -2.0, 0.0, 0.0
    expected = [(x1, x2)]
    for _ in range(20):
        v1, v2 = 0.5 * v1 + 0.2 * x1, 0.5 * v2 + 4 * x2
        x1, x2 = x1 - 0.4 * v1, x2 - 0.4 * v2
        expected.append((x1, x2))
    np.testing.assert_array_equal(traj.points, expected)
    np.testing.assert_allclose(traj.values, [0.1 * a * a + 2 * b * b for a, b in expected])


def test_adam_trace_and_state_match_the_chapters_from_scratch_adam():
    lr, b1, b2, eps = 0.4, 0.9, 0.999, 1e-6
    (traj,) = trajectory.run(D2L, [Run.of("adam", lr=lr, beta1=b1, beta2=b2, eps=eps)], 30)
    x = np.array([-5.0, -2.0])
    m, v = np.zeros(2), np.zeros(2)
    for t in range(1, 31):
        g = np.array([0.2 * x[0], 4 * x[1]])
        np.testing.assert_allclose(traj.grads[t - 1], g, rtol=1e-12)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        x = x - lr * m_hat / (np.sqrt(v_hat) + eps)
        np.testing.assert_allclose(traj.points[t], x, rtol=1e-12)
        np.testing.assert_allclose(traj.state["m"][t], m, rtol=1e-12)
        np.testing.assert_allclose(traj.state["v"][t], v, rtol=1e-12)
        np.testing.assert_allclose(traj.explained["m_hat"][t], m_hat, rtol=1e-12)
        np.testing.assert_allclose(traj.explained["v_hat"][t], v_hat, rtol=1e-12)
        np.testing.assert_allclose(traj.explained["step_size"][t], lr / (np.sqrt(v_hat) + eps),
                                   rtol=1e-12)
    assert np.isnan(traj.explained["m_hat"][0]).all()
    np.testing.assert_allclose(traj.deltas[1:], np.diff(traj.points, axis=0))


def test_adams_first_step_is_the_learning_rate_in_every_coordinate():
    """Why Adam moves x1 and x2 alike on 0.1 x1² + 2 x2², though ∇f differs 20-fold."""
    (traj,) = trajectory.run(D2L, [Run.of("adam", lr=0.4, eps=1e-6)], 1)
    np.testing.assert_allclose(traj.deltas[1], [0.4, 0.4], rtol=1e-5)
    (plain,) = trajectory.run(D2L, [Run.of("sgd", lr=0.4)], 1)
    np.testing.assert_allclose(plain.deltas[1], [0.4, 3.2])


def test_bias_correction_off_makes_the_first_step_three_times_too_long():
    (on,), (off,) = (trajectory.run(D2L, [Run.of("adam", lr=0.4, bias_correction=flag)], 5)
                     for flag in (True, False))
    ratio = np.abs(off.deltas[1] / on.deltas[1])
    np.testing.assert_allclose(ratio, 0.1 / math.sqrt(0.001), rtol=1e-4)  # (1-β1)/√(1-β2)
    np.testing.assert_array_equal(off.explained["m_hat"][1:], off.state["m"][1:])


def test_a_batch_equals_its_runs_one_by_one_in_order():
    batch = [
        Run.of("adam", lr=0.1, start=(-4, 1)),
        Run.of("sgd", lr=0.05),
        Run.of("adam", lr=0.3, beta1=0.5, start=(2, 2)),
        Run.of("amsgrad", lr=0.2),
        Run.of("rmsprop", lr=0.01, alpha=0.9),
        Run.of("adam", lr=0.3, bias_correction=False),
        Run.of("nesterov", lr=0.05, momentum=0.8),
    ]
    rosen = surfaces.get_surface("rosenbrock")
    together = trajectory.run(rosen, batch, 60)
    for r, traj in zip(batch, together, strict=True):
        (alone,) = trajectory.run(rosen, [r], 60)
        assert traj.run is r
        np.testing.assert_allclose(traj.points, alone.points, rtol=1e-13)
        for name in alone.state:
            np.testing.assert_allclose(traj.state[name], alone.state[name], rtol=1e-13)


def test_divergence_is_reported_and_cuts_the_run_cleanly():
    runs = [Run.of("sgd", lr=1.0), Run.of("adam", lr=0.4), Run.of("sgd", lr=1e300)]
    big, fine, absurd = trajectory.run(D2L, runs, 50)
    # x2 is multiplied by (1 - 4·1.0) = -3 each step: |x2| = 2·3^k passes 1e6 at k = 12.
    assert big.diverged_at == 12 and big.steps == 11
    assert np.isfinite(big.points).all() and np.abs(big.points).max() <= 1e6
    assert fine.diverged_at is None and fine.steps == 50
    assert absurd.diverged_at == 1 and absurd.steps == 0
    for traj in (big, absurd):
        assert all(len(a) == traj.steps + 1 for a in (traj.values, traj.grads))
        assert all(len(a) == traj.steps + 1 for a in traj.state.values())


def test_a_run_that_hits_nan_is_cut_before_it():
    # ε tiny and the gradient exactly zero at the start: 0/0 for Adam.
    saddle = surfaces.get_surface("saddle")
    (traj,) = trajectory.run(saddle, [Run.of("adam", lr=0.1, eps=5e-324, start=(0, 0))], 10)
    assert traj.diverged_at == 1 and np.isfinite(traj.points).all()


@pytest.mark.parametrize("steps", [0, 1, 33])
def test_step_counts(steps):
    (traj,) = trajectory.run(D2L, [Run.of("adagrad", lr=0.4)], steps)
    assert traj.steps == steps and traj.points.shape == (steps + 1, 2)


def test_bad_engine_and_steps_raise():
    with pytest.raises(ValueError, match="engine"):
        trajectory.run(D2L, [Run.of("adam")], 3, engine="gpu")
    with pytest.raises(ValueError, match="steps"):
        trajectory.run(D2L, [Run.of("adam")], -1)


# ------------------------------------------------- the compiled loop, same numbers


def _assert_same(a, b):
    assert a.diverged_at == b.diverged_at
    np.testing.assert_allclose(a.points, b.points, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(a.values, b.values, rtol=1e-9, atol=1e-12)
    for name in a.state:
        scale = max(np.abs(a.state[name]).max(), 1e-300)
        np.testing.assert_allclose(a.state[name], b.state[name], rtol=1e-9, atol=1e-12 * scale)
    for name in a.explained:
        np.testing.assert_allclose(a.explained[name], b.explained[name], rtol=1e-9)


def test_compiled_engine_matches_numpy_engine_for_every_optimizer():
    rosen = surfaces.get_surface("rosenbrock")
    runs = [Run.of(name, start=rosen.start, lr=2e-3) for name in rules.RULES]
    runs += [Run.of("adam", lr=0.9, start=rosen.start), Run.of("sgd", lr=0.01, start=(2, 2))]
    slow = trajectory.run(rosen, runs, 400, engine="numpy")
    fast = trajectory.run(rosen, runs, 400, engine="compiled")
    assert slow[-1].diverged_at is not None  # the divergent case is exercised
    for a, b in zip(slow, fast, strict=True):
        _assert_same(a, b)


def test_compiled_engine_on_a_parametrised_surface_and_auto_reuses_it():
    rotated = surfaces.get_surface("rotated", condition=50.0)
    runs = [Run.of("nadam", lr=0.05, start=rotated.start), Run.of("adam", lr=0.05)]
    fast = trajectory.run(rotated, runs, 200, engine="compiled")
    assert trajectory._compiled_is_warm(
        [(rules.RULES[r.optimizer], None, None) for r in runs], rotated)
    for a, b in zip(trajectory.run(rotated, runs, 200, engine="numpy"), fast, strict=True):
        _assert_same(a, b)
    for a, b in zip(trajectory.run(rotated, runs, 200), fast, strict=True):
        _assert_same(a, b)


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
def test_without_state_the_points_are_the_same_and_the_state_is_left_out(engine):
    rosen = surfaces.get_surface("rosenbrock")
    runs = [Run.of("adam", lr=0.05, start=rosen.start), Run.of("rmsprop", lr=0.01),
            Run.of("sgd", lr=0.01, start=(2, 2))]  # the last one diverges
    full = trajectory.run(rosen, runs, 150, engine=engine)
    bare = trajectory.run(rosen, runs, 150, engine=engine, record_state=False)
    assert full[-1].diverged_at is not None
    for a, b in zip(full, bare, strict=True):
        assert a.diverged_at == b.diverged_at and b.state == {} and b.explained == {}
        np.testing.assert_array_equal(a.points, b.points)
        np.testing.assert_array_equal(a.values, b.values)
        np.testing.assert_array_equal(a.grads, b.grads)
