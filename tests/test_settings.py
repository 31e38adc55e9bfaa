"""Validated settings: the chapter's defaults, student-friendly errors, and properties.

The properties: whatever validation accepts, the engine runs without raising and gives
finite points (a run that stops early says where it diverged); whatever it rejects
raises SettingsError with a one-line message, never another exception.
"""

import math
import os
import pickle
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from optviz import rules, settings, surfaces, trajectory, validate
from optviz.defaults import DEFAULTS
from optviz.settings import OptimizerSettings, TrajectorySettings
from optviz.validate import SettingsError, parse_bool, parse_number

ROOT = Path(__file__).resolve().parents[1]
ADAM_FAMILY = ("adam", "amsgrad", "adamw", "nadam")


def one_line_error(excinfo: pytest.ExceptionInfo) -> str:
    assert excinfo.type is SettingsError
    message = str(excinfo.value)
    assert message and "\n" not in message
    return message


# ---------------------------------------------------------------------- defaults


def test_trajectory_defaults_are_the_chapters() -> None:
    s = TrajectorySettings()
    assert (s.surface, s.steps, s.start, s.condition) == ("d2l", 20, None, 10.0)
    assert s.start_point() == (-5.0, -2.0) == surfaces.SURFACES["d2l"].start
    assert s.optimizers == (OptimizerSettings("adam"),)
    assert s.bound == trajectory.DEFAULT_BOUND
    assert s.get_surface() is surfaces.SURFACES["d2l"]


def test_explorer_defaults_cover_every_optimizer_with_valid_tunable_values() -> None:
    assert set(DEFAULTS) == set(rules.RULES)
    for name, defaults in DEFAULTS.items():
        for key, value in {**defaults.explorer, **defaults.trainer}.items():
            assert key in rules.RULES[name].tunable
            rules.check_value(key, value)


@pytest.mark.parametrize("name", rules.RULES)
def test_optimizer_defaults(name: str) -> None:
    hp = OptimizerSettings(name).hyperparams()
    torch_defaults = rules.RULES[name].hyperparams()
    assert type(hp) is rules.RULES[name].hyper
    # The chapter's η on its function, but where the function has its own: Nesterov and
    # AdaDelta, which the chapter does not run there.
    assert DEFAULTS[name].explorer["lr"] == (1.0 if name == "adadelta" else 0.4)
    assert hp.lr == {"nesterov": 0.2, "adadelta": 80.0}.get(name, DEFAULTS[name].explorer["lr"])
    chapter = {"lr"}
    if name in ("momentum", "nesterov"):
        assert hp.momentum == 0.5
        chapter.add("momentum")
    if name == "rmsprop":
        assert hp.alpha == 0.9
        chapter.add("alpha")
    if name in ADAM_FAMILY:
        assert hp.eps == 1e-6
        chapter.add("eps")
    for field in hp._fields:
        if field not in chapter:
            assert getattr(hp, field) == getattr(torch_defaults, field), field


def test_fixed_flags_still_hold() -> None:
    assert OptimizerSettings("amsgrad").hyperparams().amsgrad is True
    assert OptimizerSettings("adamw").hyperparams().decoupled_weight_decay is True
    assert OptimizerSettings("adamw").hyperparams().weight_decay == 1e-2  # torch's AdamW
    assert OptimizerSettings("nesterov").hyperparams().nesterov is True
    assert OptimizerSettings("sgd").hyperparams().momentum == 0.0


def test_overrides_win_and_are_normalised() -> None:
    o = OptimizerSettings(" Adam ", {"eps": 1e-8, "beta1": 0, "bias_correction": np.bool_(False)})
    assert o.name == "adam"
    assert dict(o.hyper) == {"beta1": 0.0, "eps": 1e-8, "bias_correction": False}
    assert list(o.hyper) == ["beta1", "eps", "bias_correction"]  # the rule's order
    assert isinstance(o.hyper["beta1"], float)
    hp = o.hyperparams()
    assert (hp.lr, hp.beta1, hp.eps, hp.bias_correction) == (0.4, 0.0, 1e-8, False)
    with pytest.raises(TypeError):
        o.hyper["lr"] = 1.0  # type: ignore[index]


