"""Gradient noise: the minibatch gradient the chapter's Adam is built for, on a 2D surface.

The optimizer is given g̃_t = ∇f(x_t) + σ ξ_t, ξ_t ~ N(0, I), instead of ∇f(x_t): an
unbiased gradient whose noise has standard deviation σ per coordinate, as a minibatch
gradient has around the full-batch one. σ is in the gradient's own units, so the same σ
is a lot on the D2L quadratic (|∇f| ~ 5 over its window) and little on Rosenbrock
(|∇f| ~ 500).

Common random numbers: one request draws ξ once, from its seed, and every run and every
preview of it (`optviz.families`) uses the same ξ_t at step t. Adam and SGD then meet
the same noise, and a preview at the run's own slider value is the run. ξ is drawn as

    np.random.default_rng(seed).standard_normal((steps, 2))   # row t: ξ for step t + 1

whose rows come in order: fewer steps of a seed are the first rows of more, so a
20-step run is the first 20 steps of the 300-step run of the same seed. σ = 0 adds
nothing at all (the engines do not add σ ξ = 0, which would turn -0.0 into 0.0): the
paths are the noise-free engine's, bit for bit.

An ensemble (`trajectory.ensemble`) reruns one run with other noise, to show the spread
around it: member k's seed is `ensemble_seeds(seed, count)[k]`, a 32-bit number drawn
from `np.random.SeedSequence([seed, k])`: independent of the run's own ξ and of `count`
(ten members are the first ten of twenty), and a valid seed itself, so any member can
be rerun alone (`--seed`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np

# σ: several times the median |∇f| over the window of the steepest built-in surface
# (Beale's ~1.3e3; Rosenbrock's ~470, the D2L quadratic's ~5). Beyond it every path
# on every surface is noise alone.
MAX_NOISE = 1e4
# Seeds are 32-bit, as the ensemble's are, and exact in a JavaScript number (a link).
MAX_SEED = 2**32 - 1
ENSEMBLE_SIZE = 10  # members of an ensemble unless asked otherwise


def check(noise: float, seed: int | Sequence[int]) -> None:
    """ValueError unless 0 ≤ σ ≤ MAX_NOISE (finite) and each seed is a whole number in
    0..MAX_SEED: the engine's own check (`optviz.settings` words it for a user)."""
    if not (isinstance(noise, numbers.Real) and math.isfinite(noise)
            and 0 <= noise <= MAX_NOISE):
        raise ValueError(f"noise must be a finite number from 0 to {MAX_NOISE:g}, "
                         f"got {noise!r}")
    for s in np.atleast_1d(np.asarray(seed, dtype=object)):
        if isinstance(s, bool) or not isinstance(s, numbers.Integral) \
                or not 0 <= s <= MAX_SEED:
            raise ValueError(f"seed must be a whole number from 0 to {MAX_SEED}, got {s!r}")


def draws(seed: int, steps: int) -> np.ndarray:
    """ξ of `seed`: (steps, 2) float64 standard normal; row t perturbs step t + 1's
    gradient, g̃_t = ∇f(x_t) + σ ξ_t."""
    return np.random.default_rng(int(seed)).standard_normal((int(steps), 2))


def offsets(noise: float, seeds: Sequence[int], steps: int) -> np.ndarray | None:
    """σ ξ for each seed, (len(seeds), steps, 2) float64: what the engines add to the
    gradient; None where σ = 0 (nothing is added)."""
    if noise == 0:
        return None
    return np.stack([noise * draws(s, steps) for s in seeds]) if len(seeds) else \
        np.zeros((0, int(steps), 2))


def ensemble_seeds(seed: int, count: int = ENSEMBLE_SIZE) -> list[int]:
    """The seeds of an ensemble's `count` members around the run of `seed`: member k's
    is the first 32-bit word of `np.random.SeedSequence([seed, k])` (see the module)."""
    return [int(np.random.SeedSequence([int(seed), k]).generate_state(1, np.uint32)[0])
            for k in range(int(count))]
