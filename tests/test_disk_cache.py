"""The trainer's compiled engine in numba's disk cache: `python -m optviz warm` fills it,
a fresh process's first run takes it from there, a changed source misses it, and a
user's own function never lands in it. Each case runs in subprocesses with
NUMBA_CACHE_DIR in a temporary folder (so the checkout's own cache plays no part);
they are bounded by a timeout, not timed."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from optviz import cli

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 300  # a bound for a hung subprocess, not a speed goal
TRAIN = ["train", "--data", "synthetic", "--impl", "scratch", "--epochs", "1"]


def optviz(cache: Path, *args: str, code: str | None = None) -> str:
    """Run `python -m optviz ARGS` (or `python -c CODE`) with its numba cache in `cache`;
    its stdout, after checking it succeeded."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", code] if code else [sys.executable, "-m", "optviz", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT_S)
    assert done.returncode == 0, done.stderr
    return done.stdout


def cached_files(cache: Path) -> list[Path]:
    return [p for p in cache.rglob("*") if p.is_file()]


def test_after_warm_a_fresh_process_trains_on_the_compiled_engine_from_the_disk_cache(
        tmp_path: Path) -> None:
    cache = tmp_path / "numba"
    before = json.loads(optviz(cache, *TRAIN, "--json"))["scratch"]
    assert (before["engine"], before["engine_source"]) == ("tensor", None)  # nothing cached

    warmed = optviz(cache, "warm", "adam")
    assert "adam, amsgrad, adamw: compiled and cached in" in warmed
    files = cached_files(cache)
    assert any(p.suffix == ".nbc" for p in files) and any(p.suffix == ".nbi" for p in files)

    after = json.loads(optviz(cache, *TRAIN, "--json"))["scratch"]
    assert (after["engine"], after["engine_source"]) == ("compiled", "disk cache")
    assert after["losses"] == pytest.approx(before["losses"], abs=1e-5)
    # the summary says so too; an optimizer with another rule was not warmed
    assert "scratch (compiled engine, loaded from the disk cache): loss" in optviz(cache, *TRAIN)
    assert "scratch (tensor engine): loss" in optviz(cache, *TRAIN, "--optimizer", "rmsprop")
    # loading wrote nothing new (no second entry for the same code)
    assert sorted(cached_files(cache)) == sorted(files)
    assert "adam, amsgrad, adamw: loaded from the disk cache in" in optviz(cache, "warm", "adamw")


def test_a_changed_source_misses_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "numba"
    optviz(cache, "warm", "sgd")
    probe = ("from optviz import rules, train_kernels\n{}"
             "print(train_kernels.load_trainer(rules.RULES['sgd']))")
    assert optviz(cache, code=probe.format("")).strip() == "True"
    # SOURCE_KEY hashes rules.py, ops.py and compiled.py; another value is an edited rule
    edited = probe.format("train_kernels.SOURCE_KEY = 'edited'\n")
    assert optviz(cache, code=edited).strip() == "False"


def test_a_users_function_writes_nothing_to_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "numba"
    code = """
from optviz import trajectory
from optviz.custom_surface import custom_surface
from optviz.trajectory import Run
s = custom_surface("x1**2 + 3*x2**2 + sin(x1*x2)", ((-4, 4), (-4, 4)))
runs = [Run.of("adam", start=s.start, lr=0.1), Run.of("sgd", start=s.start, lr=0.05)]
print(all(r.points.shape == (31, 2) for r in trajectory.run(s, runs, 30, engine="compiled")))
"""
    assert optviz(cache, code=code).strip() == "True"
    assert cached_files(cache) == []


def test_warm_refuses_an_unknown_optimizer(capsys) -> None:
    assert cli.main(["warm", "adamax"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith("optviz: error: ") and "adamax" in err


def test_with_nothing_cached_auto_takes_the_tensor_engine_without_importing_numba(
        tmp_path: Path) -> None:
    code = ("import sys\nfrom optviz import data, trainer\n"
            "t = trainer.Trainer(data.load('synthetic'), epochs=1).fit()\n"
            "print(t.engine_used, 'numba' in sys.modules)")
    assert optviz(tmp_path / "numba", code=code).split() == ["tensor", "False"]