def test_settings_are_hashable_comparable_and_picklable() -> None:
    a = TrajectorySettings(optimizers=[OptimizerSettings("adam", {"lr": 0.1}), "sgd"],
                           start=[1, 2], steps=30.0)
    b = TrajectorySettings(optimizers=(OptimizerSettings("adam", {"lr": 0.1}),
                                       OptimizerSettings("sgd")), start=(1.0, 2.0), steps=30)
    assert a == b and hash(a) == hash(b)
    assert isinstance(a.steps, int) and a.start == (1.0, 2.0)
    assert pickle.loads(pickle.dumps(a)) == a
    noisy = TrajectorySettings(noise=1, seed=7.0)
    assert noisy == TrajectorySettings(noise=1.0, seed=7) and isinstance(noisy.seed, int)
    assert hash(noisy) == hash(TrajectorySettings(noise=1.0, seed=7))
    assert pickle.loads(pickle.dumps(noisy)) == noisy
    assert noisy != TrajectorySettings(noise=1.0, seed=8) != TrajectorySettings(seed=8)
    assert TrajectorySettings(noise=-0.0) == TrajectorySettings()
    assert math.copysign(1, TrajectorySettings(noise=-0.0).noise) == 1  # never shows "-0"


def test_runs_and_compute() -> None:
    s = TrajectorySettings(optimizers=(OptimizerSettings("adam", label="Adam, η=0.4"),
                                       OptimizerSettings("momentum")), steps=5)
    runs = s.runs()
    assert [r.label for r in runs] == ["Adam, η=0.4", "Momentum"]
    assert all(r.start == (-5.0, -2.0) for r in runs)
    assert runs[1].hyper == OptimizerSettings("momentum").hyperparams()
    out = s.compute()
    assert [len(t.points) for t in out] == [6, 6]
    assert set(out[0].explained) == {"m_hat", "v_hat", "step_size"}


def test_runs_of_one_optimizer_are_labelled_by_what_differs() -> None:
    adam = OptimizerSettings("adam")
    runs = (OptimizerSettings("adam", {"beta2": 0.5}), adam, OptimizerSettings("sgd"),
            OptimizerSettings("adam", {"beta2": 0.5, "bias_correction": False}))
    assert settings.run_labels(runs) == [
        "Adam, β2 = 0.5, Bias correction = on", "Adam, β2 = 0.999, Bias correction = on",
        "SGD", "Adam, β2 = 0.5, Bias correction = off"]
    # Equal settings are numbered; a label given is kept.
    assert settings.run_labels((adam, adam, OptimizerSettings("adam", label="mine"))) == [
        "Adam", "Adam 2", "mine"]
    # A value equal to the function's default is no difference (Rosenbrock's own η).
    own = settings.OptimizerSettings("adam").hyperparams("rosenbrock").lr
    assert settings.run_labels((adam, OptimizerSettings("adam", {"lr": own})),
                               "rosenbrock") == ["Adam", "Adam 2"]
    s = TrajectorySettings(optimizers=runs[:2], steps=3)
    assert [t.run.label for t in s.compute()] == s.labels() == [
        "Adam, β2 = 0.5", "Adam, β2 = 0.999"]


def test_rotated_surface_uses_condition() -> None:
    s = TrajectorySettings(surface="rotated", condition=100)
    assert s.condition == 100.0
    assert "100" in s.get_surface().f.__doc__
    assert s.start_point() == surfaces.SURFACES["rotated"].start


def test_caps_are_read_at_validation_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "MAX_STEPS", 30)
    monkeypatch.setattr(settings, "MAX_RUNS", 2)
    assert TrajectorySettings(steps=30).steps == 30
    with pytest.raises(SettingsError, match="from 1 to 30, got 31"):
        TrajectorySettings(steps=31)
    with pytest.raises(SettingsError, match="1 to 2 optimizers, got 3"):
        TrajectorySettings(optimizers=("adam", "sgd", "nadam"))


