"""The live linear-regression page under AppTest (fragment timers do not run here)."""

import json
import statistics
import threading
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.testing.v1 import AppTest

from optviz import data
from optviz.validate import SettingsError
from ui.jobs import JOBS
from ui.pace import DEFAULT_PACE, PACES, pace_seconds

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "trainer.py")


@pytest.fixture(autouse=True)
def airfoil_offline(monkeypatch, shared_data_dir):
    monkeypatch.setenv("OPTVIZ_DATA_DIR", str(shared_data_dir))


def _page(pace: str | None = "As fast as possible") -> AppTest:
    """The page; at the given pace (None: the page's default)."""
    at = AppTest.from_file(PAGE, default_timeout=60).run()
    if pace is not None:
        at.radio(key="pace").set_value(pace).run()
    return at


def _finish(at: AppTest, job=None, timeout: float = 60) -> None:
    """Wait for the page's job (the page may already have collected it), then rerun."""
    job = job or at.session_state["job"]
    deadline = time.monotonic() + timeout
    while not job.finished and time.monotonic() < deadline:
        job.heartbeat()  # what the page's fragment does while it polls
        time.sleep(0.05)
    assert job.finished, job.status
    at.run()


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_defaults_are_the_chapters():
    at = _page()
    _ok(at)
    assert at.selectbox(key="optimizer").value == "adam"
    labels = {n.label: n.value for n in at.sidebar.number_input}
    assert labels["Learning rate"] == 0.01 and labels["β1"] == 0.9
    assert labels["β2"] == 0.999 and labels["ε"] == 1e-6
    assert labels["Batch size"] == 10 and labels["Epochs"] == 2
    assert "cpu" in at.sidebar.radio[0].options


def test_both_implementations_reach_the_chapters_loss():
    at = _page()
    at.button[0].click().run()  # Start
    _ok(at)
    _finish(at)
    _ok(at)
    table = at.table[0].value
    assert len(table) == 2
    losses = [float(x) for x in table["final loss"]]
    assert all(0.235 <= loss <= 0.255 for loss in losses)
    assert abs(losses[0] - losses[1]) < 1e-4  # same batches


def test_stop_ends_the_job():
    at = _page()
    at.sidebar.number_input[-2].set_value(50)  # epochs: long enough to stop midway
    at.button[0].click().run()
    job = at.session_state["job"]
    deadline = time.monotonic() + 30
    while len(job.items) < 3 and time.monotonic() < deadline:  # stop it midway
        job.heartbeat()
        time.sleep(0.01)
    at.button[1].click().run()  # Stop
    _finish(at, job)
    assert job.status == "stopped"
    assert at.table[0].value["note"][0] == "stopped early"


def test_waiting_in_line_is_shown_when_every_slot_is_busy():
    gate = threading.Event()

    def hold(job):
        while not gate.is_set() and job.alive():
            job.heartbeat()
            time.sleep(0.01)

    holders = [JOBS.submit(hold) for _ in range(JOBS.slots)]
    try:
        deadline = time.monotonic() + 5
        while JOBS.running < JOBS.slots and time.monotonic() < deadline:
            time.sleep(0.01)
        at = _page()
        at.button[0].click().run()
        _ok(at)
        assert any("Waiting for a free slot" in i.value for i in at.info)
    finally:
        gate.set()
    _finish(at)
    assert len(at.table[0].value) == 2
    assert all(h.finished for h in holders)


def test_a_bad_hyperparameter_warns_and_falls_back():
    at = _page()
    at.number_input(key="train.adam.beta1").set_value(1.5).run()
    _ok(at)
    assert "β1 must be in [0, 1), got 1.5" in at.warning[0].value


def test_offline_without_the_data_offers_the_synthetic_set(monkeypatch, tmp_path):
    monkeypatch.setenv("OPTVIZ_DATA_DIR", str(tmp_path))  # a fresh key: failures are cached

    def offline(*args, **kwargs):
        raise data.DataUnavailable("could not download airfoil_self_noise.dat (offline)")

    monkeypatch.setattr(data, "load_airfoil", offline)
    st.cache_resource.clear()  # the page keeps the loaded set for the whole server
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    _ok(at)
    assert "offline" in at.warning[0].value and "synthetic" in at.warning[0].value
    assert at.button(key="train_start").disabled
    at.selectbox(key="data").set_value("Synthetic").run()
    _ok(at)
    assert not at.button(key="train_start").disabled


# ------------------------------------------------------- issue 14: a run you can watch

FAST = "As fast as possible"


def _set(at: AppTest, label: str, value) -> AppTest:
    next(n for n in at.sidebar.number_input if n.label == label).set_value(value)
    return at.run()


