"""The trainer's three engines: one linear-regression run's state, advanced batch by batch.

All three see the same initial θ = (w, b) and the same shuffled batches (fed by
`optviz.loop.drive`), so their curves agree to float32 rounding:

* `TensorEngine`: the optimizer's rule from `optviz.rules` on torch tensors, with the
  gradient in closed form (no autograd), on any device; θ (S, d + 1) trains S
  settings at once for `optviz.sweep`.
* `CompiledEngine`: the same rule compiled with numba (`optviz.train_kernels`), CPU,
  float64: no per-step interpreter cost, but ~2 s of compiling per rule, once per
  machine: numba caches the compiled code on disk, and a new process loads it in
  milliseconds (`is_ready`, ``python -m optviz warm``).
* `TorchEngine`: `torch.nn.Linear`, autograd and the matching `torch.optim` optimizer,
  the chapter's concise implementation and the reference for the other two.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import numpy as np
import torch

from optviz import rules, torch_bridge
from optviz.devices import synchronize


class Stop(Protocol):
    """What ends a run early: a `threading.Event`, or anything with `is_set()`."""

    def is_set(self) -> bool: ...


def stopped(stop: Stop | None) -> bool:
    return stop is not None and stop.is_set()


class Engine(Protocol):
    """One training run's state; `optviz.loop.drive` feeds it shuffled batches."""

    def epoch(self, perm: torch.Tensor) -> None: ...  # this epoch's order of the examples

    def advance(self, k0: int, k1: int, stop: Stop | None) -> int: ...  # batches done

    def log(self) -> Any: ...  # the whole-set loss now (a float, or one per setting)

    def sync(self) -> None: ...  # wait for the device, before reading the clock

    def weights(self) -> np.ndarray: ...  # θ now, float64 (d + 1,) (the first setting's)


class TensorEngine:
    """The scratch rule on torch tensors: θ (S, d + 1), S settings sharing the batches.

    Per step: r = θ X_Bᵀ − y_B (S, B) and ∇ = r X_B / B, two matmuls for all settings,
    then one rule call. Numeric hyperparameters may be floats or (S, 1) tensors.
    The logged loss uses the Gram form of L, exact and O(S d²) instead of O(S n d):
    L(θ) = (θᵀAθ − 2 cᵀθ + ‖y‖²/n) / 2 with A = XᵀX/n, c = Xᵀy/n (float64 where the
    device has it, so that the subtraction loses nothing that matters).
    """

    def __init__(self, rule: rules.Rule, hp: NamedTuple, X: torch.Tensor, y: torch.Tensor,
                 theta: torch.Tensor, batch_size: int):
        self.rule, self.hp, self.X, self.y, self.batch_size = rule, hp, X, y, batch_size
        self.theta = theta.clone()
        self.state = rule.init(self.theta, hp)
        self.t = 0
        wide = torch.float32 if X.device.type == "mps" else torch.float64
        X64, y64 = X.to(wide), y.to(wide)
        n = X.shape[0]
        self.A, self.c, self.yy = X64.T @ X64 / n, X64.T @ y64 / n, y64 @ y64 / n

    def epoch(self, perm):
        perm = perm.to(self.X.device)
        self.Xp, self.yp = self.X[perm], self.y[perm]

    @torch.no_grad()
    def advance(self, k0, k1, stop):
        B, theta = self.batch_size, self.theta
        for k in range(k0, k1):
            if stopped(stop):
                return k - k0
            Xb, yb = self.Xp[k * B:(k + 1) * B], self.yp[k * B:(k + 1) * B]
            r = torch.addmm(yb, theta, Xb.T, beta=-1)  # θ X_Bᵀ − y_B
            g = (r @ Xb).div_(Xb.shape[0])
            self.t += 1
            delta, self.state = self.rule.update(g, self.state, theta, self.t, self.hp)
            theta.add_(delta)
        return k1 - k0

    @torch.no_grad()
    def log(self):
        """L(θ) for each setting: a float64 (S,) tensor on the device."""
        th = self.theta.to(self.A.dtype)
        return (((th @ self.A) * th).sum(1) - 2 * (th @ self.c) + self.yy) / 2

    def sync(self):
        synchronize(self.X.device)

    def weights(self):
        return self.theta[0].cpu().double().numpy()


_compiled_rules: set = set()


def is_compiled(rule: rules.Rule) -> bool:
    """Whether `CompiledEngine` has already compiled (or loaded) `rule` in this process."""
    return rule.update in _compiled_rules


def is_ready(rule: rules.Rule) -> bool:
    """Whether `CompiledEngine` can start on `rule` without compiling: compiled in this
    process, or its kernels found in numba's disk cache (then loaded, in milliseconds;
    asking imports numba, ~0.45 s once per process, unless no cache file is there)."""
    if is_compiled(rule):
        return True
    if "numba" not in sys.modules and not _cache_files():
        return False  # nothing cached: spare the numba import
    from optviz import train_kernels

    if train_kernels.load_trainer(rule):
        _compiled_rules.add(rule.update)
        _loaded[rule.update] = DISK_CACHE  # what the next CompiledEngine reports
        return True
    return False


