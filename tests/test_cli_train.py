"""`python -m optviz train`: JSON keyed by implementation, summaries, one-line errors."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from optviz import cli, data
from tests.cli_helpers import run_json, strict_json

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ["train", "--data", "airfoil", "--impl", "both", "--optimizer", "adam",
           "--lr", "0.01", "--beta1", "0.9", "--beta2", "0.999", "--eps", "1e-6",
           "--batch-size", "10", "--epochs", "2", "--device", "cpu", "--seed", "0", "--json"]
RESULT_KEYS = {"examples", "losses", "sec_per_epoch", "final_loss", "diverged", "stopped",
               "engine", "engine_source"}


@pytest.fixture
def shared_data(monkeypatch: pytest.MonkeyPatch, shared_data_dir) -> Path:
    """OPTVIZ_DATA_DIR at the real airfoil file."""
    monkeypatch.setenv("OPTVIZ_DATA_DIR", str(shared_data_dir))
    return shared_data_dir


@pytest.fixture
def no_airfoil(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No cached airfoil file and no network: loading it raises DataUnavailable."""
    monkeypatch.setenv("OPTVIZ_DATA_DIR", str(tmp_path))

    def offline(*args, **kwargs):
        raise data.DataUnavailable("the airfoil data set could not be downloaded (offline?)")

    monkeypatch.setattr(data, "load_airfoil", offline)