def _run(at: AppTest, impl: str = "From scratch (optviz)") -> AppTest:
    """Start a run with `impl` and wait until the page has collected it."""
    next(r for r in at.sidebar.radio if r.label == "Implementation").set_value(impl)
    at.run()
    at.button(key="train_start").click().run()
    _ok(at)
    if "job" in at.session_state:  # a tiny run may be collected at once
        _finish(at)
    _ok(at)
    assert "job" not in at.session_state  # collected
    return at


def _legend(at: AppTest) -> list[str]:
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    return [t["name"] for t in spec["data"] if t.get("showlegend", True) is not False]


def _chart_points(at: AppTest) -> int:
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    return sum(len(t["x"]) for t in spec["data"] if t.get("mode") == "lines")


def test_repeat_runs_get_distinct_labels_that_name_what_changed():
    at = _run(_page(FAST))
    _run(at)  # the same settings again
    at.number_input(key="train.adam.lr").set_value(0.05).run()
    _run(at)
    _set(at, "Batch size", 20)
    _run(at, "Both, overlaid")
    labels = list(at.table[0].value["run"])
    assert len(set(labels)) == len(labels) == 5, labels
    assert labels[0] == "Run 1 · Adam, lr 0.01, from scratch"
    assert labels[1] == "Run 2 · Adam, lr 0.01, from scratch"
    assert labels[2] == "Run 3 · Adam, lr 0.05, from scratch"
    assert labels[3:] == ["Run 4 · Adam, lr 0.05, from scratch, batch 20",
                          "Run 4 · Adam, lr 0.05, torch.optim, batch 20"]
    assert _legend(at) == labels  # the chart's legend says the same


def test_clear_earlier_runs_keeps_the_latest():
    at = _run(_page(FAST))
    assert at.button(key="clear").disabled  # nothing earlier to clear yet
    at.number_input(key="train.adam.lr").set_value(0.02).run()
    _run(at, "Both, overlaid")
    latest = list(at.table[0].value["run"])[1:]
    at.button(key="clear").click().run()
    _ok(at)
    assert list(at.table[0].value["run"]) == latest  # both curves of the latest run
    assert _legend(at) == latest


def test_seconds_per_epoch_is_a_median_with_every_epoch_on_demand():
    at = _page(FAST)
    _set(at, "Epochs", 5)
    _run(at)
    row = at.table[0].value.iloc[0]
    details = at.dataframe[0].value
    per_epoch = [float(details[f"epoch {k}"][0]) for k in range(1, 6)]
    assert "epoch 6" not in details.columns
    assert float(row["seconds per epoch (median)"]) == pytest.approx(
        statistics.median(per_epoch), abs=1e-4)
    assert "," not in row["seconds per epoch (median)"]  # one number, not a list
    assert any(e.label.startswith("Seconds per epoch") for e in at.expander)


def test_the_pace_control_offers_three_paces_and_keeps_a_valid_one():
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["pace"] = "warp speed"  # no such pace: the page keeps a valid one
    at.run()
    _ok(at)
    pace = at.radio(key="pace")
    assert pace.options == list(PACES) and pace.value in PACES
    assert _page(None).radio(key="pace").value == DEFAULT_PACE != FAST  # watchable by default
    with pytest.raises(SettingsError, match="Pace must be one of"):
        pace_seconds("warp speed")


def test_a_paced_run_is_revealed_over_time_and_kept_whole_once_shown():
    at = _page("About 20 s per run")
    _set(at, "Epochs", 3)
    at.button(key="train_start").click().run()
    job = at.session_state["job"]
    _finish(at, job)  # computed (fast); the page shows it at its pace
    assert job.status == "done"
    computed = len(job.items)
    assert "job" in at.session_state and not at.table  # still being shown
    assert any(c.value.startswith("Showing the run") for c in at.caption)
    shown_first = _chart_points(at)
    assert 1 <= shown_first < computed
    assert not at.button(key="train_stop").disabled and at.button(key="train_start").disabled
    at.session_state["reveal"].started -= 60  # as if the 20 s had passed
    at.run()
    _ok(at)
    assert "job" not in at.session_state
    assert len(at.table[0].value) == 2 and _chart_points(at) == computed
    assert list(at.table[0].value["note"]) == ["", ""]


def test_stop_during_a_paced_run_keeps_what_was_shown():
    at = _page("About 20 s per run")
    at.button(key="train_start").click().run()
    job = at.session_state["job"]
    _finish(at, job)
    at.session_state["reveal"].started -= 10  # halfway through the 20 s
    at.run()
    at.button(key="train_stop").click().run()
    _ok(at)
    table = at.table[0].value
    assert list(table["note"]) == ["stopped early"] * 2
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    for curve, final in zip(spec["data"], table["final loss"], strict=True):
        assert 0 < curve["x"][-1] < 2  # stopped where it was shown, not at the end
        assert final == f"{curve['y'][-1]:.4f}"  # and its final loss is the last shown
    assert 2 < _chart_points(at) < len(job.items)