@pytest.mark.parametrize(
    ("text", "default", "expected"),
    [("", 7, 7), ("12", 7, 12), (" 12 ", 7, 12), ("abc", 7, 7), ("0", 7, 7), ("-3", 7, 7),
     ("1.5", 7, 7), ("1e3", 7, 7)],
)
def test_env_int(monkeypatch: pytest.MonkeyPatch, text: str, default: int, expected: int) -> None:
    monkeypatch.setenv("OPTVIZ_TEST_CAP", text)
    assert validate.env_int("OPTVIZ_TEST_CAP", default) == expected


def test_env_caps_at_import() -> None:
    code = "from optviz import settings as s; print(s.MAX_STEPS, s.MAX_RUNS)"

    def caps(**env: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
            env={**os.environ, **env},
        ).stdout.split()

    assert caps(OPTVIZ_MAX_STEPS="", OPTVIZ_MAX_RUNS="") == ["5000", "16"]
    assert caps(OPTVIZ_MAX_STEPS="300", OPTVIZ_MAX_RUNS="4") == ["300", "4"]
    assert caps(OPTVIZ_MAX_STEPS="lots", OPTVIZ_MAX_RUNS="-1") == ["5000", "16"]
    assert caps(OPTVIZ_MAX_STEPS="5", OPTVIZ_MAX_RUNS="0") == ["20", "16"]  # >= default steps


# ------------------------------------------------------------------- bad inputs

BAD_TRAJECTORY = [
    (dict(surface="sphere"), "Unknown surface 'sphere'; choose one of: d2l, rosenbrock"),
    (dict(surface=3), "Unknown surface 3"),
    (dict(condition=0.5), "Condition number κ must be a finite number ≥ 1, got 0.5"),
    (dict(condition=math.nan), "Condition number κ must be a finite number ≥ 1, got nan"),
    (dict(condition=math.inf), "Condition number κ must be a finite number ≥ 1, got inf"),
    (dict(condition="10"), "Condition number κ must be a number, got '10'"),
    (dict(steps=0), "Steps must be a whole number from 1 to 5000, got 0"),
    (dict(steps=-3), "Steps must be a whole number from 1 to 5000, got -3"),
    (dict(steps=5001), "Steps must be a whole number from 1 to 5000, got 5001"),
    (dict(steps=10**30), "Steps must be a whole number from 1 to 5000"),
    (dict(steps=20.5), "got 20.5"),
    (dict(steps=True), "got True"),
    (dict(steps=math.nan), "got nan"),
    (dict(steps=math.inf), "got inf"),
    (dict(steps="20"), "got '20'"),
    (dict(start=(1.0,)), "Start point must be two numbers (x1, x2), got (1.0,)"),
    (dict(start=(1, 2, 3)), "Start point must be two numbers"),
    (dict(start="12"), "Start point must be two numbers"),
    (dict(start=5), "Start point must be two numbers"),
    (dict(start=(math.nan, 0)), "Start x1 must be a finite number from -10000 to 10000, got nan"),
    (dict(start=(0, -math.inf)), "Start x2 must be a finite number from -10000 to 10000, got -inf"),
    (dict(start=(0, 10000.5)), "Start x2 must be a finite number from -10000 to 10000"),
    (dict(start=(0, "1")), "Start x2 must be a number, got '1'"),
    (dict(start=(True, 1)), "Start x1 must be a number, got True"),
    (dict(optimizers=()), "Choose from 1 to 16 optimizers, got 0"),
    (dict(optimizers=("adam",) * 17), "Choose from 1 to 16 optimizers, got 17"),
    (dict(optimizers=("lion",)), "Unknown optimizer 'lion'; choose one of: sgd, momentum"),
    (dict(optimizers=5), "Optimizers must be a list, got 5"),
    (dict(bound=0), "Bound must be a finite number > 0, got 0"),
    (dict(bound=math.inf), "Bound must be a finite number > 0, got inf"),
    (dict(bound=3), "Start point (-5, -2) lies outside the bound 3"),
    (dict(noise=-0.1), "Gradient noise σ must be a finite number from 0 to 10000, got -0.1"),
    (dict(noise=1e4 + 1), "Gradient noise σ must be a finite number from 0 to 10000, got 10001"),
    (dict(noise=math.nan), "Gradient noise σ must be a finite number from 0 to 10000, got nan"),
    (dict(noise=math.inf), "Gradient noise σ must be a finite number from 0 to 10000, got inf"),
    (dict(noise="0.5"), "Gradient noise σ must be a number, got '0.5'"),
    (dict(noise=True), "Gradient noise σ must be a number, got True"),
    (dict(seed=-1), "Seed must be a whole number from 0 to 4294967295, got -1"),
    (dict(seed=2**32), "Seed must be a whole number from 0 to 4294967295, got 4294967296"),
    (dict(seed=1.5), "Seed must be a whole number from 0 to 4294967295, got 1.5"),
    (dict(seed=math.nan), "Seed must be a whole number from 0 to 4294967295, got nan"),
    (dict(seed="3"), "Seed must be a whole number from 0 to 4294967295, got '3'"),
    (dict(seed=False), "Seed must be a whole number from 0 to 4294967295, got False"),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD_TRAJECTORY, ids=lambda v: str(v)[:40])
