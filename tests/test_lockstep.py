"""Lock-step check against torch.optim: optviz's rules match torch's step for step."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from optviz import lockstep, rules, torch_bridge
from optviz.settings import OptimizerSettings
from optviz.surfaces import get_surface
from optviz.trajectory import run

D2L = get_surface("d2l")


def default_run(name: str, surface=D2L, **hyper):
    return OptimizerSettings(name, hyper).to_run(surface.start)


@pytest.mark.parametrize("steps", [20, 200])
def test_adam_on_the_chapters_function(steps):
    r = default_run("adam")
    single = lockstep.compare_with_torch(D2L, r, steps)
    assert single.available and single.reason == ""
    assert single.steps == steps and single.torch_points.shape == (steps + 1, 2)
    assert tuple(single.torch_points[0]) == r.start
    assert 0 < single.max_abs_diff < 1e-5  # float32 rounding, not zero
    double = lockstep.compare_with_torch(D2L, r, steps, dtype="float64")
    assert double.max_abs_diff < 1e-12
    ours = run(D2L, [r], steps)[0].points
    np.testing.assert_allclose(double.torch_points, ours, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", list(rules.RULES))
def test_every_optimizer_has_a_torch_counterpart(name):
    assert name in torch_bridge.TORCH_CLASSES
    r = default_run(name)
    result = lockstep.compare_with_torch(D2L, r, 20)
    assert result.available and result.steps == 20
    scale = max(1.0, float(np.abs(result.torch_points).max()))
    assert result.max_abs_diff < 1e-4 * scale
    # float64: rounding only (NAdam: torch keeps its μ product in float32).
    double = lockstep.compare_with_torch(D2L, r, 50, dtype="float64")
    scale = max(1.0, float(np.abs(double.torch_points).max()))
    assert double.max_abs_diff < (1e-7 if name == "nadam" else 1e-11) * scale


@pytest.mark.parametrize("name, hyper", [
    ("adam", {"weight_decay": 0.1, "beta1": 0.5, "beta2": 0.9}),
    ("amsgrad", {"lr": 0.1}),
    ("adamw", {"weight_decay": 0.3}),
    ("rmsprop", {"centered": True, "momentum": 0.5, "lr": 0.05}),
    ("sgd", {"weight_decay": 0.1, "dampening": 0.2, "lr": 1e-3}),
    ("momentum", {"dampening": 0.3, "lr": 1e-3}),
    ("adagrad", {"lr_decay": 0.1, "initial_accumulator_value": 0.5}),
    ("nadam", {"momentum_decay": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
])
def test_hyperparameters_are_passed_on(name, hyper):
    surface = get_surface("rosenbrock")
    result = lockstep.compare_with_torch(surface, default_run(name, surface, **hyper), 40,
                                         dtype="float64")
    assert result.available and result.steps == 40
    assert result.max_abs_diff < (1e-7 if name == "nadam" else 1e-10)


def test_betas_are_mapped():
    def kwargs_of(run):
        return torch_bridge.torch_kwargs(run.optimizer, run.hyper)

    kwargs = kwargs_of(default_run("adam", beta1=0.8, beta2=0.99))
    assert kwargs["betas"] == (0.8, 0.99) and "beta1" not in kwargs
    assert kwargs["amsgrad"] is False and kwargs["lr"] == 0.4
    assert kwargs_of(default_run("amsgrad"))["amsgrad"] is True
    assert kwargs_of(default_run("nesterov"))["nesterov"] is True


def test_no_bias_correction_has_no_torch_counterpart():
    result = lockstep.compare_with_torch(D2L, default_run("adam", bias_correction=False), 20)
    assert not result.available
    assert result.reason == "torch.optim.Adam has no switch to turn bias correction off"
    assert result.steps == 0 and result.torch_points.shape == (0, 2)


def test_a_diverged_run_is_compared_up_to_its_last_good_point():
    r = default_run("sgd", lr=20.0)
    t = run(D2L, [r], 50)[0]
    assert t.diverged_at is not None
    result = lockstep.compare_with_torch(D2L, r, 50, dtype="float64")
    assert result.available and result.steps == t.steps
    assert np.isfinite(result.torch_points).all()
    assert result.max_abs_diff <= 1e-12 * np.abs(t.points).max()


def test_importing_the_module_does_not_import_torch():
    code = "import sys, optviz.lockstep; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "False"