# --------------------------------------------------- issue 14: data that explains itself


def _offline(monkeypatch):
    def offline(*args, **kwargs):
        raise data.DataUnavailable("the airfoil data set could not be downloaded (offline?)")

    monkeypatch.setattr(data, "load_airfoil", offline)
    st.cache_resource.clear()


def _texts(at: AppTest) -> list[str]:
    """Every text the page shows in its main area and the chart's legend and axes."""
    texts = [e.value for kind in ("title", "caption", "markdown", "info", "warning", "error")
             for e in getattr(at.main, kind)]
    texts += [e.label for e in at.main.expander] + [b.label for b in at.main.button]
    texts += [t.label for t in at.main.toggle]
    if at.get("plotly_chart"):
        texts.append(at.get("plotly_chart")[0].proto.spec)
    if at.table:
        texts += list(at.table[0].value["run"])
    return texts


def test_no_data_offers_the_synthetic_set_with_one_click_and_names_the_folder(
        monkeypatch, tmp_path):
    monkeypatch.setenv("OPTVIZ_DATA_DIR", str(tmp_path))
    _offline(monkeypatch)
    at = _page(FAST)
    warning = at.warning[0].value
    assert "OPTVIZ_DATA_DIR" in warning and data.AIRFOIL_FILE in warning
    assert str(tmp_path) in warning and "offline" in warning
    assert at.button(key="train_start").disabled
    at.button(key="use_synthetic").click().run()
    _ok(at)
    assert at.selectbox(key="data").value == "Synthetic"
    assert not at.warning and not at.button(key="train_start").disabled


def test_without_optviz_data_dir_the_message_names_the_default_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("OPTVIZ_DATA_DIR")
    monkeypatch.setenv("HOME", str(tmp_path))
    _offline(monkeypatch)
    at = _page(FAST)
    warning = at.warning[0].value
    assert "OPTVIZ_DATA_DIR" in warning and "not set" in warning
    assert str(tmp_path / ".cache" / "optviz") in warning


CSV = "speed,angle,noise\n" + "".join(f"{i},{i % 3},{2 * i + i % 5}\n" for i in range(40))


def _upload(at: AppTest, name: str = "wind tunnel.csv", content: str = CSV) -> AppTest:
    at.selectbox(key="data").set_value("Upload CSV").run()
    at.file_uploader[0].set_value((name, content.encode(), "text/csv")).run()
    _ok(at)
    return at


def test_an_upload_shows_its_preview():
    at = _upload(_page(FAST))
    preview = next(e for e in at.main.expander if e.label.startswith("Your data"))
    assert "wind tunnel.csv" in preview.label
    text = preview.markdown[0].value
    assert "40 rows" in text and "3 columns" in text and "noise" in text
    assert "standardized" in text
    table = at.dataframe[0].value
    assert list(table.columns) == ["speed", "angle", "noise (target)"]
    assert len(table) == 5
    expected = data.parse_csv(CSV, "wind tunnel.csv")
    assert table["speed"].tolist() == pytest.approx(expected.features[:5, 0], abs=1e-3)
    at.sidebar.selectbox[-1].set_value("speed").run()  # another target
    assert list(at.dataframe[0].value.columns) == [
        "angle", "noise", "speed (target)"]


@pytest.mark.parametrize("choice", ["Synthetic", "Upload CSV"])
def test_every_text_follows_the_chosen_data(choice, monkeypatch):
    names = []
    original = DeltaGenerator.download_button

    def spy(self, label, data_, *args, file_name=None, **kwargs):
        names.append(file_name)
        return original(self, label, data_, *args, file_name=file_name, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", spy)
    at = _page(FAST)
    at.selectbox(key="data").set_value(choice).run()
    if choice == "Upload CSV":
        _upload(at)
    _run(at, "Both, overlaid")
    texts = _texts(at)
    assert not [t for t in texts if "airfoil" in t.lower() or "0.245" in t]
    assert not at.main.toggle  # the chapter's y range is the airfoil set's
    stem = "synthetic" if choice == "Synthetic" else "wind-tunnel"
    assert names[-1] == f"optviz-{stem}-training-log.csv"
    caption = at.caption[0].value
    assert ("synthetic" in caption) if choice == "Synthetic" else ("wind tunnel.csv" in caption)


def test_the_synthetic_default_run_ends_near_its_noise_floor_on_the_page():
    at = _page(FAST)
    at.selectbox(key="data").set_value("Synthetic").run()
    _run(at, "Both, overlaid")
    floor = data.noise_floor(data.synthetic(**data.SYNTHETIC_LIVE))
    assert f"{floor:.4f}" in at.caption[0].value  # the page names its floor
    losses = [float(x) for x in at.table[0].value["final loss"]]
    assert all(floor <= loss < 1.1 * floor for loss in losses)
