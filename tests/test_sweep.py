"""Hyperparameter sweeps: one batched run equals the separate runs; divergence; validation."""

import os
import threading

import numpy as np
import pytest
import torch

from optviz import data, sweep, trainer
from optviz.sweep import Sweep, grid
from optviz.validate import SettingsError


@pytest.fixture(scope="module")
def small() -> data.Dataset:
    return data.synthetic(n=50, d=2)


GRID = grid("lr", [1e-3, 1e-2, 1e-1], "beta1", [0.8, 0.9, 0.99])


@pytest.mark.parametrize("engine", ["tensor", "compiled"])
def test_a_3x3_grid_equals_nine_separate_runs(airfoil, engine: str) -> None:
    s = Sweep(airfoil, GRID, seed=4).fit()
    assert s.curves.shape == (9, 31) and s.examples == list(range(0, 3001, 100))
    for i in range(9):
        one = trainer.Trainer(airfoil, hyper=GRID.setting(i), seed=4, engine=engine).fit()
        assert one.examples == s.examples
        np.testing.assert_allclose(s.curves[i], one.losses, rtol=0, atol=1e-5)
    assert not s.diverged.any() and not s.stopped
    np.testing.assert_array_equal(s.final_loss, s.curves[:, -1])


@pytest.mark.skipif(not torch.cuda.is_available(),
                    reason="no CUDA GPU here: the cuda path is checked only where one exists")
def test_a_cuda_sweep_gives_the_cpu_curves(airfoil) -> None:
    gpu = Sweep(airfoil, GRID, seed=4, device="cuda").fit()
    cpu = Sweep(airfoil, GRID, seed=4, device="cpu").fit()
    assert gpu.device.type == "cuda"
    np.testing.assert_allclose(gpu.curves, cpu.curves, rtol=0, atol=1e-5)


def test_settings_are_ordered_rows_of_y_columns_of_x() -> None:
    g = grid("eps", [1e-8, 1e-6], "beta2", [0.9, 0.99, 0.999], {"lr": 0.02})
    assert g.shape == (3, 2) and g.size == 6
    assert g.setting(1) == {"lr": 0.02, "eps": 1e-6, "beta2": 0.9}
    assert g.setting(4) == {"lr": 0.02, "eps": 1e-8, "beta2": 0.999}
    cols = g.columns()
    assert list(cols["eps"]) == [1e-8, 1e-6] * 3
    assert list(cols["beta2"]) == [0.9, 0.9, 0.99, 0.99, 0.999, 0.999]


def test_the_base_hyperparameters_apply_to_every_setting(small) -> None:
    g = grid("lr", [0.01, 0.1], "eps", [1e-6], {"beta2": 0.9, "lr": 5.0})  # lr is swept
    s = Sweep(small, g).fit()
    for i in range(2):
        one = trainer.Trainer(small, hyper={"beta2": 0.9, **g.setting(i)}).fit()
        np.testing.assert_allclose(s.curves[i], one.losses, rtol=1e-5)


def test_other_optimizers_sweep(small) -> None:
    g = grid("lr", [0.001, 0.01], "eps", [1e-8, 1e-6], optimizer="rmsprop")
    s = Sweep(small, g).fit()
    one = trainer.Trainer(small, optimizer="rmsprop", hyper=g.setting(3)).fit()
    np.testing.assert_allclose(s.curves[3], one.losses, rtol=1e-5)


@pytest.mark.parametrize("lr", [1e6, 1e38])
def test_a_diverging_setting_is_marked_not_raised(small, lr: float) -> None:
    # lr 1e6: a huge but finite loss; lr 1e38: θ overflows float32 to inf, then NaN.
    s = Sweep(small, grid("lr", [0.01, lr], "beta1", [0.0]), epochs=5).fit()
    assert list(s.diverged) == [False, True]
    assert np.isfinite(s.final_loss[0]) and s.final_loss[0] < s.curves[0, 0]
    assert not (np.isfinite(s.final_loss[1]) and s.final_loss[1] <= trainer.DIVERGED_LOSS)
    if lr == 1e38:
        assert np.isnan(s.final_loss[1])


def test_progress_streams_the_fraction_done(small) -> None:
    items = list(Sweep(small, GRID, batch_size=5, log_every=20).run())
    assert len(items) >= 3
    assert items[0].fraction == 0 and items[-1].fraction == 1
    fractions = [p.fraction for p in items]
    assert fractions == sorted(fractions)


def test_a_stop_event_stops_the_sweep(small) -> None:
    stop = threading.Event()
    s = Sweep(small, GRID, log_every=10, stop=stop)
    for p in s.run():
        if p.examples >= 20:
            stop.set()
    assert s.stopped and s.examples[-1] == 20 and s.curves.shape == (9, len(s.examples))


def test_closing_the_generator_stops_the_sweep(small) -> None:
    s = Sweep(small, GRID, log_every=10)
    run = s.run()
    next(run)
    next(run)
    run.close()
    assert s.stopped and s.curves.shape == (9, 2)


# --------------------------------------------------------------------- validation


@pytest.mark.parametrize("args,message", [
    (("momentum", [0.9], "lr", [0.1]), "Cannot sweep 'momentum'; choose two of: lr, beta1, "
                                       "beta2, eps"),
    (("lr", [0.1], "lr", [0.2]), "Sweep two different hyperparameters, not lr twice"),
    (("lr", [], "eps", [1e-6]), "Give at least one value of Learning rate"),
    (("lr", "0.1", "eps", [1e-6]), "Values of Learning rate must be a list of numbers"),
    (("lr", [0.1, "a"], "eps", [1e-6]), "Learning rate must be a number, got 'a'"),
    (("beta1", [1.5], "eps", [1e-6]), r"β1 must be in \[0, 1\), got 1.5"),
    (("lr", [0.1], "eps", [0.0]), r"ε must be in \(0, ∞\), got 0"),
])
def test_grid_validation(args, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as info:
        grid(*args)
    assert "\n" not in str(info.value)


def test_grid_validation_of_optimizer_and_base() -> None:
    with pytest.raises(SettingsError, match=r"β1 \(beta1\) does not apply to rmsprop"):
        grid("lr", [0.1], "beta1", [0.9], optimizer="rmsprop")
    with pytest.raises(SettingsError, match="Unknown optimizer 'lion'"):
        grid("lr", [0.1], "beta1", [0.9], optimizer="lion")
    with pytest.raises(SettingsError, match=r"Momentum \(momentum\) does not apply to adam"):
        grid("lr", [0.1], "beta1", [0.9], {"momentum": 0.5})


def test_the_grid_size_is_capped(monkeypatch) -> None:
    assert sweep.MAX_SWEEP >= 10_000 or "OPTVIZ_MAX_SWEEP" in os.environ
    monkeypatch.setattr(sweep, "MAX_SWEEP", 100)
    grid("lr", list(np.logspace(-4, -1, 10)), "beta1", list(np.linspace(0, 0.9, 10)))
    with pytest.raises(SettingsError, match="The grid has 110 settings \\(11 × 10\\); the limit "
                                            "is 100"):
        grid("lr", list(np.logspace(-4, -1, 11)), "beta1", list(np.linspace(0, 0.9, 10)))


def test_sweep_settings_are_validated_like_a_trainer(small) -> None:
    with pytest.raises(SettingsError, match="Batch size must be a whole number from 1 to 50"):
        Sweep(small, GRID, batch_size=0)
    with pytest.raises(SettingsError, match="A sweep needs a Grid"):
        Sweep(small, {"lr": [0.1]})
