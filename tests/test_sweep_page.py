"""The hyperparameter sweep page under Streamlit's AppTest (no browser, no JavaScript).

AppTest does not run the fragment's timer, so the tests poll the job themselves and
run the page again, as the timer would.
"""

import json
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from optviz import data, defaults, devices, sweep
from optviz.plots.sweep import narrow_spread, percent_text
from optviz.sweep_axes import DEFAULT_AXES
from ui.jobs import JOBS, STOPPED

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "sweep.py")


@pytest.fixture
def airfoil(monkeypatch, shared_data_dir):
    """The real airfoil data through OPTVIZ_DATA_DIR (shadows conftest's dataset)."""
    monkeypatch.setenv("OPTVIZ_DATA_DIR", str(shared_data_dir))


def _page(**query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _synthetic(at: AppTest, nx: int = 3, ny: int = 2) -> AppTest:
    at.selectbox(key="sweep_data").set_value("synthetic")
    at.number_input(key="lr_n").set_value(nx)
    at.number_input(key="beta1_n").set_value(ny)
    return at.run()


def _wait(at: AppTest, timeout: float = 60.0):
    """Wait for this session's job to end, beating its heart as the fragment would."""
    job = at.session_state["sweep_job"]
    deadline = time.monotonic() + timeout
    while not job.finished and time.monotonic() < deadline:
        job.heartbeat()
        time.sleep(0.02)
    assert job.finished, f"the sweep did not end in {timeout} s: {job.status}"
    return job


def _spec(at: AppTest) -> dict:
    chart = next(e for e in at.main if e.type == "plotly_chart" and e.proto.id)
    return json.loads(chart.proto.spec)


def test_defaults_run_with_no_error(airfoil):
    at = _page()
    _ok(at)
    assert not at.error and not at.warning
    assert at.selectbox(key="x").value == "lr"
    assert at.selectbox(key="y").value == "beta1"
    assert at.selectbox(key="sweep_optimizer").value == "adam"
    assert at.selectbox(key="sweep_data").value == "airfoil"
    assert at.selectbox(key="sweep_device").value == "cpu"
    assert at.selectbox(key="lr_spacing").value == "log"
    assert at.selectbox(key="beta1_spacing").value == "log1m"
    assert at.number_input(key="sweep_batch").value == 10
    assert at.number_input(key="sweep_epochs").value == 2
    # The other two hyperparameters at the chapter's values, labelled as everywhere.
    assert at.number_input(key="fixed_beta2").value == 0.999
    assert at.number_input(key="fixed_eps").value == 1e-6
    assert [n.label for n in at.sidebar.number_input][:2] == ["β2", "ε"]
    assert not at.button(key="sweep_start").disabled
    assert any("500 settings (25 × 20)" in c.value for c in at.caption)
    reasons = devices.available_devices()
    assert at.selectbox(key="sweep_device").options == [d for d, why in reasons.items()
                                                       if why is None]
    for device, why in reasons.items():  # the others, each with its reason
        assert why is None or any(f"{device} ({why})" in c.value for c in at.sidebar.caption)


def test_only_the_adam_family_is_offered(airfoil):
    at = _page()
    assert at.selectbox(key="sweep_optimizer").options == ["Adam", "AMSGrad", "AdamW", "NAdam"]
    at.selectbox(key="sweep_optimizer").set_value("nadam").run()
    _ok(at)
    assert not at.error
    assert at.number_input(key="fixed_beta2").value == 0.999


@pytest.mark.parametrize("key, value, expected", [
    ("lr_min", "2", "Learning rate: min (2) must be below max (1)"),
    ("lr_max", "0.0001", "must be below max"),
    ("lr_min", "nan", "Learning rate: min must be a finite number, got nan"),
    ("lr_max", "abc", "Learning rate: max must be a number, got 'abc'"),
    ("lr_min", "0", "a log axis needs values above 0"),
    ("lr_min", "-1", "a log axis needs values above 0"),
    ("beta1_max", "1", "β1 must be in [0, 1), got 1"),
    ("beta1_max", "1.5", "β1 must be in [0, 1), got 1.5"),
    ("beta1_min", "-0.1", "β1 must be in [0, 1), got -0.1"),
])
def test_each_bad_range_is_one_clear_message(airfoil, key, value, expected):
    at = _page()
    at.text_input(key=key).input(value).run()
    _ok(at)
    assert len(at.error) == 1 and expected in at.error[0].value, [e.value for e in at.error]
    assert at.button(key="sweep_start").disabled


def test_linear_spacing_takes_zero_for_beta(airfoil):
    at = _page()
    at.selectbox(key="beta1_spacing").set_value("linear")
    at.text_input(key="beta1_min").input("0").run()
    _ok(at)
    assert not at.error


def test_the_same_hyperparameter_twice(airfoil):
    at = _page()
    at.selectbox(key="y").set_value("lr").run()
    _ok(at)
    assert len(at.error) == 1
    assert "Choose two different hyperparameters: both axes are Learning rate" in \
        at.error[0].value
    assert at.button(key="sweep_start").disabled


def test_too_many_settings(airfoil, monkeypatch):
    monkeypatch.setattr(sweep, "MAX_SWEEP", 100)
    at = _page()
    _ok(at)
    assert len(at.error) == 1
    assert "500 settings (25 × 20); the limit is 100" in at.error[0].value
    assert at.button(key="sweep_start").disabled


def test_values_per_axis_are_bounded(airfoil):
    at = _page()
    field = at.number_input(key="lr_n")
    assert (field.min, field.max) == (2, 100)


def test_a_bad_batch_size_is_a_message(airfoil):
    at = _page()
    at.number_input(key="sweep_batch").set_value(5000).run()
    _ok(at)
    assert len(at.error) == 1 and "Batch size" in at.error[0].value


def test_a_bad_fixed_hyperparameter_is_a_message(airfoil):
    at = _page()
    at.number_input(key="fixed_beta2").set_value(1.0).run()
    _ok(at)
    assert len(at.error) == 1 and "β2 must be in [0, 1), got 1" in at.error[0].value


def test_airfoil_unavailable_offers_the_synthetic_set(monkeypatch, tmp_path):
    def offline(*args, **kwargs):
        raise data.DataUnavailable("the airfoil data set could not be downloaded (offline?)")

    monkeypatch.setenv("OPTVIZ_DATA_DIR", str(tmp_path))  # a fresh cache key
    monkeypatch.setattr(data, "load_airfoil", offline)
    at = _page()
    _ok(at)
    assert len(at.warning) == 1
    assert "could not be downloaded (offline?)" in at.warning[0].value
    assert at.button(key="sweep_start").disabled
    next(b for b in at.button if "synthetic" in b.label).click().run()
    _ok(at)
    assert at.selectbox(key="sweep_data").value == "synthetic"
    assert not at.warning and not at.error and not at.button(key="sweep_start").disabled


def test_a_small_sweep_runs_as_a_job_and_shows_the_heat_map(airfoil):
    at = _synthetic(_page())
    assert not at.error
    at.button(key="sweep_start").click().run()
    _ok(at)
    job = _wait(at)
    assert job.status == "done", job.error
    at.run()
    _ok(at)
    spec = _spec(at)
    heat = next(t for t in spec["data"] if t["type"] == "heatmap")
    z = heat["z"]  # plotly sends arrays as typed binary data, with their shape
    assert (z["shape"] == "2, 3") if isinstance(z, dict) else (len(z), len(z[0])) == (2, 3)
    assert spec["layout"]["xaxis"]["type"] == "log"
    assert spec["layout"]["xaxis"]["title"]["text"] == "Learning rate"
    assert any(t.get("name") == "best" for t in spec["data"])
    best = next(m.value for m in at.markdown if "Best setting" in m.value)
    assert "Learning rate = " in best and "β1 = " in best and "final loss" in best
    download = at.get("download_button")
    assert len(download) == 1 and "CSV" in download[0].label
    assert not at.button(key="sweep_start").disabled  # free to start again


def test_waiting_for_a_slot_shows_the_place_in_line(airfoil):
    gate, dummies = threading.Event(), []

    def occupy(job):
        while job.alive() and not gate.is_set():
            job.heartbeat()
            time.sleep(0.01)

    try:
        dummies = [JOBS.submit(occupy) for _ in range(JOBS.slots)]
        deadline = time.monotonic() + 10
        while JOBS.running < JOBS.slots and time.monotonic() < deadline:
            time.sleep(0.01)
        at = _synthetic(_page())
        at.button(key="sweep_start").click().run()
        _ok(at)
        plural = "s" if JOBS.slots != 1 else ""
        expected = (f"Waiting for a free slot: {JOBS.slots} job{plural} running, "
                    f"you are number 1 in line")
        assert any(expected in i.value for i in at.info), [i.value for i in at.info]
        assert at.button(key="sweep_start").disabled  # one sweep per session at a time
        assert at.button(key="sweep_stop")  # leave the line
        gate.set()
        job = _wait(at)
        assert job.status == "done", job.error
        at.run()
        _ok(at)
        assert not at.info and any("Best setting" in m.value for m in at.markdown)
    finally:
        gate.set()
        for d in dummies:
            d.stop()


def test_stop_stops_a_running_sweep(airfoil):
    at = _page()
    at.number_input(key="lr_n").set_value(100)
    at.number_input(key="beta1_n").set_value(100)
    at.number_input(key="sweep_epochs").set_value(50).run()
    assert not at.error
    at.button(key="sweep_start").click().run()
    _ok(at)
    job = at.session_state["sweep_job"]
    try:
        deadline = time.monotonic() + 20
        while job.status != "running" and time.monotonic() < deadline:
            job.heartbeat()
            time.sleep(0.01)
        at.run()
        _ok(at)
        assert not job.finished, "the sweep ended before it could be stopped"
        assert len(at.get("progress")) == 1  # the live progress bar
        at.button(key="sweep_stop").click().run()
        _ok(at)
    finally:
        job.stop()
    job = _wait(at)
    assert job.status == STOPPED
    at.run()
    _ok(at)
    assert any("Stopped" in i.value for i in at.info), [i.value for i in at.info]


def test_a_bad_link_is_named_and_the_defaults_are_used(airfoil):
    at = _page(x="bogus", lr_n="abc", sweep_epochs="0", fixed_eps="nan", zzz="1")
    _ok(at)
    (warning,) = at.warning
    for culprit in ("Unknown horizontal axis 'bogus'", "(lr_n)", "Epochs must be a whole",
                    "Fixed ε must be a finite number", "unknown setting 'zzz'"):
        assert culprit in warning.value
    assert at.selectbox(key="x").value == "lr"
    assert at.number_input(key="lr_n").value == DEFAULT_AXES["lr"][2]


@pytest.mark.parametrize("value", ["inf", "-inf", "9" * 400])
def test_an_infinite_whole_number_in_a_link_is_named_not_raised(airfoil, value):
    at = _page(sweep_batch=value)
    _ok(at)
    assert "Batch size must be a finite number" in at.warning[0].value
    assert at.number_input(key="sweep_batch").value == defaults.TRAIN_BATCH_SIZE


def _finished(at: AppTest) -> AppTest:
    at.button(key="sweep_start").click().run()
    _ok(at)
    job = _wait(at)
    assert job.status == "done", job.error
    return at.run()


def test_a_narrow_range_is_said_plainly(airfoil):
    at = _page(lr_min="0.005", lr_max="0.02", lr_n="3", beta1_min="0.8", beta1_max="0.95",
               beta1_n="2")
    at = _finished(at)
    _ok(at)
    s = at.session_state["sweep_job"].result
    spread = narrow_spread(s.final_loss, s.diverged)
    assert spread is not None  # these six settings end within 5 % of each other
    (caption,) = [c.value for c in at.caption if "A narrow range" in c.value]
    assert f"within {percent_text(spread)[1:]} of the best" in caption
    assert f"{s.final_loss.min():.4g} to {s.final_loss.max():.4g}" in caption
    bar = next(t for t in _spec(at)["data"] if t["type"] == "heatmap")["colorbar"]
    assert "above the best" in bar["title"]["text"]
    assert any("Click a cell" in c.value for c in at.caption)  # nothing selected yet


def test_a_wide_range_has_no_narrow_caption(airfoil):
    at = _finished(_synthetic(_page(lr_min="0.0001", lr_max="10")))
    _ok(at)
    s = at.session_state["sweep_job"].result
    assert narrow_spread(s.final_loss, s.diverged) is None
    assert not any("A narrow range" in c.value for c in at.caption)
    bar = next(t for t in _spec(at)["data"] if t["type"] == "heatmap")["colorbar"]
    assert bar["title"]["text"] == "final loss"


def _select(at: AppTest, *points) -> AppTest:
    """The heat map's selection as a click on cells would leave it (AppTest can't click)."""
    job = at.session_state["sweep_job"]
    at.session_state[f"sweep_heatmap_{job.id}"] = {
        "selection": {"points": [{"curve_number": 3, "customdata": p} for p in points],
                      "point_indices": list(points), "box": [], "lasso": []}}
    return at.run()


def test_a_selected_cell_links_to_its_setting(airfoil):
    at = _finished(_synthetic(_page()))
    s = at.session_state["sweep_job"].result
    cell = 4  # iy = 1, ix = 1 of 3 × 2
    at = _select(at, cell)
    _ok(at)
    (selected,) = [m.value for m in at.markdown if "Selected" in m.value]
    lr, beta1 = s.grid.values_x[1], s.grid.values_y[1]
    name = f"lr = {lr:.4g}, β1 = {beta1:.4g}"
    assert f"**Selected:** {name} (final loss {s.final_loss[cell]:.4g}" in selected
    href = selected.split(f"[Open {name} in the explorer](")[1].split(")")[0]
    query = parse_qs(urlsplit(href).query)
    assert urlsplit(href).path == "explorer" and query["opt"] == ["Adam"]
    assert float(query["adam.lr"][0]) == lr and float(query["adam.beta1"][0]) == beta1
    assert float(query["adam.eps"][0]) == at.number_input(key="fixed_eps").value
    (recipe,) = [m.value for m in at.markdown if f"[Open {name} in the trainer](" in m.value]
    assert f"Learning rate **{lr:.4g}**" in recipe and "batch size **10**" in recipe
    href = recipe.split(f"[Open {name} in the trainer](")[1].split(")")[0]
    query = parse_qs(urlsplit(href).query)
    assert urlsplit(href).path == "trainer" and query["data"] == ["Synthetic"]
    assert float(query["train.adam.lr"][0]) == lr and query["batch"] == ["10"]
    assert not any("Click a cell" in c.value for c in at.caption)


def test_a_selection_that_is_not_a_cell_of_this_grid_selects_nothing(airfoil):
    at = _select(_finished(_synthetic(_page())), 6)  # a 3 × 2 grid has cells 0 to 5
    _ok(at)
    assert not any("Selected" in m.value for m in at.markdown)
    assert any("Click a cell" in c.value for c in at.caption)
