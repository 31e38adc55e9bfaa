"""numba, configured once: the rules compiled for the 2D engine's loop and the trainer's.

The NumPy engine in `optviz.trajectory` pays Python's per-operation cost once per
rule per step, whatever the number of runs: fine for the explorer's few hundred
steps, slow for a thousand steps of ten optimizers. Here numba compiles the rules'
own `init`/`update` functions (and the surface's f and gradient) on Python floats,
one coordinate at a time, into a loop with no per-step interpreter cost. Nothing is
rewritten: numba is only taught the few `optviz.ops` helpers the rules call.

The loops that use them: `advance`, the 2D engine's trajectories (every step, the
state too); `points`, its batched points-only path for previews (`optviz.trajectory.
run_points`: only the kept steps, each run stopped where it is cut); and
`optviz.train_kernels`, the trainer's compiled engine (`optviz.engines`), cached on
disk. The 2D loops take the runs' hyperparameters as one (runs, fields) float array
(`hyper_rows`), rebuilt into the rule's NamedTuple inside the loop. Compilation takes
a moment per (rule, surface) pair, once per process (`warm` does both 2D loops), so
the callers come here only when it pays; importing this module imports numba, so they
import it only then. The 2D loops take their functions as arguments, which numba
cannot cache on disk (see `optviz.train_kernels`), and so a user's own function
(`optviz.custom_surface`) leaves no compiled code behind.
"""

from __future__ import annotations

import math
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import NamedTuple

import numba
import numpy as np
from numba.extending import overload, register_jitable

from optviz import ops, rules

# error_model="numpy": a division by zero gives inf or NaN, as in the NumPy engine.
jit = numba.njit(nogil=True, error_model="numpy")


_lock = threading.Lock()  # a background warm-up and a request may both ask


def jitted(fn):
    """`fn` compiled by `jit`, once per process (a rule's init or update, a gradient)."""
    with _lock:
        return _jitted(fn)


@cache
def _jitted(fn):
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


# The rest serve a user's own function (optviz.expression_code), on floats as above.
@overload(ops.tan)
def _tan(x):
    return lambda x: math.tan(x)


@overload(ops.log)
def _log(x):
    return lambda x: math.log(x)  # -inf at 0, NaN below, as NumPy's (no exception here)


@overload(ops.tanh)
def _tanh(x):
    return lambda x: math.tanh(x)


@overload(ops.sinh)
def _sinh(x):
    return lambda x: math.sinh(x)


@overload(ops.cosh)
def _cosh(x):
    return lambda x: math.cosh(x)


@overload(ops.atan)
def _atan(x):
    return lambda x: math.atan(x)


@overload(ops.sign)
def _sign(x):
    return lambda x: 1.0 if x > 0.0 else (-1.0 if x < 0.0 else x)  # NaN and ±0 stay


@overload(ops.as_float)
def _as_float(x):
    return lambda x: float(x)


register_jitable(rules.adam_terms)  # called by name from adam_update


def hyper_maker(hyper: type):
    """A jitted `make(row)`: the `hyper` NamedTuple from a row of floats, one per field in
    order, a flag being `row[k] != 0`. Runs pass their hyperparameters as one 2D array
    (`hyper_rows`), not as a typed List of NamedTuples built one append at a time."""
    flags = {f for f in hyper._fields if isinstance(hyper._field_defaults[f], bool)}
    args = ", ".join(f"row[{k}] != 0.0" if f in flags else f"row[{k}]"
                     for k, f in enumerate(hyper._fields))
    with _lock:
        if hyper not in _makers:
            scope = {"Hyper": hyper}
            exec(f"def make(row):\n    return Hyper({args})\n", scope)
            _makers[hyper] = jit(scope["make"])
        return _makers[hyper]


_makers: dict[type, object] = {}


