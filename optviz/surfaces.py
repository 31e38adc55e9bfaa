"""The 2D test functions the trajectory explorer draws optimizers on.

Each `Surface` carries f, its analytic gradient, what a plot needs (default window,
start point, known minima, whether contours should be log-spaced) and its defaults for
a run: the steps and a learning rate per optimizer that show a sensible path (no
divergence, f well down from the start; tools/function_defaults.py searched them with
the engine and says how). `optviz.settings` takes them where a user gives none; every
other hyperparameter is the chapter's or torch's (`optviz.defaults`). `f` and `grad` take
x1, x2 as Python floats, NumPy arrays of one shape (many runs or a whole grid at once)
or torch tensors, and use only operators and `optviz.ops`, so torch autograd can
differentiate `f` and the tests use it as the oracle for `grad`. They run once per
optimisation step, so shared sub-expressions are computed once.

Every minimum listed is global, with f = 0 there.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from optviz import ops

Window = tuple[tuple[float, float], tuple[float, float]]


def rates(**lr: float) -> Mapping[str, float]:
    """A function's learning rate per optimizer (read-only)."""
    return MappingProxyType(lr)


@dataclass(frozen=True)
class Surface:
    """A 2D test function, its default view and its default run."""

    name: str  # lower case, as on the command line and in URLs
    title: str
    latex: str
    f: Callable  # f(x1, x2) -> value
    grad: Callable  # grad(x1, x2) -> (df/dx1, df/dx2)
    window: Window  # ((x1min, x1max), (x2min, x2max))
    start: tuple[float, float]
    minima: tuple[tuple[float, float], ...]  # the global minima; none for the saddle
    # f spans decades over the window, and linearly spaced levels would lose the
    # low-lying valleys and saddles: space contour levels logarithmically (f >= 0 there).
    log_levels: bool
    steps: int = 20  # the default number of steps
    # The default η per optimizer, each a value of the chart's η slider
    # (optviz.families.SLIDERS); an optimizer not listed takes the chapter's.
    lr: Mapping[str, float] = field(default_factory=rates, hash=False)


# --------------------------------------------------------------------------- d2l


def d2l_f(x1, x2):
    """f = 0.1 x1² + 2 x2²"""
    return 0.1 * x1 * x1 + 2.0 * x2 * x2


def d2l_grad(x1, x2):
    """∇f = (0.2 x1, 4 x2)"""
    return 0.2 * x1, 4.0 * x2


# -------------------------------------------------------------------- rosenbrock


def rosenbrock_f(x1, x2):
    """f = (1 − x1)² + 100 (x2 − x1²)²"""
    a = 1.0 - x1
    b = x2 - x1 * x1
    return a * a + 100.0 * b * b


def rosenbrock_grad(x1, x2):
    """∇f = (−2 (1 − x1) − 400 x1 (x2 − x1²), 200 (x2 − x1²))"""
    b = 200.0 * (x2 - x1 * x1)
    return 2.0 * (x1 - 1.0) - 2.0 * x1 * b, b


# ------------------------------------------------------------------------- beale


def beale_f(x1, x2):
    """f = (1.5 − x1 + x1 x2)² + (2.25 − x1 + x1 x2²)² + (2.625 − x1 + x1 x2³)²"""
    y2 = x2 * x2
    t1 = 1.5 + x1 * (x2 - 1.0)
    t2 = 2.25 + x1 * (y2 - 1.0)
    t3 = 2.625 + x1 * (y2 * x2 - 1.0)
    return t1 * t1 + t2 * t2 + t3 * t3


def beale_grad(x1, x2):
    """With t_k = c_k + x1 (x2^k − 1), c = (1.5, 2.25, 2.625):

    ∂f/∂x1 = 2 Σ t_k (x2^k − 1),   ∂f/∂x2 = 2 x1 (t1 + 2 x2 t2 + 3 x2² t3)
    """
    y2 = x2 * x2
    a1 = x2 - 1.0
    a2 = y2 - 1.0
    a3 = y2 * x2 - 1.0
    t1 = 1.5 + x1 * a1
    t2 = 2.25 + x1 * a2
    t3 = 2.625 + x1 * a3
    return (
        2.0 * (t1 * a1 + t2 * a2 + t3 * a3),
        2.0 * x1 * (t1 + 2.0 * x2 * t2 + 3.0 * y2 * t3),
    )


