"""Update rules of the Adam family, each written once.

A rule is a pair of pure functions in the style of optax:

    state = init(x, hp)
    delta, state = update(g, state, x, t, hp)      # then x <- x + delta

`g` is the gradient at `x`, `t` the 1-based step count (a Python int) and `hp` the
rule's hyperparameters (a NamedTuple with torch's names and defaults). The same
source serves three callers with no second copy of the math:

* the 2D trajectory engine, on NumPy arrays holding many runs at once (numeric
  hyperparameters may then be arrays, one value per run);
* the `torch.optim.Optimizer` adapters in `optviz.optimizers`, on tensors;
* batched hyperparameter sweeps, on tensors with tensor hyperparameters.

So the math uses only operators and `optviz.ops`; a Python `if` may test a boolean
flag (nesterov, amsgrad, ...) or `t`, never a numeric hyperparameter, which may be an
array. Each rule follows `torch.optim` (single-tensor code path) step for step,
including its quirks: SGD's momentum buffer starts at the first gradient, AdaDelta
keeps eps inside both square roots, and so on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from optviz import ops

# --------------------------------------------------------------------------- SGD


class SGDHyper(NamedTuple):
    lr: Any = 1e-3
    momentum: Any = 0.0
    dampening: Any = 0.0
    weight_decay: Any = 0.0
    nesterov: bool = False


class SGDState(NamedTuple):
    momentum_buffer: Any


def sgd_init(x, hp: SGDHyper) -> SGDState:
    return SGDState(ops.zeros_like(x))


def sgd_update(g, state: SGDState, x, t: int, hp: SGDHyper):
    r"""SGD with heavy-ball or Nesterov momentum, as `torch.optim.SGD`.

    g ← g + λx;   b_1 = g,  b_t = μ b_{t-1} + (1 − τ) g;
    d = g + μ b_t (Nesterov) or b_t;   Δx = −η d.
    With μ = 0 this is plain SGD: b_t = g.
    """
    g = g + hp.weight_decay * x
    if t == 1:
        buf = g
    else:
        # torch ignores dampening when there is no momentum.
        buf = hp.momentum * state.momentum_buffer + (1 - hp.dampening * (hp.momentum != 0)) * g
    direction = g + hp.momentum * buf if hp.nesterov else buf
    return -hp.lr * direction, SGDState(buf)


# ----------------------------------------------------------------------- AdaGrad


class AdagradHyper(NamedTuple):
    lr: Any = 1e-2
    lr_decay: Any = 0.0
    weight_decay: Any = 0.0
    initial_accumulator_value: Any = 0.0
    eps: Any = 1e-10


class AdagradState(NamedTuple):
    sum: Any


def adagrad_init(x, hp: AdagradHyper) -> AdagradState:
    return AdagradState(ops.zeros_like(x) + hp.initial_accumulator_value)


def adagrad_update(g, state: AdagradState, x, t: int, hp: AdagradHyper):
    r"""AdaGrad, as `torch.optim.Adagrad`.

    s_t = s_{t-1} + g²;   Δx = −η_t g / (√s_t + ε),   η_t = η / (1 + (t − 1)·lr_decay).
    """
    g = g + hp.weight_decay * x
    total = state.sum + g * g
    lr_t = hp.lr / (1 + (t - 1) * hp.lr_decay)
    return -lr_t * g / (ops.sqrt(total) + hp.eps), AdagradState(total)


# ----------------------------------------------------------------------- RMSProp


class RMSpropHyper(NamedTuple):
    lr: Any = 1e-2
    alpha: Any = 0.99
    eps: Any = 1e-8
    weight_decay: Any = 0.0
    momentum: Any = 0.0
    centered: bool = False


class RMSpropState(NamedTuple):
    square_avg: Any
    grad_avg: Any
    momentum_buffer: Any


def rmsprop_init(x, hp: RMSpropHyper) -> RMSpropState:
    return RMSpropState(ops.zeros_like(x), ops.zeros_like(x), ops.zeros_like(x))


def rmsprop_update(g, state: RMSpropState, x, t: int, hp: RMSpropHyper):
    r"""RMSProp, as `torch.optim.RMSprop`.

    s_t = α s_{t-1} + (1 − α) g²;   centered: ḡ_t = α ḡ_{t-1} + (1 − α) g, s̃ = s_t − ḡ_t²;
    b_t = μ b_{t-1} + g / (√s̃ + ε);   Δx = −η b_t   (μ = 0: Δx = −η g / (√s̃ + ε)).
    """
    g = g + hp.weight_decay * x
    square_avg = hp.alpha * state.square_avg + (1 - hp.alpha) * g * g
    if hp.centered:
        grad_avg = state.grad_avg + (1 - hp.alpha) * (g - state.grad_avg)
        denom = ops.sqrt(square_avg - grad_avg * grad_avg) + hp.eps
    else:
        grad_avg = state.grad_avg
        denom = ops.sqrt(square_avg) + hp.eps
    buf = hp.momentum * state.momentum_buffer + g / denom
    return -hp.lr * buf, RMSpropState(square_avg, grad_avg, buf)


# ---------------------------------------------------------------------- AdaDelta


class AdadeltaHyper(NamedTuple):
    lr: Any = 1.0
    rho: Any = 0.9
    eps: Any = 1e-6
    weight_decay: Any = 0.0


class AdadeltaState(NamedTuple):
    square_avg: Any
    acc_delta: Any


def adadelta_init(x, hp: AdadeltaHyper) -> AdadeltaState:
    return AdadeltaState(ops.zeros_like(x), ops.zeros_like(x))


def adadelta_update(g, state: AdadeltaState, x, t: int, hp: AdadeltaHyper):
    r"""AdaDelta, as `torch.optim.Adadelta`.

    s_t = ρ s_{t-1} + (1 − ρ) g²;   d = √(u_{t-1} + ε) / √(s_t + ε) · g;
    u_t = ρ u_{t-1} + (1 − ρ) d²;   Δx = −η d.
    """
    g = g + hp.weight_decay * x
    square_avg = hp.rho * state.square_avg + (1 - hp.rho) * g * g
    d = ops.sqrt(state.acc_delta + hp.eps) / ops.sqrt(square_avg + hp.eps) * g
    acc_delta = hp.rho * state.acc_delta + (1 - hp.rho) * d * d
    return -hp.lr * d, AdadeltaState(square_avg, acc_delta)


# -------------------------------------------------------------------------- Adam


class AdamHyper(NamedTuple):
    lr: Any = 1e-3
    beta1: Any = 0.9
    beta2: Any = 0.999
    eps: Any = 1e-8
    weight_decay: Any = 0.0
    amsgrad: bool = False
    bias_correction: bool = True
    decoupled_weight_decay: bool = False  # True is AdamW


class AdamState(NamedTuple):
    m: Any
    v: Any
    v_max: Any  # running max of v, used by AMSGrad only


def adam_init(x, hp: AdamHyper) -> AdamState:
    return AdamState(ops.zeros_like(x), ops.zeros_like(x), ops.zeros_like(x))


def adam_terms(state: AdamState, t, hp: AdamHyper):
    r"""m̂, v̂ and the per-coordinate step size η / (√v̂ + ε) of an Adam state at step t.

    m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)  (v_max for AMSGrad; no division when
    bias correction is off). `t` may be an array, to explain a whole recorded run.
    """
    v = state.v_max if hp.amsgrad else state.v
    if hp.bias_correction:
        m_hat, v_hat = state.m / (1 - hp.beta1**t), v / (1 - hp.beta2**t)
    else:
        m_hat, v_hat = state.m, v
    return m_hat, v_hat, hp.lr / (ops.sqrt(v_hat) + hp.eps)


def adam_update(g, state: AdamState, x, t: int, hp: AdamHyper):
    r"""Adam (and AMSGrad, AdamW), as `torch.optim.Adam` / `AdamW`.

    m_t = β1 m_{t-1} + (1 − β1) g;   v_t = β2 v_{t-1} + (1 − β2) g²;
    m̂_t = m_t / (1 − β1^t);   v̂_t = v_t / (1 − β2^t);   Δx = −η m̂_t / (√v̂_t + ε).
    AMSGrad uses max(v_1..v_t) for v_t; AdamW adds −ηλx instead of adding λx to g.
    """
    if hp.decoupled_weight_decay:
        decay = -hp.lr * hp.weight_decay * x
    else:
        decay = 0.0
        g = g + hp.weight_decay * x
    m = hp.beta1 * state.m + (1 - hp.beta1) * g
    v = hp.beta2 * state.v + (1 - hp.beta2) * g * g
    v_max = ops.maximum(state.v_max, v) if hp.amsgrad else state.v_max
    new = AdamState(m, v, v_max)
    m_hat, _, step_size = adam_terms(new, t, hp)
    return decay - step_size * m_hat, new


# ------------------------------------------------------------------------- NAdam


class NAdamHyper(NamedTuple):
    lr: Any = 2e-3
    beta1: Any = 0.9
    beta2: Any = 0.999
    eps: Any = 1e-8
    weight_decay: Any = 0.0
    momentum_decay: Any = 4e-3
    decoupled_weight_decay: bool = False


class NAdamState(NamedTuple):
    m: Any
    v: Any
    mu_product: Any


def nadam_init(x, hp: NAdamHyper) -> NAdamState:
    return NAdamState(ops.zeros_like(x), ops.zeros_like(x), ops.ones_like(x))


def nadam_update(g, state: NAdamState, x, t: int, hp: NAdamHyper):
    r"""NAdam (Adam with Nesterov momentum), as `torch.optim.NAdam`.

    μ_t = β1 (1 − ½·0.96^(tψ));   m_t, v_t as in Adam;   v̂ = v_t / (1 − β2^t);
    Δx = −η [(1 − μ_t) / (1 − Πμ_{≤t}) · g + μ_{t+1} / (1 − Πμ_{≤t+1}) · m_t] / (√v̂ + ε).
    """
    if hp.decoupled_weight_decay:
        decay = -hp.lr * hp.weight_decay * x
    else:
        decay = 0.0
        g = g + hp.weight_decay * x
    mu = hp.beta1 * (1 - 0.5 * 0.96 ** (t * hp.momentum_decay))
    mu_next = hp.beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * hp.momentum_decay))
    mu_product = state.mu_product * mu
    m = hp.beta1 * state.m + (1 - hp.beta1) * g
    v = hp.beta2 * state.v + (1 - hp.beta2) * g * g
    denom = ops.sqrt(v / (1 - hp.beta2**t)) + hp.eps
    step = (1 - mu) / (1 - mu_product) * g + mu_next / (1 - mu_product * mu_next) * m
    return decay - hp.lr * step / denom, NAdamState(m, v, mu_product)


def split_decoupled_decay(hp):
    r"""Decoupled weight decay as a step of its own: (f, hp′), f = 1 − ηλ.

    Where decay is decoupled (AdamW; NAdam's option) the rest of the step does not
    depend on x, so x + Δx(hp) = f·x + Δx(hp′), hp′ being hp with λ = 0. torch applies
    it in that order, x ← f·x and then the step, which in float32 rounds differently
    from adding −ηλx into the same Δx; `optviz.optimizers` follows torch. Where decay
    is not decoupled: (1, hp).
    """
    if not getattr(hp, "decoupled_weight_decay", False):
        return 1.0, hp
    return 1 - hp.lr * hp.weight_decay, hp._replace(weight_decay=0.0)


# ---------------------------------------------------------------------- registry


@dataclass(frozen=True)
class Rule:
    """One optimizer as the explorer and CLI name it: a rule plus fixed flags."""

    name: str  # lower case, as on the command line
    title: str
    hyper: type  # the NamedTuple of hyperparameters
    state: type  # the NamedTuple of per-coordinate state
    init: Callable
    update: Callable
    fixed: dict  # flags this name implies, e.g. amsgrad=True for "amsgrad"
    equations: str  # LaTeX, for the pages
    defaults: dict = field(default_factory=dict)  # where this name's default differs from torch's

    def hyperparams(self, **values) -> NamedTuple:
        """Hyperparameters: torch's defaults, this name's defaults, `values`, the fixed flags."""
        unknown = set(values) - set(self.hyper._fields)
        if unknown:
            raise ValueError(f"{self.name} has no hyperparameter {', '.join(sorted(unknown))}")
        return self.hyper(**{**self.defaults, **values, **self.fixed})

    @property
    def tunable(self) -> tuple[str, ...]:
        """Hyperparameters a user may set for this name (fixed flags excluded)."""
        return tuple(f for f in self.hyper._fields if f not in self.fixed)


_ADAM_EQ = (
    r"m_t = \beta_1 m_{t-1} + (1-\beta_1) g_t,\quad v_t = \beta_2 v_{t-1} + (1-\beta_2) g_t^2,"
    r"\quad x_t = x_{t-1} - \eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}"
)

_SGD = (SGDHyper, SGDState, sgd_init, sgd_update)
_ADAGRAD = (AdagradHyper, AdagradState, adagrad_init, adagrad_update)
_RMSPROP = (RMSpropHyper, RMSpropState, rmsprop_init, rmsprop_update)
_ADADELTA = (AdadeltaHyper, AdadeltaState, adadelta_init, adadelta_update)
_ADAM = (AdamHyper, AdamState, adam_init, adam_update)
_NADAM = (NAdamHyper, NAdamState, nadam_init, nadam_update)
_PLAIN_ADAM = {"amsgrad": False, "decoupled_weight_decay": False}

RULES: dict[str, Rule] = {
    r.name: r
    for r in (
        Rule("sgd", "SGD", *_SGD, {"momentum": 0.0, "nesterov": False},
             r"x_t = x_{t-1} - \eta g_t"),
        Rule("momentum", "Momentum", *_SGD, {"nesterov": False},
             r"b_t = \mu b_{t-1} + g_t,\quad x_t = x_{t-1} - \eta b_t", {"momentum": 0.9}),
        Rule("nesterov", "Nesterov momentum", *_SGD, {"nesterov": True},
             r"b_t = \mu b_{t-1} + g_t,\quad x_t = x_{t-1} - \eta (g_t + \mu b_t)",
             {"momentum": 0.9}),
        Rule("adagrad", "AdaGrad", *_ADAGRAD, {},
             r"s_t = s_{t-1} + g_t^2,\quad x_t = x_{t-1} - \frac{\eta}{\sqrt{s_t} + \epsilon} g_t"),
        Rule("rmsprop", "RMSProp", *_RMSPROP, {},
             r"s_t = \alpha s_{t-1} + (1-\alpha) g_t^2,\quad "
             r"x_t = x_{t-1} - \frac{\eta}{\sqrt{s_t} + \epsilon} g_t"),
        Rule("adadelta", "AdaDelta", *_ADADELTA, {},
             r"s_t = \rho s_{t-1} + (1-\rho) g_t^2,\quad "
             r"g'_t = \frac{\sqrt{u_{t-1} + \epsilon}}{\sqrt{s_t + \epsilon}} g_t,\quad "
             r"u_t = \rho u_{t-1} + (1-\rho) g_t'^2,\quad x_t = x_{t-1} - \eta g'_t"),
        Rule("adam", "Adam", *_ADAM, _PLAIN_ADAM, _ADAM_EQ),
        Rule("amsgrad", "AMSGrad", *_ADAM, {**_PLAIN_ADAM, "amsgrad": True},
             _ADAM_EQ.replace(r"\hat v_t", r"\max_{s \le t} \hat v_s")),
        Rule("adamw", "AdamW", *_ADAM, {"decoupled_weight_decay": True},
             _ADAM_EQ.replace(r"\epsilon}", r"\epsilon} - \eta\lambda x_{t-1}"),
             {"weight_decay": 1e-2}),
        Rule("nadam", "NAdam", *_NADAM, {},
             r"x_t = x_{t-1} - \eta\,\frac{\mu_{t+1} \hat m_t + (1-\mu_t) \hat g_t}"
             r"{\sqrt{\hat v_t} + \epsilon}"),
    )
}


def get_rule(name: str) -> Rule:
    try:
        return RULES[name]
    except KeyError:
        raise ValueError(
            f"unknown optimizer {name!r}; choose one of: {', '.join(RULES)}"
        ) from None



# ------------------------------------------------------------------- validation

# Allowed range of each numeric hyperparameter: (low, high, low included, high included).
# Stricter than torch where torch's range admits nonsense (a zero learning rate or
# epsilon, momentum of 1 or more), because a page or the CLI should reject it.
BOUNDS: dict[str, tuple[float, float, bool, bool]] = {
    "lr": (0.0, math.inf, False, False),
    "beta1": (0.0, 1.0, True, False),
    "beta2": (0.0, 1.0, True, False),
    "eps": (0.0, math.inf, False, False),
    "weight_decay": (0.0, math.inf, True, False),
    "momentum": (0.0, 1.0, True, False),
    "dampening": (0.0, 1.0, True, True),
    "lr_decay": (0.0, math.inf, True, False),
    "initial_accumulator_value": (0.0, math.inf, True, False),
    "alpha": (0.0, 1.0, True, True),
    "rho": (0.0, 1.0, True, True),
    "momentum_decay": (0.0, math.inf, True, False),
}

LABELS: dict[str, str] = {
    "lr": "Learning rate",
    "beta1": "β1",
    "beta2": "β2",
    "eps": "ε",
    "weight_decay": "Weight decay",
    "momentum": "Momentum",
    "dampening": "Dampening",
    "lr_decay": "Learning-rate decay",
    "initial_accumulator_value": "Initial accumulator",
    "alpha": "α (smoothing)",
    "rho": "ρ",
    "momentum_decay": "Momentum decay ψ",
    "amsgrad": "AMSGrad",
    "bias_correction": "Bias correction",
    "nesterov": "Nesterov",
    "centered": "Centered",
    "decoupled_weight_decay": "Decoupled weight decay",
}


def describe_range(name: str) -> str:
    low, high, low_in, high_in = BOUNDS[name]
    return f"{'[' if low_in else '('}{low:g}, {high:g}{']' if high_in else ')'}".replace("inf", "∞")


def check_value(name: str, value) -> None:
    """Raise ValueError, in words a student understands, unless `value` is allowed for `name`."""
    label = LABELS.get(name, name)
    if name not in BOUNDS:  # a flag
        if not isinstance(value, bool):
            raise ValueError(f"{label} must be true or false, got {value!r}")
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{label} must be a number, got {value!r}")
    low, high, low_in, high_in = BOUNDS[name]
    if not math.isfinite(value) or not (
        (low <= value if low_in else low < value) and (value <= high if high_in else value < high)
    ):
        raise ValueError(f"{label} must be in {describe_range(name)}, got {value:g}")


def check_hyperparams(hp: NamedTuple) -> None:
    for name, value in zip(hp._fields, hp, strict=True):
        check_value(name, value)