def hyper_rows(hps, runs: int | None = None) -> np.ndarray:
    """(runs, fields) float64: NamedTuples one per run, or one NamedTuple whose numbers
    may be (runs,) arrays (then `runs` is needed); flags as 0/1."""
    if runs is None:
        return np.array([[float(v) for v in hp] for hp in hps], dtype=float)
    H = np.empty((runs, len(hps)))
    for k, v in enumerate(hps):
        H[:, k] = v
    return H


def _loop(init, update, grad, make, H, starts, n, bound, X, G, S, record_state, E):
    """Advance each run (columns of X) n steps; a run that leaves the bound stops there.

    H: (runs, fields) hyperparameters, rebuilt by `make`; X, G: (n+1, 2, runs) points and
    gradients; S: (n+1, fields, 2, runs) states, written only with `record_state`. Rows
    after a run stops are NaN, which is how the engine sees the divergence. E: gradient
    noise σ ξ (see `_noise`); G keeps ∇f, the rule is given G + E.
    """
    noisy = E.shape[1] > 0
    for r in range(starts.shape[1]):
        e = r if E.shape[0] > 1 else 0
        hp = make(H[r])
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
                if noisy:
                    g1, g2 = g1 + E[e, t, 0], g2 + E[e, t, 1]
                d1, s1 = update(g1, s1, x1, t + 1, hp)
                d2, s2 = update(g2, s2, x2, t + 1, hp)
                x1, x2 = x1 + d1, x2 + d2


def _points_loop(init, update, grad, f, make, H, starts, kept, bound, out, E):
    """The points alone, at the steps `kept` (ascending), into out (runs, kept, 2) float32
    filled with NaN. A run stops at its first bad step (out of the bound, or f or the
    gradient not finite), as `trajectory.run` cuts it: that row and later stay NaN,
    except the start, which is always kept. E: gradient noise, as `_loop`'s."""
    last = kept[-1]
    noisy = E.shape[1] > 0
    for r in range(starts.shape[0]):
        e = r if E.shape[0] > 1 else 0
        hp = make(H[r])
        x1, x2 = starts[r, 0], starts[r, 1]
        s1, s2 = init(x1, hp), init(x2, hp)
        j = 0
        for t in range(last + 1):
            g1, g2 = grad(x1, x2)
            ok = (abs(x1) <= bound and abs(x2) <= bound and math.isfinite(g1)
                  and math.isfinite(g2) and math.isfinite(f(x1, x2)))
            if t == kept[j]:
                if ok or t == 0:
                    out[r, j, 0], out[r, j, 1] = x1, x2
                j += 1
            if not ok:
                break
            if t < last:
                if noisy:
                    g1, g2 = g1 + E[e, t, 0], g2 + E[e, t, 1]
                d1, s1 = update(g1, s1, x1, t + 1, hp)
                d2, s2 = update(g2, s2, x2, t + 1, hp)
                x1, x2 = x1 + d1, x2 + d2


def _noise(offsets, runs: int) -> np.ndarray:
    """The loops' E: (1 or runs, steps, 2) float64 offsets σ ξ added to the gradient of
    step t + 1 at row t (one row for all runs, or one per run); (1, 0, 2) for none, which
    the loops read as "add nothing" (not even zero: the noise-free paths, bit for bit)."""
    if offsets is None:
        return np.zeros((1, 0, 2))
    E = np.ascontiguousarray(offsets, dtype=float)
    if E.ndim != 3 or E.shape[0] not in (1, runs) or E.shape[2] != 2:
        raise ValueError(f"offsets must be (1 or {runs}, steps, 2), got {E.shape}")
    return E


_compiled_loop = jit(_loop)
_compiled_points = jit(_points_loop)
# (loop, rule.init, rule.update, grad). Defined before is_warm: optviz.trajectory reads
# is_warm's presence as "imported far enough to ask" while a thread imports this module.
_warm: set[tuple] = set()