def test_bad_trajectory_settings(kwargs: dict, message: str) -> None:
    with pytest.raises(SettingsError) as excinfo:
        TrajectorySettings(**kwargs)
    assert message in one_line_error(excinfo)


BAD_OPTIMIZER = [
    ("lion", {}, "Unknown optimizer 'lion'; choose one of: sgd, momentum, nesterov"),
    (None, {}, "Unknown optimizer None"),
    ("adam", {"beta1": 1.5}, "β1 must be in [0, 1), got 1.5"),
    ("adam", {"beta1": 1}, "β1 must be in [0, 1), got 1"),
    ("adam", {"beta1": -0.1}, "β1 must be in [0, 1), got -0.1"),
    ("adam", {"beta2": 1.0}, "β2 must be in [0, 1), got 1"),
    ("adam", {"beta2": 0.99999999999999999}, "β2 must be in [0, 1), got 1"),
    ("adam", {"beta2": math.nan}, "β2 must be a finite number in [0, 1), got nan"),
    ("adam", {"eps": 0}, "ε must be in (0, ∞), got 0"),
    ("adam", {"eps": -1e-8}, "ε must be in (0, ∞), got -1e-08"),
    ("adam", {"eps": math.inf}, "ε must be a finite number in (0, ∞), got inf"),
    ("adam", {"lr": 0}, "Learning rate must be in (0, ∞), got 0"),
    ("adam", {"lr": -0.4}, "Learning rate must be in (0, ∞), got -0.4"),
    ("adam", {"lr": -math.inf}, "Learning rate must be a finite number in (0, ∞), got -inf"),
    ("adam", {"lr": 10**400}, "Learning rate is too large"),
    ("adam", {"lr": "0.4"}, "Learning rate must be a number, got '0.4'"),
    ("adam", {"lr": True}, "Learning rate must be a number, got True"),
    ("adam", {"lr": None}, "Learning rate must be a number, got None"),
    ("adam", {"weight_decay": -1}, "Weight decay must be in [0, ∞), got -1"),
    ("rmsprop", {"alpha": 1.01}, "α (smoothing) must be in [0, 1], got 1.01"),
    ("adadelta", {"rho": -0.5}, "ρ must be in [0, 1], got -0.5"),
    ("momentum", {"momentum": 1.0}, "Momentum must be in [0, 1), got 1"),
    ("sgd", {"dampening": 2}, "Dampening must be in [0, 1], got 2"),
    ("nadam", {"momentum_decay": -1}, "Momentum decay ψ must be in [0, ∞), got -1"),
    ("adagrad", {"lr_decay": -1}, "Learning-rate decay must be in [0, ∞), got -1"),
    ("adagrad", {"initial_accumulator_value": -1}, "Initial accumulator must be in [0, ∞)"),
    ("adam", {"bias_correction": 1}, "Bias correction must be true or false, got 1"),
    ("rmsprop", {"centered": "yes"}, "Centered must be true or false, got 'yes'"),
    ("adam", {"amsgrad": True},
     "AMSGrad (amsgrad) does not apply to adam (allowed: lr, beta1, beta2, eps, weight_decay, "
     "bias_correction); use the optimizer 'amsgrad' instead"),
    ("sgd", {"momentum": 0.9},
     "Momentum (momentum) does not apply to sgd (allowed: lr, dampening, weight_decay); "
     "use the optimizer 'momentum' instead"),
    ("momentum", {"nesterov": True}, "use the optimizer 'nesterov' instead"),
    ("sgd", {"beta1": 0.9}, "β1 (beta1) does not apply to sgd (allowed: lr, dampening"),
    ("adam", {"learning_rate": 0.1}, "Unknown hyperparameter 'learning_rate' for adam (allowed:"),
    ("adam", {1: 0.1}, "Unknown hyperparameter 1 for adam"),
    ("adam", [("lr", 0.1)], "Hyperparameters of adam must map names to values"),
]


