"""Linear regression trained as in the chapter's `train_ch11`, without its overhead.

The model is ŷ = Xw + b. With a column of ones appended to X, θ = (w, b) is one vector
of d + 1 numbers, and for a minibatch (X_B, y_B) of B examples

    loss  ℓ(θ) = (1/B) Σ_i (x_iᵀθ − y_i)² / 2        (the chapter's squared_loss, mean)
    grad  ∇ℓ(θ) = X_Bᵀ r / B,   r = X_B θ − y_B.

The logged loss is the same mean over the whole set, L(θ) = ‖Xθ − y‖² / (2n), once
before training (the initial loss) and then every `log_every` examples (the chapter
logs every 200 with `evaluate_loss`). w starts as N(0, 0.01²) draws and b as 0.

Two implementations see the same initial weights and the same batches (one seeded
permutation per epoch, sliced into batches of B), so their curves agree to float32
rounding:

* "scratch": the optimizer's rule from `optviz.rules`, the very code of the 2D engine,
  applied to θ with the gradient above in closed form: no autograd, no DataLoader,
  data moved to the device once. Two engines run it. "tensor": torch tensors on any
  device, θ of shape (S, d + 1) so that `optviz.sweep` trains S settings at once.
  "compiled": on the CPU, numba compiles the rule's own `update` (as `optviz.compiled`
  does for the 2D engine) into the batch loop, in float64. That removes the ~20 torch
  calls per step that make up nearly all of the tensor engine's time on a problem
  this small (~60 µs a step against well under 1 µs), but compiling takes ~2 s per
  rule, once per process: engine "auto" takes it where the rule is compiled already
  (a server calls `warm_up()` at start-up) or the run is long, else the tensor engine.
* "torch": `torch.nn.Linear`, autograd and the matching `torch.optim` optimizer, as
  the chapter's concise implementation; the reference the scratch results are
  checked against.

    trainer = Trainer(optviz.data.load_airfoil(), impl="scratch")
    for p in trainer.run():              # Progress at every log point
        print(p.examples, p.loss)
    trainer.final_loss, trainer.sec_per_epoch
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import numpy as np
import torch

from optviz import rules, settings, torch_bridge
from optviz.defaults import DEFAULTS
from optviz.validate import SettingsError, choice, env_int, show, whole

IMPLS = ("scratch", "torch")
DEVICES = ("auto", "cpu", "cuda", "mps")
ENGINES = ("auto", "compiled", "tensor")

DEFAULT_OPTIMIZER = "adam"
DEFAULT_BATCH_SIZE = 10
DEFAULT_EPOCHS = 2
DEFAULT_LOG_EVERY = 100
INIT_STD = 0.01  # w ~ N(0, 0.01²), as train_ch11
MAX_EPOCHS = max(env_int("OPTVIZ_MAX_EPOCHS", 50), DEFAULT_EPOCHS)
DIVERGED_LOSS = 1e6  # a logged loss above this (or not finite) marks a run as diverged

# "auto" compiles only when it pays: when this rule is compiled already in this
# process, or for a run so long that the tensor engine (~60 µs a step on a CPU core)
# would take longer than compiling (~2-3 s per rule, once per process).
AUTO_COMPILE_STEPS = 50_000
# Compiled steps between two looks at the stop event: ~0.3 ms of the airfoil's steps.
# A numba call costs ~8 µs, so one call per step would make an epoch five times slower.
MAX_CHUNK = 1000


# ------------------------------------------------------------------- devices


_threads_lock = threading.Lock()
_threads_set = False


def limit_torch_threads() -> int:
    """Bound torch's intra-op threads, once per process; returns the number.

    OPTVIZ_TORCH_THREADS, default 1. The server's cores are shared between users' jobs
    (see `optviz.jobs`), and torch would otherwise start one thread per core for each of
    them; on matrices of a few thousand numbers threads only add synchronisation.
    """
    global _threads_set
    with _threads_lock:
        if not _threads_set:
            torch.set_num_threads(env_int("OPTVIZ_TORCH_THREADS", 1))
            _threads_set = True
        return torch.get_num_threads()


def available_devices() -> dict[str, str | None]:
    """For each device, None if it can be used here, else why not (one line)."""
    if not torch.backends.cuda.is_built():
        cuda = "torch was built without CUDA"
    elif not torch.cuda.is_available():
        cuda = "no CUDA GPU on this server"
    else:
        cuda = None
    if not torch.backends.mps.is_built():
        mps = "torch was built without MPS"
    elif not torch.backends.mps.is_available():
        mps = "no Apple GPU (MPS) on this server"
    else:
        mps = None
    return {"cpu": None, "cuda": cuda, "mps": mps}


def resolve_device(name: Any) -> torch.device:
    """The device `name` asks for ("auto": cuda, else mps, else cpu), or SettingsError."""
    key = name.strip().lower() if isinstance(name, str) else None
    if key not in DEVICES:
        raise SettingsError(
            f"Unknown device {show(name)}; choose one of: {', '.join(DEVICES)}")
    reasons = available_devices()
    if key == "auto":
        key = next(d for d in ("cuda", "mps", "cpu") if reasons[d] is None)
    if reasons[key] is not None:
        raise SettingsError(f"Device {key} cannot be used: {reasons[key]}")
    return torch.device(key)


# ------------------------------------------------------------------ settings


def hyperparams(optimizer: str, hyper: Mapping[str, Any] | None = None) -> NamedTuple:
    """The rule's hyperparameters: torch's defaults, the chapter's for the airfoil data
    (`optviz.defaults`), then `hyper` (validated)."""
    chosen = settings.OptimizerSettings(optimizer, hyper or {})  # raises SettingsError
    return chosen.rule.hyperparams(**{**DEFAULTS[chosen.name].trainer, **chosen.hyper})


def _design(dataset) -> tuple[np.ndarray, np.ndarray]:
    """X with a column of ones (n, d + 1) and y (n,), float32, from a Dataset."""
    features = np.asarray(dataset.features, dtype=np.float32)
    labels = np.asarray(dataset.labels, dtype=np.float32)
    if features.ndim != 2 or labels.shape != features.shape[:1] or features.shape[0] == 0:
        raise SettingsError(f"Data must be features (n, d) and labels (n,) with n ≥ 1, got "
                            f"shapes {features.shape} and {labels.shape}")
    if not (np.isfinite(features).all() and np.isfinite(labels).all()):
        raise SettingsError("Data must hold finite numbers only")
    ones = np.ones((features.shape[0], 1), dtype=np.float32)
    return np.hstack([features, ones]), labels


def _initial_theta(gen: torch.Generator, d: int) -> torch.Tensor:
    """θ0 = (w, b): w ~ N(0, INIT_STD²) from `gen` (before any permutation), b = 0."""
    w = torch.normal(0.0, INIT_STD, size=(d,), generator=gen)
    return torch.cat([w, torch.zeros(1)])


# ------------------------------------------------------------------- engines


class _Stop(Protocol):
    def is_set(self) -> bool: ...


class Engine(Protocol):
    """One training run's state; `_drive` feeds it shuffled batches."""

    def epoch(self, perm: torch.Tensor) -> None: ...  # this epoch's order of the examples

    def advance(self, k0: int, k1: int, stop: _Stop | None) -> int: ...  # batches done

    def log(self) -> Any: ...  # the whole-set loss now (a float, or one per setting)

    def sync(self) -> None: ...  # wait for the device, before reading the clock


