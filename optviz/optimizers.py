"""`torch.optim.Optimizer` adapters around the rules in `optviz.rules`.

Drop-in for the torch optimizers of the same names: same hyperparameter names and
defaults, param groups, `state_dict` / `load_state_dict`, closures. The math is the
rule's, the very code the 2D explorer runs; this module only keeps per-parameter
state and applies `x <- x + delta`.

    opt = optviz.optimizers.Adam(model.parameters(), lr=1e-3, betas=(0.9, 0.999))
"""

from __future__ import annotations

import torch

from optviz import rules


class RuleOptimizer(torch.optim.Optimizer):
    """Runs one of `optviz.rules` on every parameter of every group."""

    rule: rules.Rule  # set by each subclass

    def __init__(self, params, defaults: dict):
        self._group_hyper(defaults)  # validate before torch builds the groups
        super().__init__(params, defaults)

    def _group_hyper(self, group: dict):
        values = {k: v for k, v in group.items() if k in self.rule.hyper._fields}
        if "betas" in group:
            values["beta1"], values["beta2"] = group["betas"]
        hp = self.rule.hyper(**values)
        rules.check_hyperparams(hp)
        return hp

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            hp = self._group_hyper(group)
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError(f"{type(self).__name__} does not support sparse gradients")
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state.update(self.rule.init(p, hp)._asdict())
                state["step"] += 1
                current = self.rule.state(*(state[k] for k in self.rule.state._fields))
                delta, new = self.rule.update(p.grad, current, p, state["step"], hp)
                p.add_(delta)
                state.update(new._asdict())
        return loss


class SGD(RuleOptimizer):
    rule = rules.RULES["momentum"]  # momentum=0 makes it plain SGD; nesterov is a group option

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov))


class Adagrad(RuleOptimizer):
    rule = rules.RULES["adagrad"]

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10):
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps))


class RMSprop(RuleOptimizer):
    rule = rules.RULES["rmsprop"]

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))


class Adadelta(RuleOptimizer):
    rule = rules.RULES["adadelta"]

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))


class Adam(RuleOptimizer):
    """Adam; `bias_correction=False` uses the raw averages m_t, v_t (for teaching)."""

    rule = rules.RULES["adam"]
    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, bias_correction=True):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      bias_correction=bias_correction,
                                      decoupled_weight_decay=self.decoupled_weight_decay))


class AdamW(Adam):
    """AdamW: weight decay applied to the parameters, not added to the gradient."""

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, bias_correction=True):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, bias_correction)


class NAdam(RuleOptimizer):
    rule = rules.RULES["nadam"]

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 momentum_decay=4e-3, decoupled_weight_decay=False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay))