@pytest.mark.parametrize(("name", "hyper", "message"), BAD_OPTIMIZER,
                         ids=lambda v: str(v)[:30])
def test_bad_optimizer_settings(name, hyper, message: str) -> None:
    with pytest.raises(SettingsError) as excinfo:
        OptimizerSettings(name, hyper)
    assert message in one_line_error(excinfo)


def test_bad_label() -> None:
    with pytest.raises(SettingsError, match="Label must be text"):
        OptimizerSettings("adam", label=3)  # type: ignore[arg-type]


def test_settings_error_is_a_value_error() -> None:
    assert issubclass(SettingsError, ValueError)


# ---------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("text", "expected"),
    [("0.9", 0.9), (" 1e-6 ", 1e-6), ("-5", -5.0), ("1_000", 1000.0), ("5e-324", 5e-324),
     (0.5, 0.5), (3, 3.0), (Fraction(1, 4), 0.25)],
)
def test_parse_number(text, expected: float) -> None:
    assert parse_number(text, "beta1") == expected


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [("abc", "beta1", "β1 must be a number, got 'abc'"),
     ("", "lr", "Learning rate must be a number, got ''"),
     ("0.9.1", "eps", "ε must be a number, got '0.9.1'"),
     ("nan", "beta2", "β2 must be a finite number in [0, 1), got nan"),
     ("-inf", "lr", "Learning rate must be a finite number in (0, ∞), got -inf"),
     ("1e400", "steps", "Steps must be a finite number, got inf"),
     ("x" * 100, "x1", "Start x1 must be a number, got 'xxxxxxxxx"),
     (None, "lr", "Learning rate must be a number, got None"),
     (True, "lr", "Learning rate must be a number, got True")],
)
def test_parse_number_errors(text, name: str, message: str) -> None:
    with pytest.raises(SettingsError) as excinfo:
        parse_number(text, name)
    got = one_line_error(excinfo)
    assert got.startswith(message) and len(got) < 120


@pytest.mark.parametrize(("text", "expected"),
                         [("true", True), ("False", False), (" 1", True), ("off", False),
                          (True, True)])
def test_parse_bool(text, expected: bool) -> None:
    assert parse_bool(text, "amsgrad") is expected


def test_parse_bool_error() -> None:
    with pytest.raises(SettingsError, match="AMSGrad must be true or false, got 'maybe'"):
        parse_bool("maybe", "amsgrad")


