"""The 2D test surfaces: analytic gradients against torch autograd, inputs, minima, registry."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from optviz.surfaces import (
    DEFAULT_SURFACE,
    SURFACES,
    Surface,
    get_surface,
    rotated_quadratic,
)

# Every registered surface, plus the rotated quadratic at the extremes of its parameters.
CASES: dict[str, Surface] = {
    **SURFACES,
    "rotated-k1": rotated_quadratic(1.0),
    "rotated-k1000": rotated_quadratic(1000.0),
    "rotated-k1e6-angle-75": rotated_quadratic(1e6, -75.0),
}
surfaces = pytest.mark.parametrize("s", CASES.values(), ids=CASES.keys())


def window_points(s: Surface, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    (a, b), (c, d) = s.window
    return rng.uniform(a, b, n), rng.uniform(c, d, n)


def window_grid(s: Surface, n: int = 101) -> tuple[np.ndarray, np.ndarray]:
    (a, b), (c, d) = s.window
    return np.meshgrid(np.linspace(a, b, n), np.linspace(c, d, n))


def autograd(s: Surface, x1: np.ndarray, x2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """∇f by torch autograd of `s.f` in float64 (f is elementwise, so ∇ Σf = (∂f/∂x1, ∂f/∂x2))."""
    t1 = torch.tensor(x1, dtype=torch.float64, requires_grad=True)
    t2 = torch.tensor(x2, dtype=torch.float64, requires_grad=True)
    g1, g2 = torch.autograd.grad(s.f(t1, t2).sum(), (t1, t2))
    return g1.numpy(), g2.numpy()


def hessian(s: Surface, x1: float, x2: float) -> np.ndarray:
    x = torch.tensor([x1, x2], dtype=torch.float64)
    return torch.autograd.functional.hessian(lambda v: s.f(v[0], v[1]), x).numpy()


# ----------------------------------------------------------------- gradients


@surfaces
def test_grad_matches_autograd(s: Surface) -> None:
    x1, x2 = window_points(s, 50)
    for got, want in zip(s.grad(x1, x2), autograd(s, x1, x2), strict=True):
        # Rounding grows with the size of the terms, so the absolute tolerance is scaled
        # by the largest gradient component (beale reaches ~1e6 at the window's corners).
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * max(1.0, np.abs(want).max()))


@surfaces
def test_grad_matches_autograd_at_start_and_minima(s: Surface) -> None:
    x1, x2 = (np.array(c, dtype=float) for c in zip(s.start, *s.minima, strict=True))
    for got, want in zip(s.grad(x1, x2), autograd(s, x1, x2), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


# -------------------------------------------------------------------- inputs


@surfaces
def test_float_numpy_and_torch_inputs_agree(s: Surface) -> None:
    x1, x2 = (x[:5] for x in window_grid(s, 7))  # a 5 x 7 grid
    f = s.f(x1, x2)
    g1, g2 = s.grad(x1, x2)
    assert isinstance(f, np.ndarray) and f.shape == x1.shape
    assert g1.shape == g2.shape == x1.shape

    for i in np.ndindex(x1.shape):
        a, b = float(x1[i]), float(x2[i])
        fa = s.f(a, b)
        assert isinstance(fa, float)
        assert fa == pytest.approx(f[i], rel=1e-14, abs=1e-14)
        assert s.grad(a, b) == pytest.approx((g1[i], g2[i]), rel=1e-14, abs=1e-14)

    t1, t2 = torch.from_numpy(x1), torch.from_numpy(x2)
    ft = s.f(t1, t2)
    gt = s.grad(t1, t2)
    assert isinstance(ft, torch.Tensor) and ft.dtype == torch.float64
    assert all(isinstance(g, torch.Tensor) for g in gt)
    np.testing.assert_allclose(ft.numpy(), f, rtol=1e-13, atol=1e-13)
    for got, want in zip(gt, (g1, g2), strict=True):
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-13, atol=1e-13)


@surfaces
def test_grad_on_torch_does_not_leave_float32(s: Surface) -> None:
    t1, t2 = (torch.tensor([0.5, -1.0], dtype=torch.float32) for _ in range(2))
    assert s.f(t1, t2).dtype == torch.float32
    assert all(g.dtype == torch.float32 for g in s.grad(t1, t2))


# -------------------------------------------------------------- minima, start


@surfaces
def test_minima_are_global_minima_with_value_zero(s: Surface) -> None:
    (a, b), (c, d) = s.window
    for m in s.minima:
        assert a <= m[0] <= b and c <= m[1] <= d
        np.testing.assert_allclose(s.grad(*m), 0.0, atol=1e-6)
        assert s.f(*m) == pytest.approx(0.0, abs=1e-12)
        assert np.all(np.linalg.eigvalsh(hessian(s, *m)) > 0)  # a strict minimum
    if s.minima:
        assert s.f(*window_grid(s)).min() >= 0.0


def test_himmelblau_minima_to_float_precision() -> None:
    s = SURFACES["himmelblau"]
    assert len(s.minima) == 4
    for m in s.minima:
        np.testing.assert_allclose(s.grad(*m), 0.0, atol=1e-12)


def test_saddle_has_no_minimum_and_a_critical_point_at_origin() -> None:
    s = SURFACES["saddle"]
    assert s.minima == ()
    assert s.grad(0.0, 0.0) == (0.0, 0.0)
    assert sorted(np.linalg.eigvalsh(hessian(s, 0.0, 0.0))) == [-2.0, 2.0]
    # The start lies just off the ridge x2 = 0, from which a run escapes along x2.
    assert s.start[0] != 0.0 and 0.0 < abs(s.start[1]) < 0.1


@surfaces
def test_start_is_inside_window_and_not_critical(s: Surface) -> None:
    (a, b), (c, d) = s.window
    assert a < b and c < d
    assert a < s.start[0] < b and c < s.start[1] < d
    assert s.start not in s.minima
    assert math.hypot(*s.grad(*s.start)) > 1e-3


@surfaces
def test_log_levels_only_where_f_is_nonnegative(s: Surface) -> None:
    if s.log_levels:
        assert s.f(*window_grid(s)).min() >= 0.0


def test_d2l_is_the_chapters_function() -> None:
    s = SURFACES["d2l"]
    assert s.start == (-5.0, -2.0)
    assert s.f(-5.0, -2.0) == pytest.approx(0.1 * 25 + 2 * 4)
    assert s.grad(-5.0, -2.0) == pytest.approx((-1.0, -8.0))


# ----------------------------------------------------------- rotated quadratic


@given(
    condition=st.floats(1.0, 1e6),
    angle=st.floats(-180.0, 180.0),
    x=st.tuples(st.floats(-10, 10), st.floats(-10, 10)),
    y=st.tuples(st.floats(-10, 10), st.floats(-10, 10)),
    a=st.floats(-10, 10),
)
def test_rotated_quadratic_grad_is_linear_and_f_is_half_x_dot_grad(
    condition: float, angle: float, x: tuple, y: tuple, a: float
) -> None:
    s = rotated_quadratic(condition, angle)
    gx, gy = np.array(s.grad(*x)), np.array(s.grad(*y))
    combined = s.grad(a * x[0] + y[0], a * x[1] + y[1])
    # Entries of H are at most 1 and |x|, |y| <= 10: the rounding scale is (1 + |a|) * 10.
    np.testing.assert_allclose(combined, a * gx + gy, rtol=1e-9, atol=1e-8 * (1 + abs(a)))
    # f is a quadratic form: f(x) = ½ xᵀHx = ½ x·∇f(x).
    assert s.f(*x) == pytest.approx(0.5 * np.dot(x, gx), rel=1e-9, abs=1e-9)


@given(condition=st.floats(1.0, 1e6), angle=st.floats(-360.0, 360.0))
def test_rotated_quadratic_curvatures_are_one_and_one_over_condition(
    condition: float, angle: float
) -> None:
    s = rotated_quadratic(condition, angle)
    h = np.array([s.grad(1.0, 0.0), s.grad(0.0, 1.0)])  # columns of the Hessian
    np.testing.assert_allclose(h, h.T, atol=1e-15)
    np.testing.assert_allclose(np.linalg.eigvalsh(h), [1.0 / condition, 1.0], atol=1e-12)
    # The steep axis is the x1 axis turned by the angle.
    theta = math.radians(angle)
    steep = np.array([math.cos(theta), math.sin(theta)])
    np.testing.assert_allclose(s.grad(*steep), steep, atol=1e-12)


def test_rotated_quadratic_condition_one_is_isotropic() -> None:
    s = rotated_quadratic(1.0, 30.0)
    assert s.f(3.0, -4.0) == pytest.approx(12.5)
    assert s.grad(3.0, -4.0) == pytest.approx((3.0, -4.0))


@pytest.mark.parametrize("condition", [0.5, 0.0, -3.0, math.nan, math.inf, -math.inf])
def test_rotated_quadratic_rejects_bad_condition(condition: float) -> None:
    with pytest.raises(ValueError, match=r"condition number must be a finite number >= 1"):
        rotated_quadratic(condition)


@pytest.mark.parametrize("angle", [math.nan, math.inf])
def test_rotated_quadratic_rejects_bad_angle(angle: float) -> None:
    with pytest.raises(ValueError, match="angle"):
        rotated_quadratic(10.0, angle)


# ------------------------------------------------------------------- registry


def test_registry_order_and_names() -> None:
    assert list(SURFACES) == [
        "d2l", "rosenbrock", "beale", "himmelblau", "rastrigin", "booth", "saddle", "rotated",
    ]
    assert DEFAULT_SURFACE == "d2l"
    for name, s in SURFACES.items():
        assert s.name == name == name.lower()
        assert s.title and s.latex.startswith("f(")


def test_get_surface_returns_registered_surfaces() -> None:
    for name, s in SURFACES.items():
        assert get_surface(name) is s
    assert get_surface("d2l", condition=100.0) is SURFACES["d2l"]  # condition ignored
    assert get_surface("booth", condition=0.5) is SURFACES["booth"]


def test_get_surface_builds_rotated_with_condition() -> None:
    s = get_surface("rotated", condition=100.0)
    assert s.name == "rotated"
    assert r"\kappa = 100" in s.latex
    h = np.array([s.grad(1.0, 0.0), s.grad(0.0, 1.0)])
    np.testing.assert_allclose(np.linalg.eigvalsh(h), [0.01, 1.0], atol=1e-12)
    assert get_surface("rotated").grad(1.0, 2.0) == SURFACES["rotated"].grad(1.0, 2.0)
    assert r"\kappa = 10," in SURFACES["rotated"].latex


@pytest.mark.parametrize("name", ["nope", "Rosenbrock", "", "rotated "])
def test_get_surface_unknown_name_lists_valid_names(name: str) -> None:
    with pytest.raises(ValueError, match="unknown surface") as err:
        get_surface(name)
    assert repr(name) in str(err.value)
    for valid in SURFACES:
        assert valid in str(err.value)


@pytest.mark.parametrize("condition", [0.5, math.nan, math.inf])
def test_get_surface_bad_condition(condition: float) -> None:
    with pytest.raises(ValueError, match=r"condition number must be a finite number >= 1, got"):
        get_surface("rotated", condition=condition)

