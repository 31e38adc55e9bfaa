"""The command line, in process through `cli.main` and once as `python -m optviz`."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from optviz import cli, presets, rules, surfaces
from optviz.cli import trajectory as cli_trajectory
from optviz.defaults import DEFAULTS
from optviz.settings import TrajectorySettings
from tests.cli_helpers import run_json, strict_json

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ["trajectory", "--surface", "d2l", "--optimizer", "adam", "--lr", "0.4",
           "--beta1", "0.9", "--beta2", "0.999", "--eps", "1e-6", "--steps", "20",
           "--start", "-5", "-2", "--json"]
RUN_KEYS = {"optimizer", "label", "hyperparameters", "points", "values", "gradients",
            "noisy_gradients", "diverged_at", "steps_taken", "state", "explained"}




def d2l(x1: float, x2: float) -> float:
    return 0.1 * x1 * x1 + 2 * x2 * x2


def check_example(data: dict) -> None:
    assert data["surface"] == "d2l" and data["optimizer"] == "adam"
    assert data["steps"] == 20 and data["start"] == [-5, -2] and data["diverged_at"] is None
    assert len(data["points"]) == 21 and data["points"][0] == [-5, -2]
    assert data["values"] == pytest.approx([d2l(*p) for p in data["points"]], rel=1e-15)
    assert data["hyperparameters"] == {
        "lr": 0.4, "beta1": 0.9, "beta2": 0.999, "eps": 1e-6, "weight_decay": 0.0,
        "amsgrad": False, "bias_correction": True, "decoupled_weight_decay": False}


# -------------------------------------------------------------------- JSON output


def test_example_command_json(capsys: pytest.CaptureFixture) -> None:
    data = run_json(capsys, *EXAMPLE)
    check_example(data)
    assert set(data) >= RUN_KEYS
    assert len(data["runs"]) == 1 and data["runs"][0] == {k: data[k] for k in RUN_KEYS}
    assert data["condition"] is None and data["minima"] == [[0, 0]] and data["bound"] == 1e6
    assert len(data["gradients"]) == 21
    assert data["gradients"][0] == pytest.approx([0.2 * -5, 4 * -2])
    assert set(data["state"]) == {"m", "v", "v_max"}
    assert set(data["explained"]) == {"m_hat", "v_hat", "step_size"}
    assert data["explained"]["m_hat"][0] == [None, None]  # nothing before the first step
    assert all(len(rows) == 21 for rows in (*data["state"].values(), *data["explained"].values()))
    assert data["steps_taken"] == 20


def test_example_matches_the_chapters_adam_from_scratch(capsys: pytest.CaptureFixture) -> None:
    data = run_json(capsys, *EXAMPLE)
    x, m, v = np.array([-5.0, -2.0]), np.zeros(2), np.zeros(2)
    expected, m_hats = [x.copy()], []
    for t in range(1, 21):
        g = np.array([0.2 * x[0], 4 * x[1]])
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        m_hat, v_hat = m / (1 - 0.9**t), v / (1 - 0.999**t)
        x = x - 0.4 * m_hat / (np.sqrt(v_hat) + 1e-6)
        expected.append(x.copy())
        m_hats.append(m_hat)
    assert np.allclose(data["points"], expected, rtol=1e-12, atol=1e-14)
    assert np.allclose(data["explained"]["m_hat"][1:], m_hats, rtol=1e-12, atol=1e-14)


def test_example_command_as_a_module() -> None:
    done = subprocess.run([sys.executable, "-m", "optviz", *EXAMPLE], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    check_example(strict_json(done.stdout))


def test_momentum_matches_a_hand_written_loop(capsys: pytest.CaptureFixture) -> None:
    data = run_json(capsys, "trajectory", "--optimizer", "momentum", "--lr", "0.4",
                    "--momentum", "0.5", "--steps", "20", "--json")
    x1, x2, v1, v2 = -5.0, -2.0, 0.0, 0.0
    expected = [[x1, x2]]
    for _ in range(20):
        v1, v2 = 0.5 * v1 + 0.2 * x1, 0.5 * v2 + 4 * x2
        x1, x2 = x1 - 0.4 * v1, x2 - 0.4 * v2
        expected.append([x1, x2])
    assert np.allclose(data["points"], expected, rtol=1e-12, atol=1e-14)
    assert data["hyperparameters"]["momentum"] == 0.5
    assert set(data["state"]) == {"momentum_buffer"} and data["explained"] == {}


def test_defaults_are_the_chapters(capsys: pytest.CaptureFixture) -> None:
    data = run_json(capsys, "trajectory", "--json")
    assert data["optimizer"] == "adam" and data["surface"] == "d2l"
    assert len(data["points"]) == 21 and data["points"][0] == [-5, -2]
    assert data["hyperparameters"]["lr"] == 0.4 and data["hyperparameters"]["eps"] == 1e-6


def test_a_function_brings_its_own_defaults_for_what_is_not_given(
        capsys: pytest.CaptureFixture) -> None:
    """Steps, start and each optimizer's η: the function's own (`optviz.surfaces`)."""
    data = run_json(capsys, "trajectory", "--surface", "rosenbrock", "--optimizer", "adam",
                    "--optimizer", "sgd", "--json")
    rosenbrock = surfaces.SURFACES["rosenbrock"]
    assert (data["steps"], data["start"]) == (rosenbrock.steps, list(rosenbrock.start))
    runs = data["runs"]
    assert [r["hyperparameters"]["lr"] for r in runs] == [rosenbrock.lr["adam"],
                                                          rosenbrock.lr["sgd"]]
    assert all(r["diverged_at"] is None and len(r["points"]) == rosenbrock.steps + 1
               for r in runs)
    assert runs[0]["hyperparameters"]["eps"] == 1e-6  # the chapter's, as on any function
    given = run_json(capsys, "trajectory", "--surface", "rosenbrock", "--optimizer", "adam",
                     "--optimizer", "sgd", "--lr", "0.4", "--steps", "5", "--start", "0", "0",
                     "--json")
    assert [r["hyperparameters"]["lr"] for r in given["runs"]] == [0.4, 0.4]
    assert (given["steps"], given["start"]) == (5, [0, 0])


def test_repeated_optimizer(capsys: pytest.CaptureFixture) -> None:
    data = run_json(capsys, "trajectory", "--optimizer", "adam", "--optimizer", "SGD",
                    "--optimizer", "rmsprop", "--beta1", "0.5", "--lr", "0.1",
                    "--centered", "--steps", "7", "--json")
    runs = data["runs"]
    assert [r["optimizer"] for r in runs] == ["adam", "sgd", "rmsprop"]
    assert data["optimizer"] == "adam" and data["points"] == runs[0]["points"]
    assert [r["hyperparameters"]["lr"] for r in runs] == [0.1, 0.1, 0.1]
    assert runs[0]["hyperparameters"]["beta1"] == 0.5 and "beta1" not in runs[1]["hyperparameters"]
    assert runs[2]["hyperparameters"]["centered"] is True
    assert all(len(r["points"]) == 8 for r in runs)
    expected = TrajectorySettings.from_strings(optimizers="sgd", steps="7",
                                               hyper={"lr": "0.1"}).compute()[0]
    assert np.array_equal(runs[1]["points"], expected.points)


def test_rotated_surface_and_flags(capsys: pytest.CaptureFixture) -> None:
    data = run_json(capsys, "trajectory", "--surface", "rotated", "--condition", "100",
                    "--optimizer", "adamw", "--amsgrad", "--no-bias-correction",
                    "--weight-decay", "0.1", "--start", "-1e3", "-.5", "--steps", "3", "--json")
    assert data["condition"] == 100 and data["start"] == [-1000, -0.5]
    hp = data["hyperparameters"]
    assert hp["amsgrad"] is True and hp["bias_correction"] is False
    assert hp["decoupled_weight_decay"] is True and hp["weight_decay"] == 0.1
    s = surfaces.get_surface("rotated", 100.0)
    assert data["values"] == pytest.approx([s.f(*p) for p in data["points"]], rel=1e-14)


def test_divergence_is_reported_and_nan_becomes_null(capsys: pytest.CaptureFixture) -> None:
    data = run_json(capsys, "trajectory", "--optimizer", "sgd", "--lr", "20", "--steps", "50",
                    "--json")
    k = data["diverged_at"]
    assert isinstance(k, int) and 1 <= k <= 50
    assert len(data["points"]) == k == data["steps_taken"] + 1
    assert all(math.isfinite(c) for p in data["points"] for c in p)


@hsettings(max_examples=40, deadline=None)
@given(name=st.sampled_from(list(rules.RULES)),
       lr=st.sampled_from(["1e-300", "1e-3", "0.4", "5", "1e10", "1e300"]),
       surface=st.sampled_from(list(surfaces.SURFACES)))
def test_json_is_always_strict(name: str, lr: str, surface: str) -> None:
    config = TrajectorySettings.from_strings(surface=surface, optimizers=name, steps="40",
                                             hyper={"lr": lr})
    text = json.dumps(cli_trajectory.result_to_json(config, config.compute()), allow_nan=False)
    data = strict_json(text)
    assert data["points"][0] == list(config.start_point())


# ------------------------------------------------------------------- other output


def test_summary(capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["trajectory", "--optimizer", "momentum", "--optimizer", "sgd",
                     "--lr", "20"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert out.startswith("D2L quadratic: f = 0.1 x1² + 2 x2²; 20 steps from (-5, -2)")
    assert "Momentum: lr=20 momentum=0.5" in out
    assert "diverged at step" in out


def test_summary_distance_to_minimum(capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["trajectory", "--optimizer", "momentum", "--steps", "200"]) == 0
    out = capsys.readouterr().out
    assert "distance to the nearest minimum (0, 0)" in out


@pytest.mark.parametrize("args", [["--help"], ["trajectory", "--help"]])
def test_help_lists_surfaces_and_optimizers(capsys: pytest.CaptureFixture, args) -> None:
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in (*surfaces.SURFACES, *rules.RULES))


def test_trajectory_help_lists_every_hyperparameter(capsys: pytest.CaptureFixture) -> None:
    cli.main(["trajectory", "--help"])
    out = capsys.readouterr().out
    for key in rules.BOUNDS:
        assert "--" + key.replace("_", "-") in out
    for flag in ("--amsgrad", "--no-bias-correction", "--centered", "--json", "--html",
                 "--noise SIGMA", "--seed N"):
        assert flag in out


def test_a_seeded_noisy_run_is_reproducible(capsys: pytest.CaptureFixture) -> None:
    args = ["trajectory", "--optimizer", "adam", "--optimizer", "sgd", "--noise", "0.5",
            "--seed", "17", "--json"]
    first = run_json(capsys, *args)
    assert run_json(capsys, *args) == first
    assert first["noise"] == 0.5 and first["seed"] == 17
    assert run_json(capsys, *args[:-2], "18", "--json")["points"] != first["points"]
    # What the optimizer was given: ∇f plus the seed's σ ξ, the same for both runs.
    xi = np.random.default_rng(17).standard_normal((20, 2))
    for run in first["runs"]:
        noisy, grads = np.array(run["noisy_gradients"][:-1]), np.array(run["gradients"][:-1])
        np.testing.assert_allclose(noisy - grads, 0.5 * xi, atol=1e-12)
        assert run["noisy_gradients"][-1] == [None, None]
    plain = run_json(capsys, *EXAMPLE)
    assert plain["noise"] == 0.0 and plain["seed"] == 0 and plain["noisy_gradients"] is None
    assert run_json(capsys, *EXAMPLE, "--noise", "0", "--seed", "0") == plain
    zero_other_seed = run_json(capsys, *EXAMPLE, "--noise", "0", "--seed", "99")
    assert {**zero_other_seed, "seed": 0} == plain  # σ = 0: the seed changes nothing else


def test_a_seeded_noisy_run_is_reproducible_across_processes() -> None:
    args = [sys.executable, "-m", "optviz", "trajectory", "--surface", "rosenbrock",
            "--noise", "20", "--seed", "5", "--steps", "50", "--json"]
    outs = [subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=True,
                           timeout=60).stdout for _ in range(2)]
    assert outs[0] == outs[1] and strict_json(outs[0])["noisy_gradients"] is not None


def test_summary_names_the_noise(capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["trajectory", "--noise", "0.25", "--seed", "3"]) == 0
    assert "gradient noise σ = 0.25, seed 3" in capsys.readouterr().out
    assert cli.main(["trajectory"]) == 0
    assert "noise" not in capsys.readouterr().out


def test_html(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "trajectory.html"
    assert cli.main(["trajectory", "--optimizer", "adam", "--optimizer", "momentum",
                     "--html", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(path) and err == ""
    assert "plotly" in path.read_text(encoding="utf-8")
    assert cli.main(["trajectory", "--html", str(tmp_path / "missing" / "x.html")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("optviz: error: cannot write") and err.count("\n") == 1


def test_startup_imports_neither_torch_nor_plotly() -> None:
    code = ("import contextlib, io, sys\n"
            "from optviz import cli\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    assert cli.main(['trajectory', '--json']) == 0\n"
            "print(sorted(m for m in ('torch', 'plotly', 'streamlit') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# ------------------------------------------------------------------------ errors

BAD = [
    (["--beta1", "1.5"], "optviz: error: β1 must be in [0, 1), got 1.5"),
    (["--beta2", "1"], "β2 must be in [0, 1), got 1"),
    (["--beta1", "-0.1"], "β1 must be in [0, 1), got -0.1"),
    (["--beta1", "abc"], "β1 must be a number, got 'abc'"),
    (["--eps", "0"], "ε must be in (0, ∞), got 0"),
    (["--eps", "-1e-8"], "ε must be in (0, ∞), got -1e-08"),
    (["--lr", "0"], "Learning rate must be in (0, ∞), got 0"),
    (["--lr", "-0.4"], "Learning rate must be in (0, ∞), got -0.4"),
    (["--lr", "nan"], "Learning rate must be a finite number in (0, ∞), got nan"),
    (["--lr", "inf"], "Learning rate must be a finite number in (0, ∞), got inf"),
    (["--lr", "-inf"], "Learning rate must be a finite number in (0, ∞), got -inf"),
    (["--lr", "1e999"], "Learning rate must be a finite number in (0, ∞), got inf"),
    (["--lr", "0x10"], "Learning rate must be a number, got '0x10'"),
    (["--steps", "5001"], "Steps must be a whole number from 1 to 5000, got 5001"),
    (["--steps", "0"], "Steps must be a whole number from 1 to 5000, got 0"),
    (["--steps", "2.5"], "Steps must be a whole number from 1 to 5000, got 2.5"),
    (["--steps", "many"], "Steps must be a number, got 'many'"),
    (["--start", "1", "nan"], "Start x2 must be a finite number, got nan"),
    (["--start", "1e5", "0"], "Start x1 must be a finite number from -10000 to 10000"),
    (["--start", "1"], "argument --start: expected 2 arguments"),
    (["--surface", "sphere"], "Unknown surface 'sphere'; choose one of: d2l, rosenbrock,"),
    (["--optimizer", "lion"], "Unknown optimizer 'lion'; choose one of: sgd, momentum,"),
    (["--surface", "rotated", "--condition", "0.5"],
     "Condition number κ must be a finite number ≥ 1, got 0.5"),
    (["--condition", "5"], "--condition applies to --surface rotated only, not d2l"),
    (["--bound", "1"], "Start point (-5, -2) lies outside the bound 1"),
    (["--rho", "2", "--optimizer", "adadelta"], "ρ must be in [0, 1], got 2"),
    (["--optimizer", "adam"] * 17, "Choose from 1 to 16 optimizers, got 17"),
    (["--json", "--html", "x.html"], "argument --html: not allowed with argument --json"),
    (["--frobnicate"], "unrecognized arguments: --frobnicate"),
    (["--b", "0.9"], "unrecognized arguments: --b"),  # no abbreviations
    (["--noise", "-0.5"], "Gradient noise σ must be a finite number from 0 to 10000, got -0.5"),
    (["--noise", "1e5"], "Gradient noise σ must be a finite number from 0 to 10000, got 100000"),
    (["--noise", "nan"], "Gradient noise σ must be a finite number, got nan"),
    (["--noise", "loud"], "Gradient noise σ must be a number, got 'loud'"),
    (["--seed", "1.5"], "Seed must be a whole number from 0 to 4294967295, got 1.5"),
    (["--seed", "-1"], "Seed must be a whole number from 0 to 4294967295, got -1"),
    (["--seed", "4294967296"], "Seed must be a whole number from 0 to 4294967295"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=lambda v: " ".join(v)[:40])
def test_bad_values_exit_2_with_one_line(capsys: pytest.CaptureFixture, args, message) -> None:
    assert cli.main(["trajectory", *args]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("optviz: error: ")
    assert message in err
    assert "Traceback" not in err and "usage:" not in err


INAPPLICABLE = [
    (["--amsgrad"], "--amsgrad does not apply to adam (it takes: --lr, --beta1, --beta2, --eps, "
                    "--weight-decay, --[no-]bias-correction); use --optimizer amsgrad instead"),
    (["--optimizer", "sgd", "--momentum", "0.9"],
     "--momentum does not apply to sgd (it takes: --lr, --dampening, --weight-decay); "
     "use --optimizer momentum instead"),
    (["--optimizer", "sgd", "--beta1", "0.9"], "--beta1 does not apply to sgd"),
    (["--optimizer", "momentum", "--nesterov"], "use --optimizer nesterov instead"),
    (["--optimizer", "sgd", "--no-bias-correction"], "--no-bias-correction does not apply to sgd"),
    (["--optimizer", "adagrad", "--optimizer", "sgd", "--rho", "0.5"],
     "--rho does not apply to adagrad or sgd; it applies to adadelta"),
    (["--optimizer", "amsgrad", "--no-amsgrad"], "--no-amsgrad does not apply to amsgrad"),
]


@pytest.mark.parametrize(("args", "message"), INAPPLICABLE, ids=lambda v: " ".join(v)[:40])
def test_hyperparameter_the_optimizer_lacks_exits_2(capsys: pytest.CaptureFixture, args,
                                                    message) -> None:
    assert cli.main(["trajectory", *args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert err.startswith("optviz: error: ") and message in err


def test_missing_command(capsys: pytest.CaptureFixture) -> None:
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert err == "optviz: error: the following arguments are required: COMMAND\n"


def test_bad_value_as_a_module() -> None:
    done = subprocess.run([sys.executable, "-m", "optviz", "trajectory", "--beta1", "1.5"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == "optviz: error: β1 must be in [0, 1), got 1.5\n"


def test_step_cap_from_the_environment() -> None:
    done = subprocess.run([sys.executable, "-m", "optviz", "trajectory", "--steps", "31"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "OPTVIZ_MAX_STEPS": "30",
                               "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 2
    assert done.stderr == "optviz: error: Steps must be a whole number from 1 to 30, got 31\n"


# ------------------------------------------------------------------------ presets


@pytest.mark.parametrize("name", presets.PRESETS)
def test_preset_runs_its_settings(capsys: pytest.CaptureFixture, name: str) -> None:
    # The CLI runs the NumPy loop (no compile for one command): the same loop here, so
    # the order of tests (which may have warmed the compiled one) cannot matter.
    expected = presets.get(name).settings()
    data = run_json(capsys, "trajectory", "--preset", name, "--json")
    assert (data["surface"], data["steps"]) == (expected.surface, expected.steps)
    assert [r["optimizer"] for r in data["runs"]] == [o.name for o in expected.optimizers]
    for run, want in zip(data["runs"], expected.compute(engine="numpy"), strict=True):
        assert run["points"] == cli_trajectory.run_to_json(want)["points"]


def test_options_beside_a_preset_change_it(capsys: pytest.CaptureFixture) -> None:
    data = run_json(capsys, "trajectory", "--preset", "eps-large", "--steps", "5",
                    "--optimizer", "adam", "--beta1", "0.5", "--json")
    assert data["steps"] == 5 and [r["optimizer"] for r in data["runs"]] == ["adam"]
    hp = data["hyperparameters"]  # the preset's lr, eps and bias switch, the given β1
    assert (hp["lr"], hp["eps"], hp["bias_correction"], hp["beta1"]) == (40, 100, False, 0.5)
    noisy = run_json(capsys, "trajectory", "--preset", "eps-large", "--steps", "5",
                     "--noise", "0.3", "--seed", "2", "--json")
    assert (noisy["noise"], noisy["seed"], noisy["steps"]) == (0.3, 2, 5)
    assert noisy["noisy_gradients"] is not None


def test_unknown_preset_is_one_line(capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["trajectory", "--preset", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("optviz: error: Unknown preset 'nope'") and err.count("\n") == 1


@pytest.mark.parametrize(("command", "kind"), [("trajectory", "explorer"), ("train", "trainer")])
def test_help_shows_the_defaults_that_run(capsys: pytest.CaptureFixture, command: str,
                                          kind: str) -> None:
    """The defaults table in --help is generated from optviz.defaults: each optimizer's
    line holds its chapter values, starred."""
    assert cli.main([command, "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for name, values in DEFAULTS.items():
        for key, value in getattr(values, kind).items():
            assert f"{key}={value:g}*" in out, (name, key)
    if command == "trajectory":  # and every function's own
        for name, surface in surfaces.SURFACES.items():
            rates = " ".join(f"{o}={lr:g}" for o, lr in surface.lr.items())
            assert f"{name} start=({surface.start[0]:g}, {surface.start[1]:g}) " \
                   f"steps={surface.steps} lr: {rates}" in out, name
