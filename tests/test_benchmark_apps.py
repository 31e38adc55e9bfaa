"""The pages benchmarks/ui_latency.py times: each runs and answers its own input."""

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

APPS = Path(__file__).resolve().parents[1] / "benchmarks" / "apps"


def _run(name: str) -> AppTest:
    at = AppTest.from_file(str(APPS / name), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _value(at: AppTest) -> str:
    (line,) = [m.value for m in at.markdown if m.value.startswith("Value: ")]
    return line


def test_bare_page_shows_its_slider():
    at = _run("bare_app.py")
    assert _value(at) == "Value: 50"
    assert _value(at.slider[0].set_value(51).run()) == "Value: 51"


def test_controls_floor_follows_beta1_like_the_explorer():
    at = _run("controls_app.py")
    # The explorer's controls, the chapter's defaults: Adam from (-5, -2) on 0.1·x1² + 2·x2²;
    # the focused run's fields in the main area, as under the explorer's chart.
    assert at.number_input(key="adam.beta1").value == 0.9
    assert [n.label for n in at.main.number_input][:4] == ["Learning rate", "β1", "β2", "ε"]
    before = _value(at)
    at.number_input(key="adam.beta1").set_value(0.89).run()
    assert not at.exception
    assert _value(at) != before


def test_component_floor_mounts_one_inline_component():
    at = _run("component_app.py")
    (element,) = [e for e in at.main if e.type == "bidi_component"]
    assert element.proto.component_name.endswith("floor")
    assert "textContent" in element.proto.js_content
    assert json.loads(element.proto.json) == "component"