def is_warm(rule: rules.Rule, grad, loop: str = "advance") -> bool:
    """Whether `loop` ("advance" or "points") has compiled this rule and gradient in
    this process."""
    return (loop, rule.init, rule.update, grad) in _warm


def advance(rule: rules.Rule, grad, hps, starts: np.ndarray, n: int, bound: float,
            record_state: bool = True, offsets: np.ndarray | None = None):
    """Points, gradients and state history of runs that share `rule` and its flags.

    `hps`: one hyperparameter NamedTuple per run; `starts`: (2, runs); `offsets`: the
    gradient noise σ ξ, (1 or runs, n, 2), or None (`_noise`). G is ∇f, noise or not.
    Returns X, G (n+1, 2, runs) and one (n+1, 2, runs) array per state field (none
    without `record_state`).
    """
    runs = starts.shape[1]
    fields = len(rule.state._fields) if record_state else 0
    X = np.empty((n + 1, 2, runs))
    G = np.empty((n + 1, 2, runs))
    S = np.empty((n + 1 if record_state else 1, fields, 2, runs))
    _compiled_loop(jitted(rule.init), jitted(rule.update), jitted(grad),
                   hyper_maker(rule.hyper), hyper_rows(hps),
                   np.ascontiguousarray(starts, dtype=float), n, float(bound), X, G, S,
                   bool(record_state), _noise(offsets, runs))
    _warm.add(("advance", rule.init, rule.update, grad))
    return X, G, [S[:, k] for k in range(fields)]


# Below this many run-steps one thread does it all; above, the runs are shared out
# between threads (the loop releases the GIL): each run is independent, so the
# numbers are the same however they are shared.
THREAD_WORK = 100_000


def points(rule: rules.Rule, surface, H: np.ndarray, starts: np.ndarray,
           kept: np.ndarray, bound: float, threads: int | None = None,
           offsets: np.ndarray | None = None) -> np.ndarray:
    """`trajectory.run_points` on the compiled loop: (runs, len(kept), 2) float32.

    H: (runs, fields) from `hyper_rows`; starts: (runs, 2); kept: ascending steps;
    offsets: the gradient noise σ ξ, (1 or runs, kept[-1], 2), or None (`_noise`).
    """
    H = np.ascontiguousarray(H, dtype=float)
    starts = np.ascontiguousarray(starts, dtype=float)
    kept = np.ascontiguousarray(kept, dtype=np.int64)
    runs = len(starts)
    E = _noise(offsets, runs)
    out = np.full((runs, len(kept), 2), np.nan, np.float32)
    fns = (jitted(rule.init), jitted(rule.update), jitted(surface.grad), jitted(surface.f),
           hyper_maker(rule.hyper))
    if threads is None:
        threads = min(_cpus(), runs * (int(kept[-1]) + 1) // THREAD_WORK)
    if threads <= 1:
        _compiled_points(*fns, H, starts, kept, float(bound), out, E)
    else:
        cuts = np.linspace(0, runs, threads + 1).astype(int)
        # A run's own noise row goes with it; a shared one to every thread.
        share = (lambda a, b: E[a:b]) if len(E) > 1 else (lambda a, b: E)
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(lambda a, b: _compiled_points(*fns, H[a:b], starts[a:b], kept,
                                                        float(bound), out[a:b], share(a, b)),
                          cuts[:-1], cuts[1:]))
    _warm.add(("points", rule.init, rule.update, surface.grad))
    return out


def _cpus() -> int:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def warm(rule: rules.Rule, surface) -> None:
    """Compile both loops for `rule` on `surface` (a second or two), so that engine
    "auto" takes them from now on; `optviz.trajectory.compile_in_background` calls it
    off the request path."""
    hp = rule.hyperparams()
    advance(rule, surface.grad, [hp], np.zeros((2, 1)), 1, 1.0)
    points(rule, surface, hyper_rows([hp]), np.zeros((1, 2)), np.arange(2), 1.0, threads=1)
