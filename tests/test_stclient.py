"""The light Streamlit client (tools/stclient.py) against a throwaway app of known answers.

The app runs with the project's public-server settings that matter to the client: XSRF
on, CORS on, error details hidden.
"""

import subprocess
import sys
import textwrap

import pytest

from tests.e2e.servers import free_port, wait_healthy
from tools.stclient import Session

APP = textwrap.dedent("""
    import streamlit as st

    st.title("Known answers")
    n = st.number_input("Count", 0, 100, 3, key="count")
    st.toggle("Shout", key="shout")
    if st.query_params.get("boom") == "1" or n == 13:
        raise RuntimeError("kaboom")
    if st.button("Press", key="press"):
        st.success("pressed")
    st.warning(f"count is {n}")
    st.markdown("**shout**" if st.session_state.shout else "quiet")
    # A components-v2 element: its script would call setStateValue("pick", ...).
    comp = st.components.v2.component("picker", js="export default function () {}")
    state = comp(key="comp", default={"pick": None, "other": 0},
                 on_pick_change=lambda: None, on_other_change=lambda: None)
    st.text(f"pick {state.pick}, other {state.other}")
    st.session_state.runs = st.session_state.get("runs", 0) + 1  # whole-page runs


    @st.fragment
    def part():
        k = st.number_input("Inside", 0, 100, 1, key="inside")
        st.info(f"inside {k}, page runs {st.session_state.runs}")


    part()
""")


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("app")
    (folder / "app.py").write_text(APP)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--server.enableXsrfProtection", "true", "--server.enableCORS", "true",
         "--client.showErrorDetails", "none", "--browser.gatherUsageStats", "false"],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc=proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_clean_run_reads_as_the_page_shows(url):
    with Session(url) as s:
        run = s.open()
        assert run.ok and run.exceptions == []
        assert [h.body for h in run.of_type("heading")] == ["Known answers"]
        assert run.warnings == ["count is 3"] and run.errors == []
        assert run.markdown == ["quiet"]
        assert {"count", "shout", "press"} <= set(run.widgets)
        assert s.health()


def test_an_uncaught_exception_is_reported(url):
    with Session(url) as s:
        run = s.open("", "boom=1")
        assert run.finished and not run.ok
        (exc,) = run.exceptions
        assert "redacted" in exc.message  # showErrorDetails = none hides the text
        assert "kaboom" not in run.text and "Traceback" not in run.text
        assert s.rerun("").ok  # and the session goes on


def test_widgets_are_set_and_clicked_like_a_user_would(url):
    with Session(url) as s:
        s.open()
        assert s.set_widget("count", 7).warnings == ["count is 7"]
        run = s.set_widget("shout", True)
        assert run.markdown == ["**shout**"] and run.warnings == ["count is 7"]  # kept
        assert s.click("press").alerts("success") == ["pressed"]
        assert s.rerun().alerts("success") == []  # a click is sent once
        assert s.set_widget("count", 13).exceptions


def test_a_component_state_is_set_like_its_script_would(url):
    def shown(run):
        return [t.body for t in run.of_type("text")]

    with Session(url) as s:
        run = s.open()
        assert run.widgets["comp"].kind == "bidi_component"
        assert shown(run) == ["pick None, other 0"]
        run = s.set_state("comp", "pick", {"param": "beta1", "value": 0.5})
        assert shown(run) == ["pick {'param': 'beta1', 'value': 0.5}, other 0"]
        run = s.set_state("comp", "other", 2)  # the state it had, with one value set
        assert shown(run) == ["pick {'param': 'beta1', 'value': 0.5}, other 2"]
        with pytest.raises(ValueError):
            s.set_state("count", "pick", 1)


def test_a_widget_in_a_fragment_reruns_that_fragment_alone(url):
    def caption(run):
        return run.alerts("info")

    with Session(url) as s:
        run = s.open()
        assert run.widgets["inside"].fragment_id and not run.widgets["count"].fragment_id
        assert caption(run) == ["inside 1, page runs 1"]
        run = s.set_widget("inside", 5)  # as a browser does: the fragment's id is sent
        assert run.ok and caption(run) == ["inside 5, page runs 1"]
        assert run.warnings == ["count is 3"]  # the rest of the page, as it was drawn
        assert caption(s.set_widget("count", 4)) == ["inside 5, page runs 2"]