# -------------------------------------------------------------------- himmelblau


def himmelblau_f(x1, x2):
    """f = (x1² + x2 − 11)² + (x1 + x2² − 7)²"""
    a = x1 * x1 + x2 - 11.0
    b = x1 + x2 * x2 - 7.0
    return a * a + b * b


def himmelblau_grad(x1, x2):
    """∇f = (4 x1 a + 2 b, 2 a + 4 x2 b),  a = x1² + x2 − 11,  b = x1 + x2² − 7"""
    a = x1 * x1 + x2 - 11.0
    b = x1 + x2 * x2 - 7.0
    return 4.0 * x1 * a + 2.0 * b, 2.0 * a + 4.0 * x2 * b


# Newton-refined to float precision; only (3, 2) is exact.
HIMMELBLAU_MINIMA = (
    (3.0, 2.0),
    (-2.805118086952745, 3.131312518250573),
    (-3.779310253377747, -3.2831859912861696),
    (3.5844283403304917, -1.8481265269644036),
)


# --------------------------------------------------------------------- rastrigin

_TWO_PI = 2.0 * math.pi


def rastrigin_f(x1, x2):
    """f = 20 + Σ (x_i² − 10 cos 2π x_i)"""
    return 20.0 + x1 * x1 + x2 * x2 - 10.0 * (ops.cos(_TWO_PI * x1) + ops.cos(_TWO_PI * x2))


def rastrigin_grad(x1, x2):
    """∂f/∂x_i = 2 x_i + 20π sin 2π x_i"""
    k = 10.0 * _TWO_PI
    return 2.0 * x1 + k * ops.sin(_TWO_PI * x1), 2.0 * x2 + k * ops.sin(_TWO_PI * x2)


# ------------------------------------------------------------------------- booth


def booth_f(x1, x2):
    """f = (x1 + 2 x2 − 7)² + (2 x1 + x2 − 5)²"""
    a = x1 + 2.0 * x2 - 7.0
    b = 2.0 * x1 + x2 - 5.0
    return a * a + b * b


def booth_grad(x1, x2):
    """∇f = (2a + 4b, 4a + 2b),  a = x1 + 2 x2 − 7,  b = 2 x1 + x2 − 5"""
    a = 2.0 * (x1 + 2.0 * x2 - 7.0)
    b = 2.0 * (2.0 * x1 + x2 - 5.0)
    return a + 2.0 * b, 2.0 * a + b


# ------------------------------------------------------------------------ saddle


def saddle_f(x1, x2):
    """f = x1² − x2²"""
    return x1 * x1 - x2 * x2


def saddle_grad(x1, x2):
    """∇f = (2 x1, −2 x2)"""
    return 2.0 * x1, -2.0 * x2


# ------------------------------------------------------------- rotated quadratic


