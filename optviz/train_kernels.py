"""The trainer's compiled engine: linear regression's batch loop with a rule's own
`update` compiled in by numba (`optviz.compiled` teaches numba the `optviz.ops`
helpers), cached on disk so that a new process loads it in milliseconds.

`trainer_kernels(rule)` makes a rule's kernels (`init_states`, `train_steps`,
`mean_loss`); `load_trainer` loads them from numba's disk cache if they are there
(never compiling), `compile_trainer` compiles them into it (``python -m optviz warm``
does so for every optimizer). `optviz.engines.CompiledEngine` runs them.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import NamedTuple

import numba
import numpy as np
from numba.core.compiler_lock import global_compiler_lock
from numba.extending import register_jitable
from numba.typed import List  # the trainer's states

from optviz import compiled, ops, rules
from optviz.compiled import _lock, float_hyperparams

# Linear regression on float64 arrays: X (n, p) with its column of ones, θ (p,), one
# rule state per coordinate. The rules are elementwise: one scalar call per coordinate.
#
# These are cached on disk (numba's cache=True), so that a new process loads them in
# milliseconds instead of compiling for seconds. numba's cache key is the function's
# bytecode, its closure's contents (pickled), the argument types, the CPU and numba's
# version; its index is thrown away when this file changes. What it cannot key is a
# function passed as an argument (a dispatcher pickles differently in every process: a
# miss each time, and one more entry on disk) or a change in another file. Hence one
# closure per rule that calls the rule's plain `init`/`update` (made callable in numba
# by `register_jitable`; a module-level function pickles by its name) and holds
# SOURCE_KEY, a hash of rules.py, ops.py and compiled.py (its overloads of ops), so that
# an edited rule misses the cache. The 2D loops (`optviz.compiled`) take their functions
# as arguments and are not cached: a user's own function must not leave code on disk.
# Where the cache lives is numba's choice: NUMBA_CACHE_DIR if set, else __pycache__
# beside this file, else (not writable) ~/.cache/numba; `python -m optviz warm` fills it.


def _source_key() -> str:
    """A hash of the sources the trainer's kernels compile besides this file."""
    digest = hashlib.sha256()
    for module in (rules, ops, compiled):
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()[:16]


SOURCE_KEY = _source_key()
cached_jit = numba.njit(nogil=True, error_model="numpy", cache=True)
_jitable: set = set()


def _register(fn) -> None:
    """Make the plain function `fn` callable from numba code, once (under `_lock`)."""
    if fn not in _jitable:
        register_jitable(fn)
        _jitable.add(fn)


class Kernels(NamedTuple):
    """The trainer's compiled kernels for one rule (see `trainer_kernels`)."""

    init_states: object  # (θ, hp) -> a typed list of the coordinates' states
    train_steps: object  # (X, y, k0, k1, B, θ, states, t, hp) -> t, in place
    mean_loss: object  # (X, y, θ) -> L(θ)


def trainer_kernels(rule: rules.Rule) -> Kernels:
    """The trainer's kernels for `rule`, made once per process; each compiles (or loads
    from the disk cache) on its first call, or in `load_trainer`."""
    with _lock:
        return _trainer_kernels(rule.init, rule.update)


@cache
def _trainer_kernels(init, update) -> Kernels:
    _register(init)
    _register(update)
    key = SOURCE_KEY

    def init_states(theta, hp):
        """A typed list of `init`'s state for each coordinate of θ."""
        key  # noqa: B018 (in the closure, so in numba's cache key)
        states = List()
        for j in range(theta.shape[0]):
            states.append(init(theta[j], hp))
        return states

    def train_steps(X, y, k0, k1, B, theta, states, t, hp):
        """Steps on batches k0 .. k1 − 1 of B rows of (X, y), in place; returns the step
        count."""
        key  # noqa: B018
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

    return Kernels(cached_jit(init_states), cached_jit(train_steps), mean_loss)


@cached_jit
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


def _from_disk(dispatcher, args) -> bool:
    """Whether `dispatcher` has code for `args`, loading it from the disk cache if it is
    there; never compiles. numba's own `Dispatcher.compile` up to where it would compile
    (numba 0.68, pinned in requirements.txt; tests/test_disk_cache.py checks it)."""
    sig = tuple(dispatcher.typeof_pyval(a) for a in args)
    with global_compiler_lock:
        if sig in dispatcher.overloads:
            return True
        cres = dispatcher._cache.load_overload(sig, dispatcher.targetctx)
        if cres is None:
            return False
        dispatcher._cache_hits[sig] += 1
        dispatcher.targetctx.insert_user_function(cres.entry_point, cres.fndesc,
                                                  [cres.library])
        dispatcher.add_overload(cres)
        return True


def _sample_args(rule: rules.Rule):
    """Arguments of the types the trainer passes: (X, y, θ, hp), float64 and floats."""
    return np.zeros((1, 2)), np.zeros(1), np.zeros(2), float_hyperparams(rule.hyperparams())


def load_trainer(rule: rules.Rule) -> bool:
    """Whether the trainer's kernels for `rule` are ready in this process, after loading
    them from the disk cache if they are there (milliseconds); never compiles."""
    k = trainer_kernels(rule)
    X, y, theta, hp = _sample_args(rule)
    if not (_from_disk(k.init_states, (theta, hp)) and _from_disk(k.mean_loss, (X, y, theta))):
        return False
    states = k.init_states(theta, hp)
    return _from_disk(k.train_steps, (X, y, 0, 0, 1, theta, states, 0, hp))


def compile_trainer(rule: rules.Rule) -> None:
    """Compile the trainer's kernels for `rule` (seconds), writing them to the disk cache;
    loads them instead where they are cached."""
    k = trainer_kernels(rule)
    X, y, theta, hp = _sample_args(rule)
    k.train_steps(X, y, 0, 0, 1, theta, k.init_states(theta, hp), 0, hp)
    k.mean_loss(X, y, theta)


def cache_dir() -> str:
    """The folder numba keeps this module's cached kernels in (made when first written)."""
    return mean_loss.stats.cache_path