def _cache_files() -> bool:
    """Whether any of the trainer's kernels may be in numba's disk cache: a look, without
    numba, where its locators put them (NUMBA_CACHE_DIR/*/, else __pycache__ beside
    train_kernels.py, else ~/.cache/numba/*/); `is_ready` then asks numba itself."""
    pattern = "train_kernels.*train_steps-*.nbi"
    own = os.environ.get("NUMBA_CACHE_DIR")
    places = ([Path(own)] if own else [Path(__file__).parent / "__pycache__",
                                       Path.home() / ".cache" / "numba"])
    return any(any(place.glob(pattern)) or any(place.glob(f"*/{pattern}"))
               for place in places)


# How CompiledEngine got its kernels (its `source`).
IN_MEMORY, DISK_CACHE, COMPILED_NOW = "in memory", "disk cache", "compiled now"
_loaded: dict = {}  # rule.update -> DISK_CACHE, loaded by is_ready for an engine to come


class CompiledEngine:
    """The scratch rule compiled with numba on the CPU, float64, one θ (d + 1,).

    The stop event is seen between calls of `advance`: `optviz.loop.drive` calls it
    with at most MAX_CHUNK steps, since a numba call costs ~8 µs and one call per
    step would make an epoch five times slower. `source` says where its kernels came
    from (IN_MEMORY: this process had them; DISK_CACHE: numba's cache on disk;
    COMPILED_NOW: compiled, and written to that cache).
    """

    def __init__(self, rule: rules.Rule, hp: NamedTuple, X: np.ndarray, y: np.ndarray,
                 theta: np.ndarray, batch_size: int):
        from optviz import train_kernels  # imports numba: only when this engine is used

        if is_compiled(rule):
            self.source = _loaded.pop(rule.update, IN_MEMORY)
        else:
            self.source = DISK_CACHE if train_kernels.load_trainer(rule) else COMPILED_NOW
        kernels = train_kernels.trainer_kernels(rule)
        self._steps, self._loss = kernels.train_steps, kernels.mean_loss
        self.hp = train_kernels.float_hyperparams(hp)
        self.X, self.y = X.astype(np.float64), y.astype(np.float64)
        self.theta = theta.astype(np.float64)
        self.states = kernels.init_states(self.theta, self.hp)
        self.t, self.batch_size = 0, batch_size
        self._steps(self.X, self.y, 0, 0, batch_size, self.theta, self.states, 0,
                    self.hp)  # compiles now, before any clock starts
        self._loss(self.X, self.y, self.theta)
        _compiled_rules.add(rule.update)

    def epoch(self, perm):
        order = perm.numpy()
        self.Xp, self.yp = self.X[order], self.y[order]

    def advance(self, k0, k1, stop):
        self.t = self._steps(self.Xp, self.yp, k0, k1, self.batch_size, self.theta,
                             self.states, self.t, self.hp)
        return k1 - k0

    def log(self):
        return self._loss(self.X, self.y, self.theta)

    def sync(self):
        pass

    def weights(self):
        return self.theta.copy()


class TorchEngine:
    """`torch.nn.Linear` + autograd + `torch.optim`, on the same batches."""

    def __init__(self, name: str, hp: NamedTuple, X: torch.Tensor, y: torch.Tensor,
                 theta: torch.Tensor, batch_size: int):
        d = X.shape[1] - 1
        self.X, self.y, self.batch_size = X[:, :d].contiguous(), y, batch_size
        # skip_init: leave torch's global random state alone; θ0 is set just below.
        self.model = torch.nn.utils.skip_init(torch.nn.Linear, d, 1, device=X.device)
        with torch.no_grad():
            self.model.weight.copy_(theta[:d])
            self.model.bias.copy_(theta[d:])
        self.optimizer = torch_bridge.build(name, hp, self.model.parameters())

    def epoch(self, perm):
        perm = perm.to(self.X.device)
        self.Xp, self.yp = self.X[perm], self.y[perm]

    def advance(self, k0, k1, stop):
        B = self.batch_size
        with torch.enable_grad():
            for k in range(k0, k1):
                if stopped(stop):
                    return k - k0
                Xb, yb = self.Xp[k * B:(k + 1) * B], self.yp[k * B:(k + 1) * B]
                loss = ((self.model(Xb)[:, 0] - yb) ** 2 / 2).mean()
                self.optimizer.zero_grad()
                loss.backward()
                self.optimizer.step()
        return k1 - k0

    @torch.no_grad()
    def log(self):
        return float(((self.model(self.X)[:, 0] - self.y) ** 2).mean() / 2)

    def sync(self):
        synchronize(self.X.device)

    def weights(self):
        m = self.model
        return torch.cat([m.weight.detach()[0], m.bias.detach()]).cpu().double().numpy()
