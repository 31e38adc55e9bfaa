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
  data moved to the device once. Two engines run it (`optviz.engines`). "tensor":
  torch tensors on any device. "compiled": on the CPU, numba compiles the rule's own
  `update` into the batch loop, in float64. That removes the ~20 torch calls per step
  that make up nearly all of the tensor engine's time on a problem this small (~60 µs
  a step against well under 1 µs), but compiling takes ~2 s per rule, once per
  machine (numba caches it on disk; ``python -m optviz warm``): engine "auto" takes it
  where the rule is compiled already or in that cache (a server calls `warm_up()` at
  start-up) or the run is long, else the tensor engine.
* "torch": `torch.nn.Linear`, autograd and the matching `torch.optim` optimizer, as
  the chapter's concise implementation; the reference the scratch results are
  checked against.

The batches, log points and clock are `optviz.loop`'s, shared with `optviz.sweep`.

    trainer = Trainer(optviz.data.load_airfoil(), impl="scratch")
    for p in trainer.run():              # Progress at every log point
        print(p.examples, p.loss)
    trainer.final_loss, trainer.sec_per_epoch
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import torch

from optviz import loop, rules, settings, torch_bridge
from optviz.defaults import (
    DEFAULT_OPTIMIZER,
    DEFAULTS,
    TRAIN_BATCH_SIZE,
    TRAIN_EPOCHS,
    TRAIN_LOG_EVERY,
)
from optviz.devices import limit_torch_threads, resolve_device
from optviz.engines import (
    CompiledEngine,
    Engine,
    Stop,
    TensorEngine,
    TorchEngine,
    is_compiled,
    is_ready,
)
from optviz.validate import SettingsError, choice, env_int, whole

IMPLS = ("scratch", "torch")
ENGINES = ("auto", "compiled", "tensor")

INIT_STD = 0.01  # w ~ N(0, 0.01²), as train_ch11
MAX_EPOCHS = max(env_int("OPTVIZ_MAX_EPOCHS", 50), TRAIN_EPOCHS)
DIVERGED_LOSS = 1e6  # a logged loss above this (or not finite) marks a run as diverged

# "auto" compiles only when it pays: when this rule is compiled already in this
# process, or for a run so long that the tensor engine (~60 µs a step on a CPU core)
# would take longer than compiling (~2-3 s per rule, once per process).
AUTO_COMPILE_STEPS = 50_000


def hyperparams(optimizer: str, hyper: Mapping[str, Any] | None = None) -> NamedTuple:
    """The rule's hyperparameters: torch's defaults, the chapter's for the airfoil data
    (`optviz.defaults`), then `hyper` (validated)."""
    chosen = settings.OptimizerSettings(optimizer, hyper or {})  # raises SettingsError
    return chosen.rule.hyperparams(**{**DEFAULTS[chosen.name].trainer, **chosen.hyper})


def design(dataset) -> tuple[np.ndarray, np.ndarray]:
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


def initial_theta(gen: torch.Generator, d: int) -> torch.Tensor:
    """θ0 = (w, b): w ~ N(0, INIT_STD²) from `gen` (before any permutation), b = 0."""
    w = torch.normal(0.0, INIT_STD, size=(d,), generator=gen)
    return torch.cat([w, torch.zeros(1)])


@dataclass(frozen=True)
class Progress:
    """One log point of a training run."""

    examples: int  # examples seen so far: the x position of this value
    epoch: float  # examples / n, the x axis of the chapter's plots
    loss: float  # L(θ), the mean loss over the whole set
    elapsed: float  # seconds of training so far (time spent by the consumer excluded)


class Trainer:
    """One training run, validated on construction; `run()` streams it.

    Arguments: `dataset` (an `optviz.data.Dataset`), `impl` "scratch" or "torch",
    `optimizer` (a name in `optviz.rules.RULES`), `hyper` (overrides of
    the trainer defaults in `optviz.defaults`), `batch_size` 1..n, `epochs`
    1..MAX_EPOCHS, `log_every` ≥ 1 examples, `seed`,
    `device` "auto" | "cpu" | "cuda" | "mps", `engine` of the scratch implementation
    ("auto": compiled on the CPU if compiled in this process or in numba's disk cache,
    or if the run is long, else tensor),
    `stop` (a `threading.Event`: training ends at the next step once it is set; the
    compiled engine looks between its compiled chunks, which never pass a log point and
    hold at most `optviz.loop.MAX_CHUNK` steps).

    While and after `run()`: `examples`, `losses` (the log points, the first one the
    initial loss), `sec_per_epoch` (finished epochs), `final_loss`, `weights`, `bias`,
    `stopped`, `engine_used`, `engine_source` (the compiled engine's: "in memory",
    "disk cache" or "compiled now"; else None). Anything invalid raises SettingsError (one line).
    """

    def __init__(self, dataset, *, impl: str = "scratch", optimizer: str = DEFAULT_OPTIMIZER,
                 hyper: Mapping[str, Any] | None = None, batch_size: int = TRAIN_BATCH_SIZE,
                 epochs: int = TRAIN_EPOCHS, log_every: int = TRAIN_LOG_EVERY,
                 seed: int = 0, device: str = "cpu", engine: str = "auto",
                 stop: Stop | None = None, record_weights: bool = False):
        self.X, self.y = design(dataset)
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
        self.engine_source: str | None = None  # the compiled engine's: engines.CompiledEngine
        self.theta: np.ndarray | None = None
        # θ at each log point, (d + 1,) float64 each, when `record_weights` (the path in
        # weight space: optviz.weightspace).
        self.record_weights = bool(record_weights)
        self.thetas: list[np.ndarray] = []
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
        if self.device.type == "cpu" and (is_compiled(self.rule) or steps >= AUTO_COMPILE_STEPS
                                          or is_ready(self.rule)):
            return "compiled"
        return "tensor"

    def make_engine(self, theta: torch.Tensor) -> tuple[str, Engine]:
        """The engine this run takes ("compiled", "tensor" or "torch"), started at θ0 `theta`."""
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
        self.engine_used, engine = self.make_engine(initial_theta(gen, self.X.shape[1] - 1))
        self.engine_source = getattr(engine, "source", None)
        self.examples, self.losses, self.sec_per_epoch = [], [], []
        self.stopped, self.theta = False, None
        points = loop.drive(engine, n=self.n, batch_size=self.batch_size, epochs=self.epochs,
                            log_every=self.log_every, gen=gen, stop=self.stop,
                            sec_per_epoch=self.sec_per_epoch)

        def finish(stopped: bool) -> None:
            self.stopped, self.theta = stopped, engine.weights()

        self.thetas = []

        def record(point: tuple[int, float, Any]) -> Progress:
            if self.record_weights:
                self.thetas.append(np.array(engine.weights(), dtype=float))
            return self._record(point)

        yield from loop.stream(points, record, finish)

    def _record(self, point: tuple[int, float, Any]) -> Progress:
        examples, elapsed, value = point
        loss = float(value[0] if isinstance(value, torch.Tensor) else value)
        self.examples.append(examples)
        self.losses.append(loss)
        return Progress(examples, examples / self.n, loss, elapsed)

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
            "engine_source": self.engine_source,
        }


def warm_up(names: tuple[str, ...] | None = None) -> None:
    """Compile the compiled engine for these optimizers (default: all), e.g. at start-up."""
    X = np.zeros((1, 2), dtype=np.float32)
    for name in names or tuple(rules.RULES):
        rule = rules.RULES[name]
        CompiledEngine(rule, hyperparams(name), X, np.zeros(1, np.float32), np.zeros(2), 1)
