"""`torch.optim.Optimizer` adapters around the rules in `optviz.rules`.

Drop-in for the torch optimizers of the same names: the same signatures (names,
defaults, positional order), param groups holding the same keys, `state_dict` /
`load_state_dict`, closures. The math is the rule's, the very code the 2D explorer
runs; this module only keeps per-parameter state and applies `x <- x + delta`.

    opt = optviz.optimizers.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))

torch's options beyond the math, as torch's single-tensor code path treats them:

* `maximize=True` negates the gradient before anything else (weight decay included).
* Decoupled weight decay (AdamW, `decoupled_weight_decay=True`) is applied as torch
  applies it, x <- (1 - lr*weight_decay) x before the step, not added into the step's
  delta: in float32 the two orders round differently (`rules.split_decoupled_decay`).
* A hyperparameter may be a one-element tensor (lr, betas, weight_decay, ...); it is
  read as a Python number each step, so a scheduler that changes it in place is
  followed. A tensor of another size, or betas mixing a tensor and a float, is
  rejected as torch rejects it. torch computes with the tensor in its own dtype: a
  float32 lr with float64 parameters rounds some of torch's scalars to float32, where
  optviz keeps float64 (about 1e-6 apart after 100 AdamW steps); a tensor in the
  parameters' dtype matches torch to rounding.
* `foreach`, `fused` and `capturable` only choose torch's kernels: accepted, stored in
  the group, and no-ops here. torch's refusals among them (fused with foreach; tensor
  lr or betas with foreach=True, capturable=False in Adam) are made the same way.
* `differentiable=True` is rejected (ValueError): the step runs under `torch.no_grad`,
  so no gradient could flow through it.

Value ranges are `rules.BOUNDS`, stricter than torch's in places (a zero learning
rate is refused); errors name the offending option.
"""

from __future__ import annotations

import torch

from optviz import rules

# The rule's hyperparameter names that torch spells differently.
_TORCH_NAMES = {"beta1": "betas[0]", "beta2": "betas[1]"}


def _number(option: str, value):
    """`value` as a Python number: a one-element tensor is read (called at each step)."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(f"Tensor {option} must be 1-element")
        return value.item()
    return value


class RuleOptimizer(torch.optim.Optimizer):
    """Runs one of `optviz.rules` on every parameter of every group."""

    rule: rules.Rule  # set by each subclass

    def __init__(self, params, defaults: dict):
        self._group_hyper(defaults)  # validate before torch builds the groups
        if defaults.get("fused") and defaults.get("foreach"):
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
        super().__init__(params, defaults)

    def _group_hyper(self, group: dict):
        """The rule's hyperparameters for `group`, checked; tensors read as numbers."""
        if group.get("differentiable"):
            raise ValueError(
                f"{type(self).__name__}: differentiable=True is not supported: optviz's step "
                "runs under torch.no_grad, so no gradient can flow through the update "
                "(use torch.optim for that)")
        values = {k: group[k] for k in self.rule.hyper._fields if k in group}
        if "betas" in group:
            if len(group["betas"]) != 2:
                raise ValueError(f"{type(self).__name__}: betas must be a pair (beta1, beta2), "
                                 f"got {group['betas']!r}")
            values["beta1"], values["beta2"] = group["betas"]
        hp = self.rule.hyper(**{k: _number(_TORCH_NAMES.get(k, k), v) for k, v in values.items()})
        for name, value in zip(hp._fields, hp, strict=True):
            try:
                rules.check_value(name, value)
            except ValueError as error:
                option = _TORCH_NAMES.get(name, name)
                raise ValueError(f"{type(self).__name__}: invalid {option} {value!r}: {error}") \
                    from None
        return hp

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            decay, hp = rules.split_decoupled_decay(self._group_hyper(group))
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
                # get: a state dict saved before the option existed has no such key
                grad = -p.grad if group.get("maximize", False) else p.grad
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state.update(self.rule.init(p, hp)._asdict())
                state["step"] += 1
                current = self.rule.state(*(state[k] for k in self.rule.state._fields))
                if decay != 1:
                    p.mul_(decay)
                delta, new = self.rule.update(grad, current, p, state["step"], hp)
                p.add_(delta)
                state.update(new._asdict())
        return loss


class SGD(RuleOptimizer):
    rule = rules.RULES["momentum"]  # momentum=0 makes it plain SGD; nesterov is a group option

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        if nesterov and (_number("momentum", momentum) <= 0
                         or _number("dampening", dampening) != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize, foreach=foreach,
                                      differentiable=differentiable, fused=fused))


class Adagrad(RuleOptimizer):
    rule = rules.RULES["adagrad"]

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, fused=fused))


class RMSprop(RuleOptimizer):
    rule = rules.RULES["rmsprop"]

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered,
                                      capturable=capturable, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable))


class Adadelta(RuleOptimizer):
    rule = rules.RULES["adadelta"]

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      foreach=foreach, capturable=capturable,
                                      maximize=maximize, differentiable=differentiable))


def _check_tensor_betas(lr, betas, foreach, capturable) -> None:
    """torch.optim.Adam's own refusals of tensor lr and betas, with its messages."""
    if isinstance(lr, torch.Tensor) and foreach and not capturable:
        raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
    tensors = [isinstance(beta, torch.Tensor) for beta in betas]
    if len(betas) == 2 and tensors[0] != tensors[1]:
        raise ValueError("betas must be either both floats or both Tensors")
    for k, beta in enumerate(betas):
        if isinstance(beta, torch.Tensor) and foreach and not capturable:
            raise ValueError(f"betas[{k}] as a Tensor is not supported for capturable=False "
                             "and foreach=True")


class Adam(RuleOptimizer):
    """Adam; `bias_correction=False` uses the raw averages m_t, v_t (for teaching)."""

    rule = rules.RULES["adam"]

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False,
                 bias_correction=True):
        betas = tuple(betas)
        _check_tensor_betas(lr, betas, foreach, capturable)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable,
                                      fused=fused,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      bias_correction=bias_correction))


class AdamW(Adam):
    """AdamW: weight decay applied to the parameters, not added to the gradient."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None, bias_correction=True):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True, bias_correction=bias_correction)


class NAdam(RuleOptimizer):
    rule = rules.RULES["nadam"]

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      foreach=foreach, maximize=maximize,
                                      capturable=capturable, differentiable=differentiable))
