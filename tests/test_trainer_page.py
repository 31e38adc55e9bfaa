"""The live linear-regression page under AppTest (fragment timers do not run here)."""

import threading
import time
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from optviz import data
from ui.jobs import JOBS

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "pages" / "trainer.py")


@pytest.fixture(autouse=True)
def airfoil_offline(monkeypatch, shared_data_dir):
    monkeypatch.setenv("OPTVIZ_DATA_DIR", str(shared_data_dir))


def _page() -> AppTest:
    return AppTest.from_file(PAGE, default_timeout=60).run()


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
    assert "cpu" in at.radio[0].options


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


def test_offline_without_the_data_offers_the_synthetic_set(monkeypatch):
    def offline(*args, **kwargs):
        raise data.DataUnavailable("could not download airfoil_self_noise.dat (offline)")

    monkeypatch.setattr(data, "load_airfoil", offline)
    st.cache_resource.clear()  # the page keeps the loaded set for the whole server
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.run()
    _ok(at)
    assert "offline" in at.warning[0].value and "synthetic" in at.warning[0].value
    assert at.button[0].disabled
    at.selectbox(key="data").set_value("Synthetic").run()
    _ok(at)
    assert not at.button[0].disabled
