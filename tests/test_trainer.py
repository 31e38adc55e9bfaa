"""The linear-regression trainer: the chapter's result, implementations in agreement,
streaming, stopping, devices and validation."""

import os
import statistics
import threading

import numpy as np
import pytest
import torch

from optviz import data, devices, loop, rules, trainer
from optviz.engines import is_compiled
from optviz.trainer import Progress, Trainer
from optviz.validate import SettingsError


@pytest.fixture(scope="module")
def small() -> data.Dataset:
    """25 examples: batches of 10 leave a last batch of 5."""
    return data.synthetic(n=25, d=3)


def curve(impl: str, dataset, **kwargs) -> np.ndarray:
    return np.array(Trainer(dataset, impl=impl, **kwargs).fit().losses)


# ------------------------------------------------------------------- the chapter


def test_defaults_are_the_chapters(airfoil) -> None:
    t = Trainer(airfoil)
    assert t.impl == "scratch" and t.optimizer == "adam"
    assert (t.hp.lr, t.hp.beta1, t.hp.beta2, t.hp.eps) == (0.01, 0.9, 0.999, 1e-6)
    assert t.hp.bias_correction and not t.hp.amsgrad
    assert (t.batch_size, t.epochs, t.log_every, t.device.type) == (10, 2, 100, "cpu")


@pytest.mark.parametrize("impl", ["scratch", "torch"])
def test_chapter_result_median_over_five_seeds(airfoil, impl: str) -> None:
    # The chapter: Adam, lr 0.01, batch 10, 2 epochs ends near 0.245 (0.242 with torch's).
    finals = [Trainer(airfoil, impl=impl, seed=s).fit().final_loss for s in range(5)]
    assert 0.235 <= statistics.median(finals) <= 0.255, finals


def test_losses_are_logged_every_100_examples_from_the_initial_loss(airfoil) -> None:
    t = Trainer(airfoil).fit()
    assert t.examples == list(range(0, 3001, 100))
    assert len(t.losses) == 31 and t.final_loss == t.losses[-1]
    X = np.hstack([airfoil.features, np.ones((1500, 1), np.float32)]).astype(float)
    gen = torch.Generator().manual_seed(0)
    theta0 = trainer.initial_theta(gen, 5).double().numpy()
    initial = np.mean((X @ theta0 - airfoil.labels) ** 2) / 2
    assert t.losses[0] == pytest.approx(initial, rel=1e-6)
    assert t.losses[0] > 0.45 and t.final_loss < 0.26  # it learns
    assert len(t.sec_per_epoch) == 2 and all(s > 0 for s in t.sec_per_epoch)
    assert not t.stopped and not t.diverged


def test_weights_and_bias_match_the_last_logged_loss(airfoil) -> None:
    t = Trainer(airfoil).fit()
    pred = airfoil.features.astype(float) @ t.weights + t.bias
    assert np.mean((pred - airfoil.labels) ** 2) / 2 == pytest.approx(t.final_loss, rel=1e-5)


# --------------------------------------------------------- implementations agree


@pytest.mark.parametrize("name", list(rules.RULES))
def test_every_optimizer_runs_and_scratch_equals_torch(airfoil, name: str) -> None:
    scratch = curve("scratch", airfoil, optimizer=name, engine="tensor")
    reference = curve("torch", airfoil, optimizer=name)
    assert scratch.shape == (31,) and np.isfinite(scratch).all()
    np.testing.assert_allclose(scratch, reference, rtol=0, atol=1e-5)
    assert scratch[-1] < scratch[0]


@pytest.mark.parametrize("seed", [0, 3])
def test_scratch_and_torch_curves_are_equal_on_the_same_batches(airfoil, seed: int) -> None:
    np.testing.assert_allclose(curve("scratch", airfoil, seed=seed),
                               curve("torch", airfoil, seed=seed), rtol=0, atol=1e-5)


@pytest.mark.parametrize("name", ["adam", "sgd"])
def test_compiled_engine_equals_the_tensor_engine(airfoil, name: str) -> None:
    compiled = Trainer(airfoil, optimizer=name, engine="compiled").fit()
    tensor = Trainer(airfoil, optimizer=name, engine="tensor").fit()
    assert (compiled.engine_used, tensor.engine_used) == ("compiled", "tensor")
    np.testing.assert_allclose(compiled.losses, tensor.losses, rtol=0, atol=1e-6)
    np.testing.assert_allclose(compiled.theta, tensor.theta, rtol=0, atol=1e-5)
    assert is_compiled(rules.RULES[name])
    # once compiled, "auto" takes the compiled engine on the CPU
    assert Trainer(airfoil, optimizer=name).fit().engine_used == "compiled"


@pytest.mark.parametrize("impl,engine", [("scratch", "tensor"), ("scratch", "compiled"),
                                         ("torch", "auto")])
