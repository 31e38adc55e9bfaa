"""A parsed function's f and gradient as Python functions that every engine can run.

The gradient is sympy's derivative of the expression `optviz.expression` built from its
whitelisted tree (the user's text never reaches sympy or Python as code). Both are
printed here as Python source over operators and `optviz.ops`, the way the built-in
surfaces are written, so the same function takes Python floats, NumPy arrays and torch
tensors, and numba compiles it (`optviz.compiled` teaches it the ops): engine "compiled"
runs a user's function too. The printer knows only the nodes the grammar and its
derivatives produce, and the source is run with no builtins but `abs`.

Inputs are taken as NumPy float64 (`ops.as_float`), so 1/0 gives inf and (-1)**0.5 NaN,
as in the engine's arrays, where Python floats would raise or turn complex. Each output
has the broadcast shape of x1 and x2, even where it lacks one of them (∂/∂x2 of x1² is
zeros, not the number 0). Shared sub-expressions are computed once (sympy.cse).

Built once per expression: an LRU cache keyed by sympy's normal form, so `x1*x1` and
`x1**2` share one function, and a surface's gradient stays the same object (engine
"auto" and `optviz.compiled` key their compiled loops by it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import sympy

from optviz import ops
from optviz.expression import X1, X2, ExpressionError

# sympy function -> the name the printed source calls it by.
CALLS = {
    sympy.sin: "ops.sin", sympy.cos: "ops.cos", sympy.tan: "ops.tan",
    sympy.exp: "ops.exp", sympy.log: "ops.log", sympy.Abs: "abs",
    sympy.tanh: "ops.tanh", sympy.sinh: "ops.sinh", sympy.cosh: "ops.cosh",
    sympy.atan: "ops.atan", sympy.sign: "ops.sign",  # sign: the derivative of abs
}
CACHE_SIZE = 128
_HALF = sympy.Rational(1, 2)


def partials(sym: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
    """(∂f/∂x1, ∂f/∂x2) of `sym`, symbolically."""
    return sympy.diff(sym, X1), sympy.diff(sym, X2)


def make_function(sym: sympy.Expr) -> Callable:
    """f(x1, x2) = `sym`, built anew (`function` is the cached one)."""
    fn = _define("f", source("f", [sym]))
    fn.__doc__ = f"f = {sympy.sstr(sym, full_prec=False)}"
    return fn


function = functools.lru_cache(maxsize=CACHE_SIZE)(make_function)


@functools.lru_cache(maxsize=CACHE_SIZE)
def gradient(sym: sympy.Expr) -> Callable:
    """grad(x1, x2) -> (∂f/∂x1, ∂f/∂x2) of f = `sym`."""
    g1, g2 = partials(sym)
    fn = _define("grad", source("grad", [g1, g2]))
    fn.__doc__ = (f"∇f = ({sympy.sstr(g1, full_prec=False)}, "
                  f"{sympy.sstr(g2, full_prec=False)})")
    return fn


def source(name: str, outputs: list[sympy.Expr]) -> str:
    """Python source of `def name(x1, x2)` returning `outputs` (one, or a tuple)."""
    steps, reduced = sympy.cse(outputs, symbols=sympy.numbered_symbols("t"))
    lines = [f"def {name}(x1, x2):", "    x1 = ops.as_float(x1)", "    x2 = ops.as_float(x2)"]
    lines += [f"    {t} = {_code(e)}" for t, e in steps]
    returned = [_code(e) + "".join(f" + ops.zeros_like({x.name})" for x in (X1, X2)
                                   if x not in whole.free_symbols)
                for e, whole in zip(reduced, outputs, strict=True)]
    lines.append(f"    return {', '.join(returned)}")
    return "\n".join(lines) + "\n"


def _define(name: str, text: str) -> Callable:
    scope = {"ops": ops, "abs": abs, "__builtins__": {}}
    try:
        exec(compile(text, "<optviz expression>", "exec"), scope)  # our source, not the user's
    except (SyntaxError, RecursionError, MemoryError):
        raise ExpressionError("the function is too complex to compute") from None
    return scope[name]


def _code(e: sympy.Expr) -> str:
    """`e` as a Python expression over x1, x2, cse's t0, t1, ... and `CALLS`."""
    if not e.free_symbols:  # a number: 2, 1/3, pi, sqrt(2)
        try:
            return f"({float(e)!r})"
        except TypeError:  # complex, or zoo: the parser lets neither through
            raise ExpressionError(f"{sympy.sstr(e)} is not a real number") from None
    if e.is_Symbol:
        return e.name
    if e.is_Add:
        return "(" + " + ".join(_code(a) for a in e.args) + ")"
    if e.is_Mul:
        over = [a for a in e.args if _is_reciprocal(a)]
        top = "*".join(_code(a) for a in e.args if not _is_reciprocal(a)) or "1.0"
        if not over:
            return f"({top})"
        return f"({top} / ({'*'.join(_code(1 / a) for a in over)}))"
    if e.is_Pow:
        return _power(*e.args)
    if e.func in CALLS and len(e.args) == 1:
        return f"{CALLS[e.func]}({_code(e.args[0])})"
    raise ExpressionError(f"cannot compute {type(e).__name__} in {sympy.sstr(e)}")


def _is_reciprocal(e: sympy.Expr) -> bool:
    return e.is_Pow and e.args[1].is_number and e.args[1].is_negative


def _power(base: sympy.Expr, p: sympy.Expr) -> str:
    if p.free_symbols:  # the grammar's exponents are constants, and so are theirs
        raise ExpressionError(f"cannot compute the power {sympy.sstr(base ** p)}")
    if p.is_negative:  # 1/b**n: numba raises on a negative whole power of 0.0
        return f"(1.0 / {_power(base, -p)})"
    if p == 1:
        return _code(base)
    if p == _HALF:
        return f"ops.sqrt({_code(base)})"
    if p.is_Integer:
        return f"({_code(base)}**{int(p)})"
    return f"({_code(base)}**{float(p)!r})"