def rotated_quadratic(condition: float = 10.0, angle_deg: float = 30.0) -> Surface:
    """f = ½ (u1² + u2² / κ), with u1 = cos θ x1 + sin θ x2, u2 = −sin θ x1 + cos θ x2.

    The Hessian has eigenvalue 1 along (cos θ, sin θ) and 1/κ along (−sin θ, cos θ),
    κ = `condition`, θ = `angle_deg`. The largest curvature is fixed at 1 so that the
    stable step sizes (η < 2 for gradient descent) do not change with κ; only the flat
    direction gets flatter. Written as f = ½ (a x1² + 2 b x1 x2 + d x2²), ∇f = H x with
    H = [[a, b], [b, d]], a = c² + s²/κ, b = c s (1 − 1/κ), d = s² + c²/κ.
    """
    if not (isinstance(condition, numbers.Real) and math.isfinite(condition) and condition >= 1):
        raise ValueError(f"condition number must be a finite number >= 1, got {condition!r}")
    if not (isinstance(angle_deg, numbers.Real) and math.isfinite(angle_deg)):
        raise ValueError(f"rotation angle must be a finite number of degrees, got {angle_deg!r}")
    theta = math.radians(angle_deg)
    c, s, k = math.cos(theta), math.sin(theta), 1.0 / condition
    a, b, d = c * c + s * s * k, c * s * (1.0 - k), s * s + c * c * k
    b2 = 2.0 * b

    def f(x1, x2):
        return 0.5 * (a * x1 * x1 + b2 * x1 * x2 + d * x2 * x2)

    def grad(x1, x2):
        return a * x1 + b * x2, b * x1 + d * x2

    f.__doc__ = f"f = ½ (u1² + u2² / {condition:g}), (u1, u2) = x rotated by −{angle_deg:g}°"
    grad.__doc__ = f"∇f = H x, H = [[{a:.6g}, {b:.6g}], [{b:.6g}, {d:.6g}]]"
    return Surface(
        name="rotated",
        title="Rotated quadratic",
        latex=(
            r"f(x_1, x_2) = \tfrac12\left(u_1^2 + \tfrac{1}{\kappa}\,u_2^2\right),\quad "
            r"\begin{pmatrix}u_1\\u_2\end{pmatrix} = "
            r"\begin{pmatrix}\cos\theta & \sin\theta\\ -\sin\theta & \cos\theta\end{pmatrix}"
            rf"\begin{{pmatrix}}x_1\\x_2\end{{pmatrix}},\quad \kappa = {condition:g},\ "
            rf"\theta = {angle_deg:g}^\circ"
        ),
        f=f,
        grad=grad,
        window=((-3.0, 3.0), (-3.0, 3.0)),
        # Off both principal axes, so a run has to zig-zag across the steep
        # direction while it creeps along the flat one.
        start=(-2.5, 1.0),
        minima=((0.0, 0.0),),
        log_levels=False,
        steps=20,
        lr=rates(sgd=0.8, momentum=0.4, nesterov=0.4, adagrad=0.8, rmsprop=0.2, adadelta=80.0,
                 adam=0.5, amsgrad=0.5, adamw=0.4, nadam=0.4),
    )


# ---------------------------------------------------------------------- registry

