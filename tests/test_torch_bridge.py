"""The one mapping from optviz's optimizers to torch.optim: names, arguments, refusals."""

import inspect
import subprocess
import sys

import pytest
import torch

from optviz import rules, torch_bridge
from optviz.defaults import DEFAULTS
from optviz.trainer import hyperparams
from optviz.validate import SettingsError


def test_every_optimizer_has_a_torch_class() -> None:
    assert set(torch_bridge.TORCH_CLASSES) == set(rules.RULES) == set(DEFAULTS)
    for name in torch_bridge.TORCH_CLASSES.values():
        assert issubclass(getattr(torch.optim, name), torch.optim.Optimizer), name


@pytest.mark.parametrize("name", list(rules.RULES))
def test_the_kwargs_are_ones_the_class_takes(name: str) -> None:
    hp = rules.RULES[name].hyperparams()
    kwargs = torch_bridge.torch_kwargs(name, hp)
    cls = getattr(torch.optim, torch_bridge.TORCH_CLASSES[name])
    assert set(kwargs) <= set(inspect.signature(cls).parameters), name
    for key, value in kwargs.items():
        assert type(value) in (bool, float, tuple), key
    p = torch.zeros(1, requires_grad=True)
    for opt in (torch_bridge.build(name, hp, [p]),
                torch_bridge.build(name, hyperparams(name), [p], single_tensor=True)):
        assert type(opt) is cls


def test_betas_and_the_flags_a_class_implies() -> None:
    kwargs = torch_bridge.torch_kwargs("adam", rules.RULES["adam"].hyperparams(beta1=0.8))
    assert kwargs["betas"] == (0.8, 0.999) and "beta1" not in kwargs and "beta2" not in kwargs
    assert "bias_correction" not in kwargs
    assert "decoupled_weight_decay" not in torch_bridge.torch_kwargs(
        "adamw", rules.RULES["adamw"].hyperparams())  # AdamW is decoupled by being AdamW
    nadam = torch_bridge.torch_kwargs("nadam", rules.RULES["nadam"].hyperparams(
        decoupled_weight_decay=True))
    assert nadam["decoupled_weight_decay"] is True
    assert torch_bridge.torch_kwargs("nesterov", rules.RULES["nesterov"].hyperparams(
        momentum=0.5))["nesterov"] is True


def test_the_hyperparameters_reach_the_optimizer() -> None:
    hp = rules.RULES["adam"].hyperparams(lr=0.05, beta1=0.5, eps=1e-3, weight_decay=0.1)
    group = torch_bridge.build("adam", hp, [torch.zeros(1, requires_grad=True)]).param_groups[0]
    assert (group["lr"], group["betas"], group["eps"], group["weight_decay"]) == (
        0.05, (0.5, 0.999), 1e-3, 0.1)


def test_single_tensor_asks_for_torchs_single_tensor_path() -> None:
    p = torch.zeros(1, requires_grad=True)
    hp = rules.RULES["adam"].hyperparams()
    assert torch_bridge.build("adam", hp, [p], single_tensor=True).defaults["foreach"] is False
    assert torch_bridge.build("adam", hp, [p]).defaults["foreach"] is None  # torch decides


def test_bias_correction_off_is_refused() -> None:
    hp = rules.RULES["adam"].hyperparams(bias_correction=False)
    with pytest.raises(SettingsError, match="Bias correction cannot be turned off in "
                                            "torch.optim; use the scratch implementation"):
        torch_bridge.torch_kwargs("adam", hp)


def test_torchs_own_refusal_is_one_line() -> None:
    hp = rules.RULES["nesterov"].hyperparams(momentum=0)
    with pytest.raises(SettingsError, match="torch.optim.SGD: Nesterov momentum requires a "
                                            "momentum") as info:
        torch_bridge.build("nesterov", hp, [torch.zeros(1, requires_grad=True)])
    assert "\n" not in str(info.value)


def test_mapping_a_name_does_not_import_torch() -> None:
    code = ("import sys; from optviz import rules, torch_bridge; "
            "torch_bridge.torch_kwargs('adam', rules.RULES['adam'].hyperparams()); "
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
