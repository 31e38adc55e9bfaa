"""A user's own function as a `Surface`: custom_surface("x1**2 + 10*sin(x2)", window).

The text is read by `optviz.expression` (a whitelist grammar, never eval), f and its
symbolic gradient are built by `optviz.expression_code` (floats, NumPy arrays, torch
tensors; numba compiles them). The surface is checked on the window: f and ∇f must be
finite on a GRID × GRID grid over it (its edges included) and at the start, else
ExpressionError names a point and the part of f that fails there, e.g.
"f is not finite at (-2, -2) (log(x1))". A singular point the grid misses (1/x1 on a
window symmetric about 0) is no error: a run that reaches it is cut as diverged.

What a built-in surface hand-picks, a user's takes by rule:
* start: a quarter of the way into the window from its lower-left corner, off-centre in
  both coordinates (a centred bowl's minimum would leave nothing to watch);
* minima: none listed (unknown); steps and learning rates: the chapter's (20 steps,
  `optviz.defaults`);
* log_levels: where f >= 0 on the grid and its largest value is at least LOG_SPAN times
  its 5th percentile: a quadratic bowl (about 100 times) keeps linear levels, as the
  built-ins' do; Rosenbrock's valley or a quartic's flat bottom get log levels.

Each surface is built once per (expression, window, start), in an LRU cache: the same
input gives the same Surface, and the same f and grad objects, which engine "auto"
and `optviz.compiled` key their compiled loops by. It holds functions made at run time,
so it does not pickle: carry the text, window and start, and call this again.
"""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np
import sympy

from optviz import expression_code
from optviz.expression import ExpressionError, parse
from optviz.surfaces import CUSTOM, Surface, Window, rates
from optviz.validate import show

TITLE = "Your function"
GRID = 64
WINDOW_LIMIT = 1e4  # |each end of the window| and |start|, as settings.MAX_START
MIN_WIDTH = 0.01  # the chart keeps a view at float32 precision
LOG_SPAN = 10**2.5
STEPS = 20  # the chapter's


def custom_surface(expression: str, window, start=None) -> Surface:
    """The Surface of f(x1, x2) = `expression` over `window`, or ExpressionError.

    window: ((x1min, x1max), (x2min, x2max)), or the four numbers in that order.
    start: the default start point (x1, x2); None for the rule in the module's doc.
    """
    if not isinstance(expression, str):
        raise ExpressionError(f"the function must be text, got {type(expression).__name__}")
    window = check_window(window)
    start = default_start(window) if start is None else check_start(start)
    return _built(expression, window, start)


def check_window(window) -> Window:
    """`window` as ((x1min, x1max), (x2min, x2max)) of floats, or ExpressionError."""
    try:
        flat = [v for pair in window for v in pair] if len(window) == 2 else list(window)
    except TypeError:
        flat = []
    if len(flat) != 4:
        raise ExpressionError("the window must be four numbers: x1 from, x1 to, "
                              "x2 from, x2 to")
    x0, x1, y0, y1 = (_coordinate(v, "the window") for v in flat)
    for name, lo, hi in (("x1", x0, x1), ("x2", y0, y1)):
        if not hi - lo >= MIN_WIDTH:
            raise ExpressionError(f"the window's {name} range must go from low to high, "
                                  f"at least {MIN_WIDTH:g} wide; got {_num(lo)} to {_num(hi)}")
    return (x0, x1), (y0, y1)


def check_start(start) -> tuple[float, float]:
    """`start` as two floats, or ExpressionError."""
    try:
        a, b = start
    except (TypeError, ValueError):
        raise ExpressionError("the start must be two numbers (x1, x2)") from None
    return _coordinate(a, "the start"), _coordinate(b, "the start")


def default_start(window: Window) -> tuple[float, float]:
    """A quarter of the way into `window` from its lower-left corner."""
    (x0, x1), (y0, y1) = window
    return x0 + (x1 - x0) / 4, y0 + (y1 - y0) / 4


def _coordinate(value, what: str) -> float:
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise ExpressionError(f"{what} must be numbers, got {show(value)}")
    x = float(value)
    if not (math.isfinite(x) and abs(x) <= WINDOW_LIMIT):
        raise ExpressionError(f"{what} must lie within ±{WINDOW_LIMIT:g}, got {_num(x)}")
    return x


@functools.lru_cache(maxsize=64)
def _built(text: str, window: Window, start: tuple[float, float]) -> Surface:
    parsed = parse(text)
    f, grad = expression_code.function(parsed.sym), expression_code.gradient(parsed.sym)
    (x0, x1), (y0, y1) = window
    X1, X2 = np.meshgrid(np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID))
    X1, X2 = np.append(X1.ravel(), start[0]), np.append(X2.ravel(), start[1])
    with np.errstate(all="ignore"):
        F, G1, G2 = f(X1, X2), *grad(X1, X2)
    for values, sym, what in ((F, parsed.sym, "f"),
                              *zip((G1, G2), expression_code.partials(parsed.sym),
                                   ("∂f/∂x1", "∂f/∂x2"), strict=True)):
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            a, b = X1[bad[0]], X2[bad[0]]
            raise ExpressionError(f"{what} is not finite at ({_num(a)}, {_num(b)}) "
                                  f"({_failing_part(sym, a, b)}); choose a window where "
                                  "it is")
    return Surface(
        name=CUSTOM, title=TITLE, latex=f"f(x_1, x_2) = {parsed.latex}", f=f, grad=grad,
        window=window, start=start, minima=(), log_levels=_log_levels(F[:-1]),
        steps=STEPS, lr=rates(),
    )


def _log_levels(F: np.ndarray) -> bool:
    low = float(np.percentile(F, 5))
    return bool(F.min() >= 0.0 and low > 0.0 and F.max() >= LOG_SPAN * low)


def _failing_part(sym: sympy.Expr, a: float, b: float) -> str:
    """The smallest part of `sym` that is not finite at (a, b): its parts come before it
    in post-order, so the first one found has finite parts."""
    for part in sympy.postorder_traversal(sym):
        if part.is_Atom:
            continue
        with np.errstate(all="ignore"):
            value = expression_code.make_function(part)(a, b)
        if not np.isfinite(value):
            return sympy.sstr(part, full_prec=False)
    return sympy.sstr(sym, full_prec=False)


def _num(x: float) -> str:
    return f"{x + 0.0:.4g}"  # + 0.0: -0.0 shows as 0