def test_from_strings() -> None:
    s = TrajectorySettings.from_strings(
        surface="Rotated", optimizers="adam, sgd", steps="1e2", start="-1, 2.5",
        condition="50", bound="1e3",
        hyper={"lr": "0.1", "beta1": "0.5", "weight-decay": "0.01", "bias_correction": "off"},
    )
    assert (s.surface, s.steps, s.start, s.condition, s.bound) == (
        "rotated", 100, (-1.0, 2.5), 50.0, 1000.0)
    assert dict(s.optimizers[0].hyper) == {"lr": 0.1, "beta1": 0.5, "weight_decay": 0.01,
                                           "bias_correction": False}
    assert dict(s.optimizers[1].hyper) == {"lr": 0.1, "weight_decay": 0.01}
    assert TrajectorySettings.from_strings() == TrajectorySettings()
    assert TrajectorySettings.from_strings(start=["-5", "-2"]).start == (-5.0, -2.0)
    noisy = TrajectorySettings.from_strings(noise=" 0.5 ", seed="42")
    assert (noisy.noise, noisy.seed) == (0.5, 42) and isinstance(noisy.seed, int)
    assert TrajectorySettings.from_strings(noise="0", seed="0") == TrajectorySettings()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [(dict(steps="lots"), "Steps must be a number, got 'lots'"),
     (dict(steps="2.5"), "Steps must be a whole number from 1 to 5000, got 2.5"),
     (dict(start="1"), "Start point must be two numbers (x1, x2), got '1'"),
     (dict(start="1,b"), "Start x2 must be a number, got 'b'"),
     (dict(optimizers=""), "Unknown optimizer ''"),
     (dict(optimizers="adam,lion"), "Unknown optimizer 'lion'"),
     (dict(hyper={"beta1": "abc"}), "β1 must be a number, got 'abc'"),
     (dict(hyper={"beta1": "1.5"}), "β1 must be in [0, 1), got 1.5"),
     (dict(hyper={"speed": "1"}), "Unknown hyperparameter 'speed'; choose from: alpha,"),
     (dict(optimizers="sgd,adagrad", hyper={"beta1": "0.5"}),
      "β1 (beta1) does not apply to sgd or adagrad; it applies to adam, amsgrad, adamw, nadam"),
     (dict(hyper={"amsgrad": "yes"}), "use the optimizer 'amsgrad' instead"),
     (dict(hyper={"bias_correction": "maybe"}), "Bias correction must be true or false"),
     (dict(condition="nan"), "Condition number κ must be a finite number, got nan"),
     (dict(noise="lots"), "Gradient noise σ must be a number, got 'lots'"),
     (dict(noise="-1"), "Gradient noise σ must be a finite number from 0 to 10000, got -1"),
     (dict(noise="inf"), "Gradient noise σ must be a finite number, got inf"),
     (dict(seed="2.5"), "Seed must be a whole number from 0 to 4294967295, got 2.5"),
     (dict(seed="-1"), "Seed must be a whole number from 0 to 4294967295, got -1"),
     (dict(seed="x"), "Seed must be a number, got 'x'")],
)
def test_from_strings_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(SettingsError) as excinfo:
        TrajectorySettings.from_strings(**kwargs)
    assert message in one_line_error(excinfo)


# ------------------------------------------------------------------- properties


def _valid(key: str, value) -> bool:
    try:
        rules.check_value(key, value)
    except ValueError:
        return False
    return True


def hyper_value(key: str) -> st.SearchStrategy:
    if key not in rules.BOUNDS:
        return st.booleans()
    low, high, low_in, high_in = rules.BOUNDS[key]
    top = min(high, 1e300)
    wide = st.floats(min_value=low, max_value=top, exclude_min=not low_in,
                     exclude_max=top == high and not high_in)
    extremes = [v for v in (low, 5e-324, 1e-300, 1e-6, 0.999999999, math.nextafter(high, 0),
                            high, 1e300) if _valid(key, v)]
    return st.one_of(wide, st.sampled_from(extremes))


@st.composite
def optimizer_settings(draw) -> OptimizerSettings:
    name = draw(st.sampled_from(list(rules.RULES)))
    keys = draw(st.lists(st.sampled_from(rules.RULES[name].tunable), unique=True))
    return OptimizerSettings(name, {k: draw(hyper_value(k)) for k in keys})


coordinate = st.one_of(st.floats(-1e4, 1e4), st.sampled_from([-1e4, 1e4, 0.0, -0.0, 5e-324]))


