"""The trajectory engine: the chapter's `train_2d`, generalised.

Runs any number of optimizers, settings and start points on one 2D surface in one
call. Runs that share an update rule and its flags advance together as one NumPy
array (numeric hyperparameters become one value per run), and the surface's
gradient is evaluated once per step for all runs at once.

Every step is recorded: the point, f, the gradient and the optimizer's state (the state
can be left out with `record_state=False`, for previews that draw only the points: it is
most of the memory a long batch writes). A run
that diverges (a non-finite value, or a coordinate beyond `bound`) is cut at its last
good point and reported with the step at which it diverged; nothing is raised.

`run_points` is the batched form for previews: many runs of one optimizer, their points
alone at chosen steps, as one (runs, kept, 2) float32 array.

Gradient noise (`optviz.noise`): with `noise` = σ > 0 the optimizers are given
g̃_t = ∇f(x_t) + σ ξ_t, ξ drawn once from `seed` and shared by every run of the call;
`ensemble` reruns one run with other seeds, for the spread around it.

Engine "auto" takes the compiled loop (`optviz.compiled`) where it is already compiled
in this process; where it is not, it runs the NumPy loop and starts compiling it in a
background thread (`compile_in_background`), once per rule and surface, so that a
long-lived server gets fast after its first requests. OPTVIZ_BACKGROUND_COMPILE=0 turns
that off (the tests do, to stay deterministic).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from optviz import noise as noise_model
from optviz import rules
from optviz.surfaces import CUSTOM, Surface

DEFAULT_BOUND = 1e6
ENGINES = ("auto", "numpy", "compiled")
# Whether engine "auto" compiles in the background what it lacks (see the module's doc).
BACKGROUND_COMPILE = os.environ.get("OPTVIZ_BACKGROUND_COMPILE", "1") != "0"


@dataclass(frozen=True)
class Run:
    """One trajectory to compute: an optimizer, its hyperparameters and a start point."""

    optimizer: str  # a name in optviz.rules.RULES
    hyper: NamedTuple  # from RULES[optimizer].hyperparams(...)
    start: tuple[float, float]
    label: str = ""

    @classmethod
    def of(cls, optimizer: str, start=(-5.0, -2.0), label: str = "", **hyper) -> Run:
        return cls(optimizer, rules.get_rule(optimizer).hyperparams(**hyper),
                   (float(start[0]), float(start[1])), label or optimizer)


@dataclass
class Trajectory:
    """A computed run. Row i of each array belongs to point x_i (x_0 is the start).

    `grads[i]` is the true gradient ∇f(x_i), noise or not. `noisy_grads[i]` is what the
    optimizer was given at x_i for step i + 1, g̃_i = ∇f(x_i) + σ ξ_i (last row NaN: no
    step is taken from the last point); None without noise, where it was `grads`.
    `state[name][i]` is the optimizer state after step i (row 0: the initial state);
    `explained` adds a rule's derived quantities, e.g. Adam's m̂, v̂ and step size
    η/(√v̂ + ε) (row 0 is NaN: nothing is derived before the first step).
    """

    run: Run
    points: np.ndarray  # (k+1, 2)
    values: np.ndarray  # (k+1,)
    grads: np.ndarray  # (k+1, 2), the gradient at each point
    state: dict[str, np.ndarray]  # each (k+1, 2)
    explained: dict[str, np.ndarray] = field(default_factory=dict)
    diverged_at: int | None = None  # the step that produced a non-finite or far-away point
    noisy_grads: np.ndarray | None = None  # (k+1, 2), g̃ at each point; None without noise

    @property
    def steps(self) -> int:
        return len(self.points) - 1

    @property
    def deltas(self) -> np.ndarray:
        """Δx of each step, row 0 zero."""
        return np.diff(self.points, axis=0, prepend=self.points[:1])


def _flags(hp: NamedTuple) -> tuple:
    return tuple(v for f, v in zip(hp._fields, hp, strict=True)
                 if isinstance(hp._field_defaults[f], bool))


def _stack_hyper(hps: Sequence[NamedTuple]) -> NamedTuple:
    """One NamedTuple for a group: a (runs,) array per number, flags as they are."""
    first = hps[0]
    return type(first)(*(v if isinstance(first._field_defaults[f], bool)
                         else np.array([hp[i] for hp in hps], dtype=float)
                         for i, (f, v) in enumerate(zip(first._fields, first, strict=True))))


def run(surface: Surface, runs: Sequence[Run], steps: int, bound: float = DEFAULT_BOUND,
        engine: str = "auto", record_state: bool = True, *, noise: float = 0.0,
        seed: int = 0) -> list[Trajectory]:
    """Compute `steps` steps of every run on `surface`; results in the order of `runs`.

    noise: σ ≥ 0; each step's gradient is then g̃_t = ∇f(x_t) + σ ξ_t, with
        ξ = `optviz.noise.draws(seed, steps)` the same for every run (common random
        numbers). σ = 0 adds nothing: the noise-free paths, bit for bit.

    record_state=False leaves each Trajectory's `state` and `explained` empty: the
    points, f and gradients only: 2-3x faster on long batches (605 Adam runs x 1,000
    steps: ~250 -> ~80 ms), with two fifths of the memory.

    engine: "numpy" advances each group of runs as arrays, step by step in Python;
    "compiled" runs the same rules in a numba-compiled loop (`optviz.compiled`): much
    faster per step, but the first call per rule and surface compiles for ~1 s;
    "auto" takes the compiled loop where it is already compiled in this process.
    """
    n = int(steps)
    if n < 0:
        raise ValueError("steps must be >= 0")
    _check_engine(engine)
    noise_model.check(noise, seed)
    E = noise_model.offsets(noise, [seed], n)  # (1, n, 2) σ ξ, or None
    total = len(runs)
    groups: dict[tuple, list[int]] = {}
    for i, r in enumerate(runs):
        groups.setdefault((rules.get_rule(r.optimizer).update, _flags(r.hyper)), []).append(i)
    # Runs along the last axis, grouped so that each group is a slice, not a gather.
    order = [i for members in groups.values() for i in members]
    X = np.full((n + 1, 2, total), np.nan)
    G = np.full((n + 1, 2, total), np.nan)
    X[0] = np.array([runs[i].start for i in order], dtype=float).T

    plans = []
    for members in groups.values():
        first = order.index(members[0])
        rule = rules.get_rule(runs[members[0]].optimizer)
        plans.append((rule, [runs[i].hyper for i in members], slice(first, first + len(members))))

    if engine == "compiled" or (engine == "auto" and _auto_compiled(plans, surface, "advance")):
        from optviz import compiled

        histories = []
        for rule, hps, cols in plans:
            X[:, :, cols], G[:, :, cols], history = compiled.advance(
                rule, surface.grad, hps, X[0][:, cols], n, bound, record_state, E)
            histories.append(history)
        last = n
    else:
        histories, last = _advance_numpy(surface, plans, X, G, n, bound, record_state, E)

    with np.errstate(all="ignore"):
        X, G = X[: last + 1], G[: last + 1]
        F = surface.f(X[:, 0], X[:, 1])
        ok = (np.abs(X) <= bound).all(axis=1) & np.isfinite(F) & np.isfinite(G).all(axis=1)
        if E is not None:  # the same sums as the loops': what each step was given
            used = np.full((n + 1, 2), np.nan)
            used[:n] = E[0]
            noisy = G + used[: last + 1, :, None]

    results: list[Trajectory | None] = [None] * total
    for (rule, hps, cols), history in zip(plans, histories, strict=True):
        history = [h[: last + 1] for h in history]
        explained = _explain(rule, history, _stack_hyper(hps), last) if history else {}
        for j, col in enumerate(range(cols.start, cols.stop)):
            bad = np.flatnonzero(~ok[:, col])
            keep = slice(0, max(int(bad[0]) - 1, 0) + 1 if bad.size else last + 1)
            results[order[col]] = Trajectory(
                run=runs[order[col]],
                points=X[keep, :, col].copy(),
                values=F[keep, col].copy(),
                grads=G[keep, :, col].copy(),
                state={k: h[keep, :, j].copy()
                       for k, h in zip(rule.state._fields if history else (), history,
                                       strict=True)},
                explained={k: a[keep, :, j].copy() for k, a in explained.items()},
                diverged_at=int(bad[0]) if bad.size else None,
                noisy_grads=None if E is None else noisy[keep, :, col].copy(),
            )
    return results  # type: ignore[return-value]


def run_points(surface: Surface, optimizer: str, hyper: NamedTuple, starts, steps: int,
               kept=None, bound: float = DEFAULT_BOUND, engine: str = "auto", *,
               noise: float = 0.0, seed: int | Sequence[int] = 0) -> np.ndarray:
    """The points of many runs of one optimizer at the steps `kept`, in one array: what
    `run(...)[i].points[kept]` would give, without a Trajectory per run.

    hyper: the optimizer's hyperparameters; each number may be a (runs,) array, one
        value per run (flags are shared).
    starts: (runs, 2).
    kept: ascending steps in 0..steps (default: every step).
    Returns (runs, len(kept), 2) float32. A run that diverged is NaN from the step where
    `run` cuts it (its `diverged_at`: out of `bound`, or f or the gradient not finite),
    its start always kept. Engines as `run`'s; the compiled one stops each run at its
    cut and at the last kept step, and shares long batches between the CPUs.
    noise, seed: as `run`'s, every run given the same ξ; or `seed` one per run (a
        sequence), each run its own ξ (an ensemble).
    """
    _check_engine(engine)
    noise_model.check(noise, seed)
    n = int(steps)
    kept = np.arange(n + 1) if kept is None else np.asarray(kept)
    if n < 0 or kept.ndim != 1 or not len(kept) or kept.dtype.kind not in "iu" \
            or kept[0] < 0 or kept[-1] > n or (np.diff(kept) <= 0).any():
        raise ValueError("kept must be ascending steps in 0..steps, steps >= 0")
    starts = np.asarray(starts, dtype=float).reshape(-1, 2)
    seeds = np.atleast_1d(seed).tolist()
    if np.ndim(seed) and len(seeds) != len(starts):
        raise ValueError(f"seed must be one number or one per run ({len(starts)}), "
                         f"got {len(seeds)}")
    # Drawn for all the steps, then cut: ξ_t is the same however many are kept.
    E = noise_model.offsets(noise, seeds, n)
    E = None if E is None else np.ascontiguousarray(E[:, : kept[-1]])
    rule = rules.get_rule(optimizer)
    hp = type(hyper)(*(v if isinstance(hyper._field_defaults[f], bool)
                       else np.array(np.broadcast_to(np.asarray(v, float), len(starts)))
                       for f, v in zip(hyper._fields, hyper, strict=True)))
    if engine == "compiled" or (engine == "auto" and _auto_compiled([(rule, None, None)],
                                                                    surface, "points")):
        from optviz import compiled

        return compiled.points(rule, surface, compiled.hyper_rows(hp, len(starts)), starts,
                               kept, bound, offsets=E)
    return _points_numpy(surface, rule, hp, starts, kept, bound, E)


def ensemble(surface: Surface, run: Run, steps: int, noise: float, seed: int,
             count: int = noise_model.ENSEMBLE_SIZE, kept=None, bound: float = DEFAULT_BOUND,
             engine: str = "auto") -> np.ndarray:
    """`count` more runs of `run` with σ = `noise`, each with its own ξ, seeded by
    `optviz.noise.ensemble_seeds(seed, count)`: the spread of the run of `seed` under
    the noise. One `run_points` call: (count, len(kept), 2) float32, NaN after a cut."""
    if not (isinstance(count, int | np.integer) and count >= 0):
        raise ValueError(f"count must be a whole number >= 0, got {count!r}")
    noise_model.check(noise, seed)
    starts = np.tile(np.asarray(run.start, dtype=float), (int(count), 1))
    return run_points(surface, run.optimizer, run.hyper, starts, steps, kept, bound, engine,
                      noise=noise, seed=noise_model.ensemble_seeds(seed, count))


def _points_numpy(surface, rule, hp, starts, kept, bound, E=None) -> np.ndarray:
    """`run_points` on the NumPy loop: all runs as arrays, as `_advance_numpy`. E: the
    gradient offsets σ ξ, (1 or runs, kept[-1], 2), or None."""
    runs, last = len(starts), int(kept[-1])
    out = np.full((len(kept), 2, runs), np.nan, np.float32)
    x = np.ascontiguousarray(starts.T)
    alive = np.ones(runs, bool)  # every step so far good
    state, j = rule.init(x, hp), 0
    with np.errstate(all="ignore"):
        for t in range(last + 1):
            g = np.empty((2, runs))
            g[0], g[1] = surface.grad(x[0], x[1])
            alive &= ((np.abs(x) <= bound).all(axis=0) & np.isfinite(g).all(axis=0)
                      & np.isfinite(surface.f(x[0], x[1])))
            if t == kept[j]:
                out[j] = x if t == 0 else np.where(alive, x, np.nan)
                j += 1
            if t == last or not alive.any():
                break
            if E is not None:
                g = g + E[:, t].T
            delta, state = rule.update(g, state, x, t + 1, hp)
            x = x + delta
    return np.ascontiguousarray(out.transpose(2, 0, 1))


def _advance_numpy(surface, plans, X, G, n, bound, record_state=True, E=None):
    """Fill X and G step by step; one rule call per group and step. Returns histories
    (one empty list per group without `record_state`). E: σ ξ, (1, n, 2), or None; G
    keeps ∇f, the rules are given G + E."""
    states, histories = [], []
    for rule, hps, cols in plans:
        hp = _stack_hyper(hps)
        state = rule.init(X[0][:, cols], hp)
        history = [np.empty((n + 1, 2, cols.stop - cols.start))
                   for _ in (state if record_state else ())]
        for k, h in enumerate(history):  # none without record_state
            h[0] = state[k]
        states.append(state)
        histories.append((rule, hp, cols, history))
    last = n
    with np.errstate(all="ignore"):
        for t in range(n):
            x = X[t]
            G[t, 0], G[t, 1] = surface.grad(x[0], x[1])
            g = G[t] if E is None else G[t] + E[0, t][:, None]
            for k, (rule, hp, cols, history) in enumerate(histories):
                delta, states[k] = rule.update(g[:, cols], states[k], x[:, cols], t + 1, hp)
                np.add(x[:, cols], delta, out=X[t + 1][:, cols])
                for i, h in enumerate(history):
                    h[t + 1] = states[k][i]
            # Stop early once every run has gone; checked now and then to stay cheap.
            if t % 32 == 31 and not (np.abs(X[t + 1]) <= bound).any():
                last = t + 1
                break
        G[last, 0], G[last, 1] = surface.grad(X[last, 0], X[last, 1])
    return [h for *_, h in histories], last


def _check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose auto, numpy or compiled")


def _compiled_is_warm(plans, surface, loop: str = "advance") -> bool:
    # optviz.compiled may be half imported, by a background compile: is_warm is then
    # not there yet, and nothing is warm.
    is_warm = getattr(sys.modules.get("optviz.compiled"), "is_warm", None)
    return is_warm is not None and all(is_warm(rule, surface.grad, loop)
                                       for rule, _, _ in plans)


def _auto_compiled(plans, surface: Surface, loop: str) -> bool:
    """Whether "auto" takes the compiled `loop` for the rules of `plans`: only where it is
    compiled already. Where it is not, it is compiled in the background
    (BACKGROUND_COMPILE) for next time."""
    if _compiled_is_warm(plans, surface, loop):
        return True
    if BACKGROUND_COMPILE:
        for rule, _, _ in plans:
            compile_in_background(rule, surface)
    return False


_background: dict[tuple, threading.Thread] = {}
_background_lock = threading.Lock()


def compile_in_background(rule: rules.Rule, surface: Surface) -> threading.Thread | None:
    """Compile the compiled engine's loops for `rule` on `surface` in a daemon thread,
    once per process; returns that thread (join it to wait), or None for a surface made
    at run time: the rotated quadratic (its f and gradient are closures made anew for each
    condition number) or a user's own function (`optviz.custom_surface`: there may be any
    number of them), each of which would compile anew and stay compiled for good; engine
    "compiled" still compiles them when asked. Importing numba and compiling take
    one to three seconds of CPU, off the caller's path (though the thread holds the GIL
    much of that time); until it is done "auto" keeps to the NumPy loop. The two loops
    agree step by step to rounding (~1e-12 relative), which chaotic runs (large steps on
    Rosenbrock or Rastrigin) can grow to visible differences over hundreds of steps."""
    if surface.name == CUSTOM or any(
            getattr(fn, "__closure__", None) is not None for fn in (surface.grad, surface.f)):
        return None
    key = (rule.init, rule.update, surface.grad)
    with _background_lock:
        if key not in _background:
            _background[key] = threading.Thread(
                target=_compile, args=(rule, surface), daemon=True,
                name=f"optviz-compile-{rule.name}-{surface.name}")
            _background[key].start()
        return _background[key]


def _compile(rule: rules.Rule, surface: Surface) -> None:
    from optviz import compiled  # imports numba: seconds, so only here and off the request

    compiled.warm(rule, surface)


def _explain(rule: rules.Rule, history, hp, last: int) -> dict[str, np.ndarray]:
    """A rule's derived quantities over a whole run (Adam family: m̂, v̂, step size)."""
    if rule.update is not rules.adam_update:
        return {}
    t = np.arange(last + 1, dtype=float)[:, None, None]
    with np.errstate(all="ignore"):
        m_hat, v_hat, step_size = rules.adam_terms(rule.state(*history), t, hp)
    explained = {"m_hat": m_hat, "v_hat": v_hat, "step_size": step_size}
    for a in explained.values():
        a[0] = np.nan  # nothing is derived before the first step
    return explained
