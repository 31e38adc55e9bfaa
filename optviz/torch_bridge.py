"""optviz's optimizers as `torch.optim` names them: the class and its keyword arguments.

The trainer's torch implementation, the lock-step check and the tests all reach
torch.optim through here. The rule's hyperparameters keep their names in torch,
except β1, β2 (torch's `betas`) and the flags a class implies (AdamW is decoupled by
definition). torch has no switch for bias correction, so turning it off is refused.

torch is imported only by `build`: mapping a name costs nothing.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from optviz.validate import SettingsError

# The torch.optim class behind each optimizer name; amsgrad, nesterov and momentum come
# from the run's own hyperparameters, which the name already fixed (`rules.Rule.fixed`).
TORCH_CLASSES: dict[str, str] = {
    "sgd": "SGD", "momentum": "SGD", "nesterov": "SGD", "adagrad": "Adagrad",
    "rmsprop": "RMSprop", "adadelta": "Adadelta", "adam": "Adam", "amsgrad": "Adam",
    "adamw": "AdamW", "nadam": "NAdam",
}
# Hyperparameters a class fixes by being that class, so it takes no argument for them.
IMPLIED: dict[str, tuple[str, ...]] = {"AdamW": ("decoupled_weight_decay",)}
BIAS_CORRECTION_OFF = ("Bias correction cannot be turned off in torch.optim; "
                       "use the scratch implementation")


def torch_kwargs(name: str, hp: NamedTuple) -> dict[str, Any]:
    """The keyword arguments of `torch.optim.<TORCH_CLASSES[name]>` for hyperparameters `hp`:
    numbers as floats, flags as they are, betas = (β1, β2). SettingsError if torch has none."""
    values = hp._asdict()
    if not values.pop("bias_correction", True):
        raise SettingsError(BIAS_CORRECTION_OFF)
    for implied in IMPLIED.get(TORCH_CLASSES[name], ()):
        del values[implied]
    kwargs = {k: v if isinstance(v, bool) else float(v) for k, v in values.items()}
    if "beta1" in kwargs:
        kwargs["betas"] = (kwargs.pop("beta1"), kwargs.pop("beta2"))
    return kwargs


def build(name: str, hp: NamedTuple, params, *, single_tensor: bool = False):
    """The `torch.optim` optimizer of rule `name` with hyperparameters `hp` over `params`.

    `single_tensor`: torch's single-tensor code path (foreach=False), the one optviz's
    rules follow step for step; otherwise torch picks its path for the device.
    """
    import torch

    kwargs = torch_kwargs(name, hp)
    if single_tensor:
        kwargs["foreach"] = False
    try:
        return getattr(torch.optim, TORCH_CLASSES[name])(params, **kwargs)
    except ValueError as e:  # e.g. "Nesterov momentum requires a momentum and zero dampening"
        raise SettingsError(f"torch.optim.{TORCH_CLASSES[name]}: {e}") from None