def _stopped(stop: _Stop | None) -> bool:
    return stop is not None and stop.is_set()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


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
            if _stopped(stop):
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
        _sync(self.X.device)


_compiled_rules: set[tuple] = set()


def is_compiled(rule: rules.Rule) -> bool:
    """Whether the compiled engine has already compiled `rule` in this process."""
    return rule.update in _compiled_rules


class CompiledEngine:
    """The scratch rule compiled with numba on the CPU, float64, one θ (d + 1,)."""

    def __init__(self, rule: rules.Rule, hp: NamedTuple, X: np.ndarray, y: np.ndarray,
                 theta: np.ndarray, batch_size: int):
        from optviz import compiled  # imports numba: only when this engine is used

        self._steps, self._loss = compiled.train_steps, compiled.mean_loss
        self.hp = compiled.float_hyperparams(hp)
        self.update = compiled.jitted(rule.update)
        self.X, self.y = X.astype(np.float64), y.astype(np.float64)
        self.theta = theta.astype(np.float64)
        self.states = compiled.init_states(compiled.jitted(rule.init), self.theta, self.hp)
        self.t, self.batch_size = 0, batch_size
        self._steps(self.update, self.X, self.y, 0, 0, batch_size, self.theta, self.states,
                    0, self.hp)  # compiles now, before any clock starts
        self._loss(self.X, self.y, self.theta)
        _compiled_rules.add(rule.update)

    def epoch(self, perm):
        order = perm.numpy()
        self.Xp, self.yp = self.X[order], self.y[order]

    def advance(self, k0, k1, stop):
        # The stop event is seen between calls: _drive calls with at most MAX_CHUNK steps.
        self.t = self._steps(self.update, self.Xp, self.yp, k0, k1, self.batch_size,
                             self.theta, self.states, self.t, self.hp)
        return k1 - k0

    def log(self):
        return self._loss(self.X, self.y, self.theta)

    def sync(self):
        pass


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
                if _stopped(stop):
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
        _sync(self.X.device)


