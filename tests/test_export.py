"""CSV export of trajectories: one row per run and step, read back with csv.DictReader."""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from optviz import export, sweep, sweep_axes
from optviz.settings import OptimizerSettings
from optviz.surfaces import get_surface
from optviz.trajectory import run


def compute(surface_name: str, specs, steps: int):
    surface = get_surface(surface_name)
    runs = [OptimizerSettings(name, hyper, label).to_run(surface.start)
            for name, hyper, label in specs]
    return run(surface, runs, steps)


def read(text: str) -> tuple[list[str], list[dict]]:
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def column(rows: list[dict], name: str) -> np.ndarray:
    return np.array([float(r[name]) if r[name] != "" else math.nan for r in rows])


SPECS = [("adam", {}, ""), ("momentum", {}, "heavy ball"), ("sgd", {"lr": 20.0}, "too fast")]


def test_header_lists_base_state_and_explained_columns_once():
    trajs = compute("d2l", SPECS, 30)
    header, _ = read(export.trajectories_csv(trajs))
    assert header[: len(export.BASE_COLUMNS)] == list(export.BASE_COLUMNS)
    assert header[len(export.BASE_COLUMNS):] == [
        "m_1", "m_2", "v_1", "v_2", "v_max_1", "v_max_2",
        "momentum_buffer_1", "momentum_buffer_2",
        "m_hat_1", "m_hat_2", "v_hat_1", "v_hat_2", "step_size_1", "step_size_2"]
    assert len(set(header)) == len(header)


def test_values_read_back_equal_the_arrays():
    trajs = compute("rosenbrock", [("adam", {"lr": 0.05}, ""), ("adagrad", {}, "")], 50)
    _, rows = read(export.trajectories_csv(trajs))
    assert len(rows) == sum(len(t.points) for t in trajs)
    for i, t in enumerate(trajs, start=1):
        mine = [r for r in rows if r["run"] == str(i)]
        assert [int(r["step"]) for r in mine] == list(range(t.steps + 1))
        assert {r["optimizer"] for r in mine} == {t.run.optimizer}
        assert {r["label"] for r in mine} == {t.run.label}
        pairs = {"x": t.points, "g": t.grads, "dx": t.deltas, **t.state, **t.explained}
        for name, a in pairs.items():
            sep = "" if name in ("x", "g", "dx") else "_"
            for c in (0, 1):
                # repr round-trips: equal, not just close; NaN (derived values at
                # step 0) written blank.
                np.testing.assert_array_equal(column(mine, f"{name}{sep}{c + 1}"), a[:, c])
        np.testing.assert_array_equal(column(mine, "f"), t.values)


def test_fields_a_run_lacks_are_blank():
    trajs = compute("d2l", SPECS[:2], 10)
    _, rows = read(export.trajectories_csv(trajs))
    adam = [r for r in rows if r["run"] == "1"]
    momentum = [r for r in rows if r["run"] == "2"]
    assert all(r["momentum_buffer_1"] == r["momentum_buffer_2"] == "" for r in adam)
    assert all(r["m_1"] == r["step_size_2"] == "" for r in momentum)
    assert adam[0]["m_hat_1"] == "" and adam[1]["m_hat_1"] != ""  # NaN at step 0


def test_a_diverged_run_ends_at_its_last_good_point():
    trajs = compute("d2l", SPECS, 40)
    bad = trajs[2]
    assert bad.diverged_at is not None
    _, rows = read(export.trajectories_csv(trajs))
    mine = [r for r in rows if r["run"] == "3"]
    assert int(mine[-1]["step"]) == bad.steps == bad.diverged_at - 1
    assert [float(mine[-1]["x1"]), float(mine[-1]["x2"])] == bad.points[-1].tolist()
    assert all(math.isfinite(float(r[k])) for r in mine for k in ("x1", "x2", "f"))


def test_first_row_has_no_step_yet():
    (t,) = compute("d2l", SPECS[:1], 3)
    _, rows = read(export.trajectories_csv([t]))
    assert float(rows[0]["dx1"]) == float(rows[0]["dx2"]) == 0.0
    assert [float(rows[0]["x1"]), float(rows[0]["x2"])] == [-5.0, -2.0]


def test_no_runs_gives_the_header_only():
    assert export.trajectories_csv([]).strip() == ",".join(export.BASE_COLUMNS)


def test_labels_with_commas_and_quotes_survive():
    trajs = compute("d2l", [("adam", {}, 'Adam, "fast"')], 2)
    _, rows = read(export.trajectories_csv(trajs))
    assert rows[0]["label"] == 'Adam, "fast"'


def test_results_csv_of_a_sweep():
    y = sweep_axes.axis_values("beta1", 0.9, 0.999, 3, "log1m")
    grid = sweep.grid("lr", sweep_axes.axis_values("lr", 1e-3, 1.0, 4, "log"), "beta1", y)
    loss = np.array([0.5, 0.3, 0.4, 20.0, 0.6, 0.25, 0.5, 300.0, 0.7, 0.35, 2.0, np.nan])
    diverged = np.arange(12) == 11
    text = export.results_csv(grid, loss, diverged)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 12
    assert list(rows[0]) == ["setting", "optimizer", "lr", "beta1", "final_loss", "diverged"]
    assert rows[5] == {"setting": "5", "optimizer": "adam", "lr": "0.01", "beta1": repr(y[1]),
                       "final_loss": "0.25", "diverged": "false"}
    assert rows[11]["diverged"] == "true" and rows[11]["final_loss"] == "nan"


def test_with_noise_the_gradient_the_optimizer_was_given_has_its_columns():
    surface = get_surface("d2l")
    runs = [OptimizerSettings(n).to_run(surface.start) for n in ("adam", "sgd")]
    noisy = run(surface, runs, 10, noise=0.5, seed=2)
    header, rows = read(export.trajectories_csv(noisy))
    base = len(export.BASE_COLUMNS)
    assert header[base:base + 2] == ["g_noisy_1", "g_noisy_2"]
    first = rows[: len(noisy[0].points)]
    np.testing.assert_array_equal(column(first, "g_noisy_1"), noisy[0].noisy_grads[:, 0])
    np.testing.assert_array_equal(column(first, "g1"), noisy[0].grads[:, 0])  # still ∇f
    assert first[-1]["g_noisy_2"] == ""  # no step from the last point
    header, _ = read(export.trajectories_csv(run(surface, runs, 10)))
    assert "g_noisy_1" not in header