def error_of(capsys: pytest.CaptureFixture, *args: str) -> str:
    assert cli.main([*args]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("optviz: error: ")
    return err.strip()


def test_example_command_json(capsys, shared_data) -> None:
    d = run_json(capsys, *EXAMPLE)
    assert {"scratch", "torch"} <= set(d)
    assert d["data"] == "airfoil" and (d["n"], d["features"]) == (1500, 5)
    assert d["optimizer"] == "adam" and d["device"] == "cpu" and d["seed"] == 0
    assert (d["batch_size"], d["epochs"], d["log_every"]) == (10, 2, 100)
    assert d["hyperparameters"]["lr"] == 0.01 and d["hyperparameters"]["eps"] == 1e-6
    assert d["examples"] == list(range(0, 3001, 100))
    for impl in ("scratch", "torch"):
        r = d[impl]
        assert set(r) == RESULT_KEYS and r["examples"] == d["examples"]
        assert len(r["losses"]) == 31 and r["losses"][0] > 0.45  # the initial loss first
        assert r["final_loss"] == r["losses"][-1] and 0.235 <= r["final_loss"] <= 0.255
        assert len(r["sec_per_epoch"]) == 2 and not r["diverged"] and not r["stopped"]
    assert d["scratch"]["losses"] == pytest.approx(d["torch"]["losses"], abs=1e-5)
    assert d["torch"]["engine"] == "torch" and d["scratch"]["engine"] in ("tensor", "compiled")
    assert d["torch"]["engine_source"] is None
    assert (d["scratch"]["engine"] == "compiled") == (d["scratch"]["engine_source"] is not None)


@pytest.mark.parametrize("impl", ["scratch", "torch"])
def test_one_implementation(capsys, shared_data, impl: str) -> None:
    d = run_json(capsys, "train", "--impl", impl, "--epochs", "1", "--json")
    assert impl in d and ({"scratch", "torch"} - {impl}).isdisjoint(d)
    assert len(d[impl]["losses"]) == 16


def test_the_example_as_a_program(shared_data) -> None:
    env = {**os.environ, "OPTVIZ_DATA_DIR": str(shared_data)}
    done = subprocess.run([sys.executable, "-m", "optviz", *EXAMPLE], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    d = strict_json(done.stdout)
    assert 0.235 <= d["scratch"]["final_loss"] <= 0.255
    assert 0.235 <= d["torch"]["final_loss"] <= 0.255


def test_synthetic_data_works_without_the_file(capsys, no_airfoil) -> None:
    d = run_json(capsys, "train", "--data", "synthetic", "--optimizer", "sgd", "--json")
    # The trainer page's synthetic set (data.SYNTHETIC_LIVE), the same rows.
    assert d["data"] == "synthetic" and d["n"] == 1500 and d["hyperparameters"]["lr"] == 0.05
    assert d["scratch"]["final_loss"] < d["scratch"]["losses"][0]
    assert d["scratch"]["losses"] == pytest.approx(d["torch"]["losses"], rel=1e-4)


def test_a_csv_file_and_its_target(capsys, tmp_path: Path) -> None:
    rows = ["speed,load,noise"] + [f"{i},{(i * 7) % 11},{2 * i + (i % 3)}" for i in range(40)]
    path = tmp_path / "machines.csv"
    path.write_text("\n".join(rows) + "\n")
    d = run_json(capsys, "train", "--data", str(path), "--target", "speed", "--impl",
                 "scratch", "--batch-size", "4", "--log-every", "40", "--json")
    assert (d["n"], d["features"]) == (40, 2) and d["examples"] == [0, 40, 80]
    assert d["scratch"]["final_loss"] < d["scratch"]["losses"][0]


def test_human_summary(capsys, shared_data) -> None:
    assert cli.main(["train", "--epochs", "1"]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert err == "" and len(lines) == 3
    assert lines[0].startswith("airfoil: 1500 examples, 5 features; adam lr=0.01")
    assert re.match(r"  scratch \((tensor engine|compiled engine, (loaded from the disk "
                    r"cache|compiled now|already compiled))\): loss 0\.49", lines[1])
    assert "sec/epoch" in lines[1]
    assert lines[2].startswith("  torch: loss 0.49")


def test_data_unavailable_suggests_synthetic(capsys, no_airfoil) -> None:
    err = error_of(capsys, "train", "--json")
    assert "could not be downloaded" in err and err.endswith("use --data synthetic to train "
                                                             "on generated data instead")


@pytest.mark.parametrize("args,message", [
    (["--lr", "-1"], r"Learning rate must be in (0, ∞), got -1"),
    (["--lr", "abc"], "Learning rate must be a number, got 'abc'"),
    (["--beta1", "1.5"], "β1 must be in [0, 1), got 1.5"),
    (["--optimizer", "sgd", "--beta1", "0.5"], "--beta1 does not apply to sgd"),
    (["--optimizer", "lion"], "Unknown optimizer 'lion'"),
    (["--batch-size", "0"], "Batch size must be a whole number from 1 to 1500, got 0"),
    (["--batch-size", "2.5"], "Batch size must be a whole number from 1 to 1500, got 2.5"),
    (["--epochs", "1000"], "Epochs must be a whole number from 1 to"),
    (["--log-every", "0"], "Log interval must be a whole number ≥ 1, got 0"),
    (["--seed", "-1"], "Seed must be a whole number from 0 to"),
    (["--device", "tpu"], "Unknown device 'tpu'"),
    (["--impl", "jax"], "argument --impl: invalid choice: 'jax'"),
    (["--no-bias-correction"], "Bias correction cannot be turned off in torch.optim"),
    (["--data", "nowhere.csv"], "cannot read nowhere.csv"),
    (["--target", "y"], "--target applies to --data FILE.csv only"),
    (["--steps", "5"], "unrecognized arguments: --steps 5"),
])
def test_bad_values_exit_2_with_one_line(capsys, no_airfoil, args, message: str) -> None:
    data_args = [] if "--data" in args else ["--data", "synthetic"]
    err = error_of(capsys, "train", *data_args, *args)
    assert message in err


def test_bias_correction_off_from_scratch_only(capsys, no_airfoil) -> None:
    d = run_json(capsys, "train", "--data", "synthetic", "--impl", "scratch",
                 "--no-bias-correction", "--json")
    assert d["hyperparameters"]["bias_correction"] is False and "torch" not in d


def test_help_lists_train(capsys) -> None:
    assert cli.main(["--help"]) == 0
    assert "train" in capsys.readouterr().out
    assert cli.main(["train", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--batch-size" in out and "--impl" in out and "example:" in out
