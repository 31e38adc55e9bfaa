"""A user's own function as a Surface: its fields, the window and start it accepts, the
finite check on the window, the log-levels rule, and runs on every engine."""

import math

import numpy as np
import pytest

from optviz import rules, trajectory
from optviz.custom_surface import custom_surface
from optviz.expression import ExpressionError
from optviz.plots.contours import contour_grid
from optviz.surfaces import CUSTOM, SURFACES
from optviz.trajectory import Run

# Built-in surfaces typed as a user would type them.
TYPED = {
    "d2l": "0.1*x1^2 + 2*x2^2",
    "rosenbrock": "(1 - x1)^2 + 100*(x2 - x1^2)^2",
    "beale": "(1.5 - x1 + x1*x2)^2 + (2.25 - x1 + x1*x2^2)^2 + (2.625 - x1 + x1*x2^3)^2",
    "himmelblau": "(x1^2 + x2 - 11)^2 + (x1 + x2^2 - 7)^2",
    "rastrigin": "20 + x1^2 - 10*cos(2*pi*x1) + x2^2 - 10*cos(2*pi*x2)",
    "booth": "(x1 + 2*x2 - 7)^2 + (2*x1 + x2 - 5)^2",
    "saddle": "x1^2 - x2^2",
}
WINDOW = ((-3.0, 3.0), (-2.0, 2.0))


def typed(name: str):
    return custom_surface(TYPED[name], SURFACES[name].window, SURFACES[name].start)


def test_fields():
    s = custom_surface("x1**2 + 10*sin(x2)", WINDOW)
    assert s.name == CUSTOM == "custom" and CUSTOM not in SURFACES
    assert s.title == "Your function"
    assert s.latex == r"f(x_1, x_2) = x_{1}^{2} + 10 \sin{\left(x_{2} \right)}"
    assert s.window == WINDOW and s.start == (-1.5, -1.0)  # a quarter in from lower-left
    assert s.minima == () and s.steps == 20 and dict(s.lr) == {}
    assert s.f(1.0, 0.5) == pytest.approx(1 + 10 * math.sin(0.5))
    assert s.grad(1.0, 0.5) == pytest.approx((2.0, 10 * math.cos(0.5)))


@pytest.mark.parametrize("name", TYPED)
def test_typed_builtins_match_the_hand_written_ones(name):
    s, want = typed(name), SURFACES[name]
    rng = np.random.default_rng(0)
    (a, b), (c, d) = want.window
    x1, x2 = rng.uniform(a, b, 50), rng.uniform(c, d, 50)
    f = want.f(x1, x2)
    np.testing.assert_allclose(s.f(x1, x2), f, rtol=1e-12, atol=1e-12 * np.abs(f).max())
    for got, w in zip(s.grad(x1, x2), want.grad(x1, x2), strict=True):
        np.testing.assert_allclose(got, w, rtol=1e-10, atol=1e-10 * np.abs(w).max())


@pytest.mark.parametrize("name", ["d2l", "rosenbrock", "beale", "rastrigin", "booth", "saddle"])
def test_the_log_levels_rule_agrees_with_the_builtins_hand_picked_choice(name):
    """Himmelblau is the exception: its hand-picked log levels show its saddles, which
    the rule (built for valleys and flat bottoms) does not look for."""
    assert typed(name).log_levels == SURFACES[name].log_levels


def test_log_levels_for_a_flat_bottom_not_for_a_bowl():
    assert custom_surface("x1**4 + x2**4", WINDOW).log_levels
    assert not custom_surface("x1**2 + x2**2", WINDOW).log_levels
    assert not custom_surface("x1**4 + x2**4 - 1", WINDOW).log_levels  # f < 0 somewhere


def test_the_same_input_gives_the_same_surface():
    s = custom_surface("x1**2 + x2", WINDOW)
    assert custom_surface("x1**2 + x2", [-3, 3, -2, 2]) is s  # four numbers, ints
    other = custom_surface("x2 + x1*x1", ((-1, 1), (-1, 1)))
    assert other is not s and other.window == ((-1.0, 1.0), (-1.0, 1.0))
    assert other.grad is s.grad  # one compiled gradient per expression


# -------------------------------------------------------------- window, start


@pytest.mark.parametrize("window, message", [
    (((1, -1), (0, 1)), "x1 range must go from low to high.*got 1 to -1"),
    (((0, 1), (2, 2)), "x2 range must go from low to high"),
    (((0, 0.001), (0, 1)), "at least 0.01 wide"),
    (((0, math.inf), (0, 1)), "within ±10000, got inf"),
    (((math.nan, 1), (0, 1)), "within ±10000, got nan"),
    (((0, 1e5), (0, 1)), "within ±10000, got 1e\\+05"),
    (((0, "1"), (0, 1)), "must be numbers, got '1'"),
    (((True, 2), (0, 1)), "must be numbers, got True"),
    ((0, 1, 2), "four numbers"),
    (None, "four numbers"),
    (((0, 1, 2), (0, 1)), "four numbers"),
])
def test_bad_windows(window, message):
    with pytest.raises(ExpressionError, match=message):
        custom_surface("x1", window)