SURFACES: dict[str, Surface] = {
    s.name: s
    for s in (
        Surface(
            "d2l", "D2L quadratic", r"f(x_1, x_2) = 0.1\,x_1^2 + 2\,x_2^2", d2l_f, d2l_grad,
            # The chapter plots x1 in [-5.5, 1], x2 in [-3, 1]; a little more room
            # on the right and top keeps overshooting runs in view.
            window=((-5.5, 1.5), (-3.0, 1.5)), start=(-5.0, -2.0),
            minima=((0.0, 0.0),), log_levels=False,
            # The chapter's 20 steps and η = 0.4 (optviz.defaults), but for two optimizers
            # the chapter does not run here: Nesterov diverges at the η = 0.4 it would
            # borrow from momentum, and AdaDelta (lr 1) barely moves in 20 steps.
            steps=20, lr=rates(nesterov=0.2, adadelta=80.0),
        ),
        Surface(
            "rosenbrock", "Rosenbrock", r"f(x_1, x_2) = (1 - x_1)^2 + 100\,(x_2 - x_1^2)^2",
            rosenbrock_f, rosenbrock_grad,
            window=((-2.0, 2.0), (-1.0, 3.0)), start=(-1.5, 2.0),
            minima=((1.0, 1.0),), log_levels=True,
            # Steep across the valley, flat along it: SGD zig-zags at the start above
            # η ≈ 0.001 and then needs thousands of steps to get down the valley.
            steps=2000,
            lr=rates(sgd=0.001, momentum=0.0006, nesterov=0.0005, adagrad=0.1, rmsprop=0.002,
                     adadelta=0.15, adam=0.006, amsgrad=0.01, adamw=0.006, nadam=0.008),
        ),
        Surface(
            "beale", "Beale",
            r"f(x_1, x_2) = (1.5 - x_1 + x_1 x_2)^2 + (2.25 - x_1 + x_1 x_2^2)^2"
            r" + (2.625 - x_1 + x_1 x_2^3)^2",
            beale_f, beale_grad,
            window=((-4.5, 4.5), (-4.5, 4.5)), start=(1.0, 1.5),
            minima=((3.0, 0.5),), log_levels=True,
            steps=20,
            lr=rates(sgd=0.012, momentum=0.006, nesterov=0.006, adagrad=0.8, rmsprop=0.2,
                     adadelta=80.0, adam=1.0, amsgrad=1.0, adamw=1.0, nadam=0.8),
        ),
        Surface(
            "himmelblau", "Himmelblau", r"f(x_1, x_2) = (x_1^2 + x_2 - 11)^2 + (x_1 + x_2^2 - 7)^2",
            himmelblau_f, himmelblau_grad,
            # Log levels: f reaches ~900 at the corners while the saddles between the
            # four basins sit at f ≈ 13 to 180.
            window=((-5.0, 5.0), (-5.0, 5.0)), start=(0.0, 0.0),
            minima=HIMMELBLAU_MINIMA, log_levels=True,
            steps=20,
            lr=rates(sgd=0.005, momentum=0.0025, nesterov=0.0025, adagrad=0.4, rmsprop=0.1,
                     adadelta=25.0, adam=0.25, amsgrad=0.25, adamw=0.25, nadam=0.2),
        ),
        Surface(
            "rastrigin", "Rastrigin",
            r"f(x_1, x_2) = 20 + \sum_{i=1}^{2} \left(x_i^2 - 10 \cos 2\pi x_i\right)",
            rastrigin_f, rastrigin_grad,
            # On a ridge top (a local maximum, f = 44.5): the run drops into a pit
            # (f = 2 at (-1, 1)). From farther out, as from the old (-4.2, 3.7), every
            # pit within reach lies high on the bowl, and a constant η either stops in
            # one or hops chaotically (tools/function_defaults.py --starts).
            window=((-5.12, 5.12), (-5.12, 5.12)), start=(-1.5, 1.5),
            minima=((0.0, 0.0),), log_levels=False,
            steps=20,
            lr=rates(sgd=0.001, momentum=0.0006, nesterov=0.0005, adagrad=0.08, rmsprop=0.02,
                     adadelta=3.0, adam=0.2, amsgrad=0.2, adamw=0.2, nadam=0.03),
        ),
        Surface(
            "booth", "Booth", r"f(x_1, x_2) = (x_1 + 2 x_2 - 7)^2 + (2 x_1 + x_2 - 5)^2",
            booth_f, booth_grad,
            window=((-10.0, 10.0), (-10.0, 10.0)), start=(-8.0, 6.0),
            minima=((1.0, 3.0),), log_levels=False,
            steps=100,
            lr=rates(sgd=0.01, momentum=0.005, nesterov=0.005, adagrad=1.0, rmsprop=0.1,
                     adadelta=60.0, adam=0.2, amsgrad=0.2, adamw=0.2, nadam=0.2),
        ),
        Surface(
            "saddle", "Saddle", r"f(x_1, x_2) = x_1^2 - x_2^2", saddle_f, saddle_grad,
            # Almost on the ridge x2 = 0: a run first slides towards the saddle point,
            # then the tiny x2 offset grows and it escapes downhill along x2.
            window=((-2.0, 2.0), (-2.0, 2.0)), start=(-1.5, 0.01),
            minima=(), log_levels=False,
            # Just past the saddle point when the steps end: a larger η escapes
            # exponentially fast, out of view.
            steps=20,
            lr=rates(sgd=0.08, momentum=0.04, nesterov=0.04, adagrad=0.1, rmsprop=0.03,
                     adadelta=5.0, adam=0.05, amsgrad=0.05, adamw=0.05, nadam=0.05),
        ),
        rotated_quadratic(),
    )
}

DEFAULT_SURFACE = "d2l"
# The name of a user's own function (`optviz.custom_surface`): never in SURFACES.
CUSTOM = "custom"


def get_surface(name: str, condition: float | None = None) -> Surface:
    """The surface called `name`; for "rotated", built with `condition` when given.

    `condition` is ignored for every other surface.
    """
    if name not in SURFACES:
        raise ValueError(f"unknown surface {name!r}; choose one of: {', '.join(SURFACES)}")
    if name == "rotated" and condition is not None:
        return rotated_quadratic(condition)
    return SURFACES[name]
