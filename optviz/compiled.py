"""numba, configured once: the rules compiled for the 2D engine's loop and the trainer's.

The NumPy engine in `optviz.trajectory` pays Python's per-operation cost once per
rule per step, whatever the number of runs: fine for the explorer's few hundred
steps, slow for a thousand steps of ten optimizers. Here numba compiles the rules'
own `init`/`update` functions (and the surface's f and gradient) on Python floats,
one coordinate at a time, into a loop with no per-step interpreter cost. Nothing is
rewritten: numba is only taught the few `optviz.ops` helpers the rules call.

Two loops use them: `advance`, the 2D engine's trajectories, and `init_states` /
`train_steps` / `mean_loss`, the trainer's compiled engine (`optviz.engines`).
Compilation takes a moment per (rule, surface) pair or rule, once per process, so
the callers come here only when it pays; importing this module imports numba, so
they import it only then.
"""

from __future__ import annotations

import math
from functools import cache
from typing import NamedTuple

import numba
import numpy as np
from numba.extending import overload, register_jitable
from numba.typed import List

from optviz import ops, rules

# error_model="numpy": a division by zero gives inf or NaN, as in the NumPy engine.
jit = numba.njit(nogil=True, error_model="numpy")


@cache
def jitted(fn):
    """`fn` compiled by `jit`, once per process (a rule's init or update, a gradient)."""
    return jit(fn)


def float_hyperparams(hp: NamedTuple) -> NamedTuple:
    """`hp` with its numbers as floats, flags as they are: one numba type for every run
    of a rule, so that a new value never means a new compilation."""
    return type(hp)(*(v if isinstance(v, bool) else float(v) for v in hp))


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


def _loop(init, update, grad, hps, starts, n, bound, X, G, S, record_state):
    """Advance each run (columns of X) n steps; a run that leaves the bound stops there.

    X, G: (n+1, 2, runs) points and gradients; S: (n+1, fields, 2, runs) states, written
    only with `record_state`. Rows after a run stops are NaN, which is how the engine
    sees the divergence.
    """
    for r in range(starts.shape[1]):
        hp = hps[r]
        x1, x2 = starts[0, r], starts[1, r]
        s1, s2 = init(x1, hp), init(x2, hp)
        for t in range(n + 1):
            X[t, 0, r], X[t, 1, r] = x1, x2
            if record_state:
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


_compiled_loop = jit(_loop)
_warm: set[tuple] = set()


def is_warm(rule: rules.Rule, grad) -> bool:
    """Whether `advance` has already compiled this rule and gradient in this process."""
    return (rule.init, rule.update, grad) in _warm


def advance(rule: rules.Rule, grad, hps, starts: np.ndarray, n: int, bound: float,
            record_state: bool = True):
    """Points, gradients and state history of runs that share `rule` and its flags.

    `hps`: one hyperparameter NamedTuple per run; `starts`: (2, runs).
    Returns X, G (n+1, 2, runs) and one (n+1, 2, runs) array per state field (none
    without `record_state`).
    """
    runs = starts.shape[1]
    fields = len(rule.state._fields) if record_state else 0
    X = np.empty((n + 1, 2, runs))
    G = np.empty((n + 1, 2, runs))
    S = np.empty((n + 1 if record_state else 1, fields, 2, runs))
    typed = List()
    for hp in hps:
        typed.append(float_hyperparams(hp))
    _compiled_loop(jitted(rule.init), jitted(rule.update), jitted(grad), typed,
                   np.ascontiguousarray(starts, dtype=float), n, float(bound), X, G, S,
                   bool(record_state))
    _warm.add((rule.init, rule.update, grad))
    return X, G, [S[:, k] for k in range(fields)]


# ------------------------------------------------------- the trainer's kernels
# Linear regression on float64 arrays: X (n, p) with its column of ones, θ (p,), one
# rule state per coordinate. The rules are elementwise: one scalar call per coordinate.


@jit
def init_states(init, theta, hp):
    """A typed list of `init`'s state for each coordinate of θ."""
    states = List()
    for j in range(theta.shape[0]):
        states.append(init(theta[j], hp))
    return states


@jit
def train_steps(update, X, y, k0, k1, B, theta, states, t, hp):
    """Steps on batches k0 .. k1 − 1 of B rows of (X, y), in place; returns the step count."""
    n, p = X.shape
    g = np.empty(p)
    for k in range(k0, k1):
        lo, hi = k * B, min((k + 1) * B, n)
        g[:] = 0.0
        for i in range(lo, hi):
            r = -y[i]
            for j in range(p):
                r += X[i, j] * theta[j]
            for j in range(p):
                g[j] += r * X[i, j]
        t += 1
        for j in range(p):
            delta, state = update(g[j] / (hi - lo), states[j], theta[j], t, hp)
            states[j] = state
            theta[j] += delta
    return t


@jit
def mean_loss(X, y, theta):
    """L(θ) = ‖Xθ − y‖² / (2n)."""
    n, p = X.shape
    total = 0.0
    for i in range(n):
        r = -y[i]
        for j in range(p):
            r += X[i, j] * theta[j]
        total += r * r
    return total / (2 * n)