# --------------------------------------------------------------------- loop


@dataclass(frozen=True)
class Progress:
    """One log point of a training run."""

    examples: int  # examples seen so far: the x position of this value
    epoch: float  # examples / n, the x axis of the chapter's plots
    loss: float  # L(θ), the mean loss over the whole set
    elapsed: float  # seconds of training so far (time spent by the consumer excluded)


class _Clock:
    """Seconds spent inside the training generator, not while it waits at a yield."""

    def __init__(self):
        self.total, self._since = 0.0, time.perf_counter()

    def read(self) -> float:
        return self.total + time.perf_counter() - self._since

    def pause(self) -> float:
        self.total = self.read()
        return self.total

    def resume(self) -> None:
        self._since = time.perf_counter()


def drive(engine: Engine, *, n: int, batch_size: int, epochs: int, log_every: int,
          gen: torch.Generator, stop: _Stop | None, sec_per_epoch: list[float],
          chunk: int = MAX_CHUNK) -> Iterator[tuple[int, float, Any]]:
    """Train `engine`; yield (examples, elapsed, engine.log()) at each log point.

    The first log point is at 0 examples, before any step. Then one is taken after the
    step at which the example count reaches the next multiple of `log_every`, and after
    the last step if that was not one already (also when stopped). Each epoch shuffles
    with one `torch.randperm(n, generator=gen)` and takes batches of `batch_size` in
    that order (the last one smaller if n is not a multiple). `stop` is looked at
    before every call of `engine.advance` (at most `chunk` steps; the tensor engines
    also look before each of their steps). Appends each finished epoch's seconds to
    `sec_per_epoch`; returns True if stopped.
    """
    examples, logged = 0, 0
    yield 0, 0.0, engine.log()
    clock = _Clock()  # training time starts after the initial loss
    batches = math.ceil(n / batch_size)
    for _ in range(epochs):
        start, base, k = clock.read(), examples, 0
        engine.epoch(torch.randperm(n, generator=gen))
        while k < batches:
            if _stopped(stop):
                break
            target = (examples // log_every + 1) * log_every  # the next log point
            k_log = math.ceil((target - base) / batch_size) - 1  # the batch that reaches it
            k1 = min(k_log + 1, k + chunk, batches)
            k += engine.advance(k, k1, stop)
            examples = base + min(k * batch_size, n)
            if k < k1:  # stopped inside
                break
            if examples >= target:
                logged = examples
                value = engine.log()  # timed: logging is part of training's cost
                yield examples, clock.pause(), value
                clock.resume()
        if k < batches:
            break
        engine.sync()
        sec_per_epoch.append(clock.read() - start)
    if logged != examples:
        value = engine.log()
        yield examples, clock.pause(), value
    return examples < epochs * n


class Trainer:
    """One training run, validated on construction; `run()` streams it.

    Arguments: `dataset` (an `optviz.data.Dataset`), `impl` "scratch" or "torch",
    `optimizer` (a name in `optviz.rules.RULES`), `hyper` (overrides of
    the trainer defaults in `optviz.defaults`), `batch_size` 1..n, `epochs`
    1..MAX_EPOCHS, `log_every` ≥ 1 examples, `seed`,
    `device` "auto" | "cpu" | "cuda" | "mps", `engine` of the scratch implementation
    ("auto": compiled on the CPU if already compiled or the run is long, else tensor),
    `stop` (a `threading.Event`: training ends at the next step once it is set; the
    compiled engine looks between its compiled chunks, which never pass a log point and
    hold at most MAX_CHUNK steps).

    While and after `run()`: `examples`, `losses` (the log points, the first one the
    initial loss), `sec_per_epoch` (finished epochs), `final_loss`, `weights`, `bias`,
    `stopped`, `engine_used`. Anything invalid raises SettingsError (one line).
    """

    def __init__(self, dataset, *, impl: str = "scratch", optimizer: str = DEFAULT_OPTIMIZER,
                 hyper: Mapping[str, Any] | None = None, batch_size: int = DEFAULT_BATCH_SIZE,
                 epochs: int = DEFAULT_EPOCHS, log_every: int = DEFAULT_LOG_EVERY,
                 seed: int = 0, device: str = "cpu", engine: str = "auto",
                 stop: _Stop | None = None):
        self.X, self.y = _design(dataset)
        self.n = self.X.shape[0]
        self.impl = choice(impl, IMPLS, "implementation")
        self.optimizer = settings.optimizer_name(optimizer)
        self.rule = rules.RULES[self.optimizer]
        self.hp = hyperparams(self.optimizer, hyper)
        self.batch_size = whole(batch_size, "Batch size", 1, self.n)
        self.epochs = whole(epochs, "Epochs", 1, MAX_EPOCHS)
        self.log_every = whole(log_every, "Log interval", 1)
        self.seed = whole(seed, "Seed", 0, 2**32 - 1)
        self.device = resolve_device(device)
        self.engine = choice(engine, ENGINES, "engine")
        if self.impl == "torch":
            if self.engine != "auto":
                raise SettingsError("The engine applies to the scratch implementation only")
            torch_bridge.build(self.optimizer, self.hp, [torch.zeros(1, requires_grad=True)])
        elif self.engine == "compiled" and self.device.type != "cpu":
            raise SettingsError(f"The compiled engine runs on the CPU only, not on "
                                f"{self.device.type}; use engine 'tensor'")
        self.stop = stop
        self.examples: list[int] = []
        self.losses: list[float] = []
        self.sec_per_epoch: list[float] = []
        self.stopped = False
        self.engine_used: str | None = None
        self.theta: np.ndarray | None = None
        limit_torch_threads()

    @property
    def final_loss(self) -> float | None:
        """The loss of the last parameters (after training, or where it stopped)."""
        return self.losses[-1] if self.losses else None

    @property
    def diverged(self) -> bool:
        return any(not (math.isfinite(v) and v <= DIVERGED_LOSS) for v in self.losses)

    @property
    def weights(self) -> np.ndarray | None:
        return None if self.theta is None else self.theta[:-1]

    @property
    def bias(self) -> float | None:
        return None if self.theta is None else float(self.theta[-1])

    def _engine_kind(self) -> str:
        if self.impl == "torch":
            return "torch"
        if self.engine != "auto":
            return self.engine
        steps = self.epochs * math.ceil(self.n / self.batch_size)
        if self.device.type == "cpu" and (is_compiled(self.rule) or steps >= AUTO_COMPILE_STEPS):
            return "compiled"
        return "tensor"

    def _make_engine(self, theta: torch.Tensor):
        kind = self._engine_kind()
        if kind == "compiled":
            return kind, CompiledEngine(self.rule, self.hp, self.X, self.y, theta.numpy(),
                                        self.batch_size)
        X = torch.from_numpy(self.X).to(self.device)  # moved once
        y = torch.from_numpy(self.y).to(self.device)
        theta = theta.to(self.device)
        if kind == "torch":
            return kind, TorchEngine(self.optimizer, self.hp, X, y, theta, self.batch_size)
        return kind, TensorEngine(self.rule, self.hp, X, y, theta[None], self.batch_size)

    def run(self) -> Iterator[Progress]:
        """Train from the start, yielding Progress at each log point (first: the initial loss).

        Ends early, with `stopped` True, when `stop` is set; closing the generator ends
        it too. Each call starts a new run from the seed.
        """
        gen = torch.Generator().manual_seed(self.seed)
        theta = _initial_theta(gen, self.X.shape[1] - 1)
        self.engine_used, engine = self._make_engine(theta)
        self.examples, self.losses, self.sec_per_epoch = [], [], []
        self.stopped, self.theta = False, None
        loop = drive(engine, n=self.n, batch_size=self.batch_size, epochs=self.epochs,
                     log_every=self.log_every, gen=gen, stop=self.stop,
                     sec_per_epoch=self.sec_per_epoch)
        try:
            while True:
                try:
                    examples, elapsed, value = next(loop)
                except StopIteration as end:
                    self.stopped = end.value
                    return
                loss = float(value[0] if isinstance(value, torch.Tensor) else value)
                self.examples.append(examples)
                self.losses.append(loss)
                yield Progress(examples, examples / self.n, loss, elapsed)
        except GeneratorExit:
            self.stopped = True
            raise
        finally:
            loop.close()
            self._keep_theta(engine)

    def _keep_theta(self, engine) -> None:
        if isinstance(engine, TorchEngine):
            m = engine.model
            theta = torch.cat([m.weight.detach()[0], m.bias.detach()])
        elif isinstance(engine, TensorEngine):
            theta = engine.theta[0]
        else:
            self.theta = engine.theta.copy()
            return
        self.theta = theta.cpu().double().numpy()

    def fit(self) -> Trainer:
        """Run to the end (or until stopped) and return self."""
        for _ in self.run():
            pass
        return self

    def to_dict(self) -> dict:
        """The results, JSON-ready apart from non-finite losses."""
        return {
            "examples": list(self.examples),
            "losses": list(self.losses),
            "sec_per_epoch": list(self.sec_per_epoch),
            "final_loss": self.final_loss,
            "diverged": self.diverged,
            "stopped": self.stopped,
            "engine": self.engine_used,
        }


def warm_up(names: tuple[str, ...] | None = None) -> None:
    """Compile the compiled engine for these optimizers (default: all), e.g. at start-up."""
    X = np.zeros((1, 2), dtype=np.float32)
    for name in names or tuple(rules.RULES):
        rule = rules.RULES[name]
        CompiledEngine(rule, hyperparams(name), X, np.zeros(1, np.float32), np.zeros(2), 1)


def job_work(trainers: list[Trainer]):
    """An `optviz.jobs` work function running `trainers` in turn.

    Reports (index, Progress) at every log point; stops, between steps, once the job is
    stopped or abandoned. Trainers are built (and so validated) before the job is
    submitted, so a bad setting is reported at once, not from the queue.
    """
    def work(job) -> list[Trainer]:
        for i, trainer in enumerate(trainers):
            trainer.stop = job.stop_event
            for progress in trainer.run():
                job.report((i, progress))
                if not job.alive():  # alive() has set the event the trainer watches
                    return trainers
        return trainers
    return work