def test_a_ragged_last_batch_and_an_odd_log_interval(small, impl: str, engine: str) -> None:
    # n = 25, B = 10: 10, 20, 25 examples per epoch; a log after the step that reaches
    # each multiple of 15, and after the last step.
    t = Trainer(small, impl=impl, engine=engine, log_every=15).fit()
    assert t.examples == [0, 20, 35, 45, 50]
    reference = curve("scratch", small, engine="tensor", log_every=15)
    np.testing.assert_allclose(t.losses, reference, rtol=1e-6)


def test_same_seed_same_curve_other_seed_other_curve(airfoil) -> None:
    a, b, c = (curve("scratch", airfoil, seed=s, epochs=1) for s in (1, 1, 2))
    assert np.array_equal(a, b) and not np.allclose(a, c)


def test_recovers_the_synthetic_weights() -> None:
    ds = data.synthetic(n=1000, d=3, noise=0.01)
    t = Trainer(ds, hyper={"lr": 0.1}, epochs=5).fit()
    np.testing.assert_allclose(t.weights, ds.true_weights, atol=0.05)
    assert t.bias == pytest.approx(ds.true_bias, abs=0.05)


def test_the_scratch_path_never_calls_autograd(airfoil, monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("autograd called")

    monkeypatch.setattr(torch.autograd, "backward", refuse)
    monkeypatch.setattr(torch.autograd, "grad", refuse)
    with torch.autograd.set_grad_enabled(True):
        for engine in ("tensor", "compiled"):
            t = Trainer(airfoil, engine=engine, epochs=1)
            engine_obj = t.make_engine(torch.zeros(6))[1]
            assert not getattr(engine_obj.theta, "requires_grad", False)
            assert t.fit().final_loss < 0.3
        with pytest.raises(AssertionError, match="autograd called"):  # the check works
            Trainer(airfoil, impl="torch", epochs=1).fit()


# ------------------------------------------------------------ streaming, stopping


def test_progress_is_streamed(airfoil) -> None:
    items = []
    for p in Trainer(airfoil).run():
        items.append(p)
    assert len(items) >= 3 and all(isinstance(p, Progress) for p in items)
    assert items[0].examples == 0 and items[0].epoch == 0 and items[0].elapsed == 0
    assert items[-1].examples == 3000 and items[-1].epoch == 2.0
    assert all(a.elapsed <= b.elapsed for a, b in zip(items, items[1:], strict=False))


def test_consumer_time_is_not_training_time(airfoil, monkeypatch) -> None:
    # A clock that moves only while the consumer holds a log point: training takes no
    # time by it, so whatever the run counts is the consumer's. (benchmarks/trainer.py
    # times the real thing.)
    now = [0.0]
    monkeypatch.setattr(loop.time, "perf_counter", lambda: now[0])
    t = Trainer(airfoil, epochs=1)
    for p in t.run():
        assert p.elapsed == 0.0
        now[0] += 10.0  # 16 log points: 160 s spent by the consumer
    assert t.sec_per_epoch == [0.0]


@pytest.mark.parametrize("engine", ["tensor", "compiled"])
def test_a_stop_event_set_at_a_log_point_stops_before_the_next_step(airfoil,
                                                                    engine: str) -> None:
    stop = threading.Event()
    t = Trainer(airfoil, engine=engine, stop=stop)
    seen = []
    for p in t.run():
        seen.append(p.examples)
        if p.examples == 300:
            stop.set()
    assert seen == [0, 100, 200, 300] and t.examples == seen
    assert t.stopped and t.sec_per_epoch == []


class StopAfter:
    """A stop event that turns set on its (checks + 1)-th look."""

    def __init__(self, checks: int):
        self.left = checks

    def is_set(self) -> bool:
        self.left -= 1
        return self.left < 0


@pytest.mark.parametrize("impl", ["scratch", "torch"])
def test_the_stop_event_is_seen_before_every_step(airfoil, impl: str) -> None:
    t = Trainer(airfoil, impl=impl, engine="tensor" if impl == "scratch" else "auto",
                stop=StopAfter(25))
    t.fit()
    # 25 looks allow at most 25 steps: 250 examples; the stop point is logged last.
    assert t.stopped and 100 <= t.examples[-1] <= 250 and t.examples[-1] % 10 == 0
    assert t.final_loss == t.losses[-1]


def test_a_stop_from_another_thread_ends_a_long_run(airfoil) -> None:
    stop = threading.Event()
    t = Trainer(airfoil, epochs=trainer.MAX_EPOCHS, batch_size=1, engine="tensor", stop=stop)
    timer = threading.Timer(0.2, stop.set)
    timer.start()
    t.fit()  # how soon it ends after the stop: benchmarks/trainer.py
    assert t.stopped and t.examples[-1] < trainer.MAX_EPOCHS * 1500


def test_closing_the_generator_stops(airfoil) -> None:
    t = Trainer(airfoil)
    run = t.run()
    for _ in range(3):
        next(run)
    run.close()
    assert t.stopped and t.examples == [0, 100, 200]
    assert t.theta is not None  # the weights where it stopped


def test_run_starts_afresh_each_time(airfoil) -> None:
    t = Trainer(airfoil, epochs=1)
    first = list(t.fit().losses)
    assert t.fit().losses == first


# ------------------------------------------------------------------------ devices


def test_available_devices() -> None:
    reasons = devices.available_devices()
    assert set(reasons) == {"cpu", "cuda", "mps"} and reasons["cpu"] is None
    for name, reason in reasons.items():
        assert reason is None or (isinstance(reason, str) and "\n" not in reason), name
    if not torch.cuda.is_available():
        with pytest.raises(SettingsError, match="Device cuda cannot be used: "):
            devices.resolve_device("cuda")


@pytest.mark.parametrize("device", ["auto", "cpu", "CPU"])
def test_device_auto_and_cpu(small, device: str) -> None:
    t = Trainer(small, device=device).fit()
    expected = next(d for d in ("cuda", "mps", "cpu") if devices.available_devices()[d] is None)
    assert t.device.type == (expected if device == "auto" else "cpu")
    assert np.isfinite(t.final_loss)


@pytest.mark.skipif(not torch.cuda.is_available(),
                    reason="no CUDA GPU here: the cuda path is checked only where one exists")
@pytest.mark.parametrize("impl", ["scratch", "torch"])
def test_cuda_gives_the_cpu_curve(airfoil, impl: str) -> None:
    gpu = Trainer(airfoil, impl=impl, device="cuda").fit()
    cpu = Trainer(airfoil, impl=impl, device="cpu", engine="auto").fit()
    assert gpu.engine_used in ("tensor", "torch")
    np.testing.assert_allclose(gpu.losses, cpu.losses, rtol=0, atol=1e-4)


def test_torch_threads_are_bounded(small) -> None:
    Trainer(small)
    expected = int(os.environ.get("OPTVIZ_TORCH_THREADS", "1") or 1)
    assert torch.get_num_threads() == devices.limit_torch_threads() == max(expected, 1)


# --------------------------------------------------------------------- validation


BAD = [
    ({"impl": "keras"}, "Unknown implementation 'keras'; choose one of: scratch, torch"),
    ({"optimizer": "lion"}, "Unknown optimizer 'lion'"),
    ({"hyper": {"lr": -1}}, r"Learning rate must be in \(0, ∞\), got -1"),
    ({"hyper": {"beta1": 1.5}}, r"β1 must be in \[0, 1\), got 1.5"),
    ({"hyper": {"momentum": 0.9}}, r"Momentum \(momentum\) does not apply to adam"),
    ({"batch_size": 0}, "Batch size must be a whole number from 1 to 25, got 0"),
    ({"batch_size": 26}, "Batch size must be a whole number from 1 to 25, got 26"),
    ({"batch_size": 2.5}, "Batch size must be a whole number from 1 to 25, got 2.5"),
    ({"epochs": 0}, f"Epochs must be a whole number from 1 to {trainer.MAX_EPOCHS}, got 0"),
    ({"epochs": trainer.MAX_EPOCHS + 1}, "Epochs must be a whole number from 1 to"),
    ({"log_every": 0}, "Log interval must be a whole number ≥ 1, got 0"),
    ({"seed": -1}, "Seed must be a whole number from 0 to"),
    ({"device": "tpu"}, "Unknown device 'tpu'; choose one of: auto, cpu, cuda, mps"),
    ({"engine": "jax"}, "Unknown engine 'jax'; choose one of: auto, compiled, tensor"),
    ({"impl": "torch", "engine": "tensor"}, "The engine applies to the scratch"),
    ({"impl": "torch", "hyper": {"bias_correction": False}},
     "Bias correction cannot be turned off in torch.optim; use the scratch"),
    ({"impl": "torch", "optimizer": "nesterov", "hyper": {"momentum": 0}},
     "torch.optim.SGD: Nesterov momentum requires a momentum"),
]


@pytest.mark.parametrize("kwargs,message", BAD)
def test_bad_settings_raise_one_line(small, kwargs: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message) as info:
        Trainer(small, **kwargs)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_bias_correction_off_runs_from_scratch(small) -> None:
    t = Trainer(small, hyper={"bias_correction": False}).fit()
    assert np.isfinite(t.final_loss)


def test_bad_data_is_refused() -> None:
    bad = data.Dataset("x", np.zeros((3, 2), np.float32), np.zeros(4, np.float32), ("a", "b"),
                       "y")
    with pytest.raises(SettingsError, match="features \\(n, d\\) and labels \\(n,\\)"):
        Trainer(bad)
    nan = data.Dataset("x", np.full((3, 2), np.nan, np.float32), np.zeros(3, np.float32),
                       ("a", "b"), "y")
    with pytest.raises(SettingsError, match="finite"):
        Trainer(nan)


def test_a_diverging_run_is_reported_not_raised(small) -> None:
    t = Trainer(small, optimizer="sgd", hyper={"lr": 1e3}).fit()
    assert t.diverged and not t.stopped and len(t.losses) == len(t.examples)