@pytest.mark.parametrize("start, message", [
    ((0.0,), "two numbers"), (5, "two numbers"), ((0.0, math.nan), "got nan"),
    ((2e4, 0.0), "within ±10000"),
])
def test_bad_starts(start, message):
    with pytest.raises(ExpressionError, match=message):
        custom_surface("x1", WINDOW, start)


def test_a_given_start_is_kept_and_checked_even_outside_the_window():
    assert custom_surface("x1 + x2", WINDOW, (5, -7)).start == (5.0, -7.0)
    with pytest.raises(ExpressionError, match=r"f is not finite at \(-5, 1\) \(log\(x1\)\)"):
        custom_surface("log(x1)", ((1, 2), (1, 2)), (-5, 1))


def test_the_expression_must_be_text():
    with pytest.raises(ExpressionError, match="must be text"):
        custom_surface(None, WINDOW)  # type: ignore[arg-type]


# ---------------------------------------------------------------- finite check


@pytest.mark.parametrize("text, window, message", [
    ("log(x1)", ((-2, 2), (-2, 2)), r"^f is not finite at \(-2, -2\) \(log\(x1\)\)"),
    ("x2 + 1/x1", ((0, 2), (-2, 2)), r"^f is not finite at \(0, -2\) \(1/x1\)"),
    ("exp(x1**2) + x2", ((-30, 30), (0, 1)), r"^f is not finite at \(-30, 0\) \(exp\(x1\*\*2\)\)"),
    ("sqrt(x1) + x2", ((0, 2), (0, 1)), r"^∂f/∂x1 is not finite at \(0, 0\) \(1/sqrt\(x1\)\)"),
    ("x1 + sqrt(x2 + 1)", ((0, 1), (-1, 1)), r"^∂f/∂x2 is not finite at \(0, -1\)"),
])
def test_functions_not_finite_on_the_window_are_refused(text, window, message):
    with pytest.raises(ExpressionError, match=message) as err:
        custom_surface(text, window)
    assert "\n" not in str(err.value)


def test_functions_finite_on_the_window_are_taken():
    custom_surface("log(x1) + sqrt(x2)", ((0.5, 2), (0.1, 1)))
    custom_surface("1/x1", ((-2, 2), (-2, 2)))  # the grid misses x1 = 0: runs are cut there


def test_parse_errors_come_through():
    with pytest.raises(ExpressionError, match="unknown name 'y'"):
        custom_surface("x1 + y", WINDOW)


# -------------------------------------------------------------------- engines


def test_contours_of_a_function_of_one_variable():
    x1s, x2s, z, levels = contour_grid(custom_surface("x1**2", WINDOW), n=30)
    assert z.shape == (30, 30) and np.isfinite(z).all()
    np.testing.assert_allclose(z[0], x1s**2)
    np.testing.assert_allclose(z[:, 0], x1s[0] ** 2)


@pytest.mark.parametrize("engine", ["numpy", "auto"])
def test_runs_as_the_built_in_surface_runs(engine):
    s, want = typed("rosenbrock"), SURFACES["rosenbrock"]
    runs = [Run.of("adam", start=want.start, lr=0.006), Run.of("momentum", start=want.start,
                                                               lr=0.0006, momentum=0.9)]
    for got, ref in zip(trajectory.run(s, runs, 200, engine=engine),
                        trajectory.run(want, runs, 200, engine="numpy"), strict=True):
        np.testing.assert_allclose(got.points, ref.points, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(got.values, ref.values, rtol=1e-9, atol=1e-12)
        assert got.diverged_at == ref.diverged_at


def test_auto_does_not_compile_a_users_function_in_the_background(monkeypatch):
    monkeypatch.setattr(trajectory, "BACKGROUND_COMPILE", True)
    s = custom_surface("x1**2 + 3*x2**2 + x1*x2", WINDOW)
    before = dict(trajectory._background)
    trajectory.run(s, [Run.of("adam", start=s.start)], 5, engine="auto")
    assert trajectory.compile_in_background(rules.get_rule("adam"), s) is None
    assert trajectory._background == before


def test_the_compiled_engine_runs_a_users_function():
    """Every function of the grammar, and a negative power, compiled by numba."""
    text = ("abs(x1)*exp(-x2^2) + log(x1^2 + 1) + tan(x2/4) + x2^2/2 + atan(x1*x2) + cosh(x1/3)"
            " - tanh(x2) + sinh(x2/5) + sqrt(x1^2 + 1) + sin(x1)*cos(x2) + 1/(x1^2 + 2)")
    s = custom_surface(text, WINDOW)
    runs = [Run.of("adam", start=s.start, lr=0.05), Run.of("adam", start=(2.0, 1.5), lr=0.5)]
    want = trajectory.run(s, runs, 60, engine="numpy")
    for got, ref in zip(trajectory.run(s, runs, 60, engine="compiled"), want, strict=True):
        np.testing.assert_allclose(got.points, ref.points, rtol=1e-9, atol=1e-12)
    hyper = rules.get_rule("adam").hyperparams(lr=np.array([0.05, 0.5]))
    starts = [s.start, (2.0, 1.5)]
    np.testing.assert_allclose(
        trajectory.run_points(s, "adam", hyper, starts, 60, engine="compiled"),
        trajectory.run_points(s, "adam", hyper, starts, 60, engine="numpy"), rtol=1e-6)