@st.composite
def trajectory_settings(draw) -> TrajectorySettings:
    return TrajectorySettings(
        surface=draw(st.sampled_from(list(surfaces.SURFACES))),
        condition=draw(st.one_of(st.floats(1, 1e12), st.sampled_from([1.0, 1e300]))),
        steps=draw(st.integers(1, 300)),
        start=draw(st.one_of(st.none(), st.tuples(coordinate, coordinate))),
        optimizers=tuple(draw(st.lists(optimizer_settings(), min_size=1, max_size=4))),
        bound=draw(st.one_of(st.just(trajectory.DEFAULT_BOUND),
                             st.floats(1e4, 1e300), st.just(1e300))),
        noise=draw(st.one_of(st.just(0.0), st.floats(0, settings.MAX_NOISE),
                             st.sampled_from([5e-324, settings.MAX_NOISE]))),
        seed=draw(st.integers(0, settings.MAX_SEED)),
    )


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trajectory_settings())
def test_accepted_settings_always_compute(s: TrajectorySettings) -> None:
    out = s.compute()
    assert len(out) == len(s.optimizers)
    for t, o in zip(out, s.optimizers, strict=True):
        assert t.run.optimizer == o.name
        n = len(t.points)
        assert 1 <= n <= s.steps + 1
        assert tuple(t.points[0]) == s.start_point()
        assert np.isfinite(t.points).all() and (np.abs(t.points) <= s.bound).all()
        assert np.isfinite(t.values).all() and np.isfinite(t.grads).all()
        assert t.values.shape == (n,) and t.grads.shape == (n, 2)
        if n < s.steps + 1:
            assert t.diverged_at == n  # stopped early: the step that went bad
        else:
            assert t.diverged_at is None


junk = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=6),
    st.sampled_from([10**400, -(10**400), np.float32(1.5), np.bool_(True), np.int64(3),
                     np.float64("nan"), Fraction(1, 3), object(), b"12", (1, 2), [0.5],
                     {"a": 1}, np.array([1.0, 2.0]), 2.5 + 0j, "adam", "d2l"]),
)
hyper_key = st.one_of(st.sampled_from(sorted(rules.LABELS)), st.text(max_size=4), junk)
raw_hyper = st.one_of(
    st.dictionaries(hyper_key.filter(lambda k: k.__hash__ is not None),
                    st.one_of(junk, st.floats(0, 2)), max_size=3),
    junk,
)
raw_optimizer = st.tuples(st.one_of(st.sampled_from(list(rules.RULES)), junk), raw_hyper,
                          st.one_of(st.just(""), junk))


@hsettings(max_examples=300, deadline=None)
@given(
    surface=st.one_of(st.sampled_from(list(surfaces.SURFACES)), junk),
    condition=st.one_of(st.floats(0, 1e6), junk),
    steps=st.one_of(st.integers(-3, 60), junk),
    start=st.one_of(st.none(), st.tuples(junk, junk), st.lists(st.floats(), max_size=3), junk),
    optimizers=st.one_of(st.lists(raw_optimizer, max_size=3).map(lambda v: ("build", v)),
                         junk.map(lambda v: ("as is", v))),
    bound=st.one_of(st.floats(), junk),
    noise=st.one_of(st.floats(-1, 2e4), junk),
    seed=st.one_of(st.integers(-3, 2**33), junk),
)
def test_anything_rejected_raises_settings_error(surface, condition, steps, start, optimizers,
                                                 bound, noise, seed) -> None:
    try:
        how, value = optimizers
        built = [OptimizerSettings(*o) for o in value] if how == "build" else value
        s = TrajectorySettings(surface=surface, condition=condition, steps=steps, start=start,
                               optimizers=built, bound=bound, noise=noise, seed=seed)
    except SettingsError as e:
        assert str(e) and "\n" not in str(e)
        return
    if s.steps <= 60:  # accepted junk must run too
        assert all(np.isfinite(t.points).all() for t in s.compute())


text = st.one_of(st.none(), st.text(max_size=8),
                 st.sampled_from(["1", "-5,-2", "nan", "inf", "1e400", "0.5", "adam,sgd",
                                  "rotated", "20", " 3 ", "true"]))


@hsettings(max_examples=300, deadline=None)
@given(surface=text, optimizers=text, steps=text, start=text, condition=text, bound=text,
       noise=text, seed=text,
       hyper=st.dictionaries(st.one_of(st.sampled_from(sorted(rules.LABELS)), st.text(max_size=5)),
                             text.filter(lambda t: t is not None), max_size=3))
def test_from_strings_raises_only_settings_error(**kwargs) -> None:
    try:
        s = TrajectorySettings.from_strings(**kwargs)
    except SettingsError as e:
        assert str(e) and "\n" not in str(e)
        return
    assert isinstance(s, TrajectorySettings)
