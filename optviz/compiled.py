"""A compiled inner loop for long trajectory batches, over the very same rule source.

The NumPy engine in `optviz.trajectory` pays Python's per-operation cost once per
rule per step, whatever the number of runs: fine for the explorer's few hundred
steps, slow for a thousand steps of ten optimizers. Here numba compiles the rules'
own `init`/`update` functions (and the surface's f and gradient) on Python floats,
one coordinate at a time, into a loop with no per-step interpreter cost. Nothing is
rewritten: numba is only taught the few `optviz.ops` helpers the rules call.

Compilation takes a moment per (rule, surface) pair, once per process, so the
engine only comes here for long batches (see `trajectory.run`).
"""

from __future__ import annotations

import math
from functools import cache

import numba
import numpy as np
from numba.extending import overload, register_jitable
from numba.typed import List

from optviz import ops, rules


@overload(ops.sqrt)
def _sqrt(x):
    return lambda x: math.sqrt(x)


@overload(ops.maximum)
def _maximum(a, b):
    return lambda a, b: max(a, b)


@overload(ops.zeros_like)
def _zeros_like(x):
    return lambda x: 0.0


@overload(ops.ones_like)
def _ones_like(x):
    return lambda x: 1.0


@overload(ops.sin)
def _sin(x):
    return lambda x: math.sin(x)


@overload(ops.cos)
def _cos(x):
    return lambda x: math.cos(x)


@overload(ops.exp)
def _exp(x):
    return lambda x: math.exp(x)


register_jitable(rules.adam_terms)  # called by name from adam_update


def _loop(init, update, grad, hps, starts, n, bound, X, G, S):
    """Advance each run (columns of X) n steps; a run that leaves the bound stops there.

    X, G: (n+1, 2, runs) points and gradients; S: (n+1, fields, 2, runs) states.
    Rows after a run stops are NaN, which is how the engine sees the divergence.
    """
    for r in range(starts.shape[1]):
        hp = hps[r]
        x1, x2 = starts[0, r], starts[1, r]
        s1, s2 = init(x1, hp), init(x2, hp)
        for t in range(n + 1):
            X[t, 0, r], X[t, 1, r] = x1, x2
            for k in range(len(s1)):
                S[t, k, 0, r], S[t, k, 1, r] = s1[k], s2[k]
            g1, g2 = grad(x1, x2)
            G[t, 0, r], G[t, 1, r] = g1, g2
            if not (abs(x1) <= bound and abs(x2) <= bound):
                X[t + 1:, :, r] = np.nan
                break
            if t < n:
                d1, s1 = update(g1, s1, x1, t + 1, hp)
                d2, s2 = update(g2, s2, x2, t + 1, hp)
                x1, x2 = x1 + d1, x2 + d2


# error_model="numpy": a division by zero gives inf or NaN, as in the NumPy engine.
_jit = numba.njit(nogil=True, error_model="numpy")
_compiled_loop = _jit(_loop)
_warm: set[tuple] = set()


@cache
def _compiled(fn):
    return _jit(fn)


def is_warm(rule: rules.Rule, grad) -> bool:
    """Whether `advance` has already compiled this rule and gradient in this process."""
    return (rule.init, rule.update, grad) in _warm


def advance(rule: rules.Rule, grad, hps, starts: np.ndarray, n: int, bound: float):
    """Points, gradients and state history of runs that share `rule` and its flags.

    `hps`: one hyperparameter NamedTuple per run; `starts`: (2, runs).
    Returns X, G (n+1, 2, runs) and one (n+1, 2, runs) array per state field.
    """
    runs = starts.shape[1]
    fields = len(rule.state._fields)
    X = np.empty((n + 1, 2, runs))
    G = np.empty((n + 1, 2, runs))
    S = np.empty((n + 1, fields, 2, runs))
    typed = List()
    for hp in hps:  # one numba type for all runs: numbers as floats
        typed.append(type(hp)(*(v if isinstance(v, bool) else float(v) for v in hp)))
    _compiled_loop(_compiled(rule.init), _compiled(rule.update), _compiled(grad), typed,
                   np.ascontiguousarray(starts, dtype=float), n, float(bound), X, G, S)
    _warm.add((rule.init, rule.update, grad))
    return X, G, [S[:, k] for k in range(fields)]
