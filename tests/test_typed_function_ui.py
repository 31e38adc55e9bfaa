"""A typed function, gradient noise and the basin map, through the settings, the CLI,
the link and the explorer page (AppTest; the chart itself is Chromium's: tests/e2e)."""

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from optviz import cli, payload
from optviz.settings import CUSTOM, OptimizerSettings, TrajectorySettings
from optviz.validate import SettingsError
from tests.cli_helpers import run_json
from ui import chart as chart_ui
from ui import links

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "explorer.py")
HIMMELBLAU = "(x1**2 + x2 - 11)**2 + (x1 + x2**2 - 7)**2"


def _page(**query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def _header(at: AppTest) -> tuple[dict, dict]:
    (chart,) = [e for e in at.main if e.type == "bidi_component"
                and e.proto.component_name == chart_ui.NAME]
    return payload.unpack(chart.proto.bytes)


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


# ------------------------------------------------------------------- settings, CLI


def test_a_typed_function_is_a_surface_of_its_own_over_its_window():
    s = TrajectorySettings(surface="custom", expression=f"  {HIMMELBLAU} ",
                           window=((-5, 5), (-5, 5)), steps=200)
    assert s.expression == HIMMELBLAU and s.start_point() == (-2.5, -2.5)
    (t,) = s.compute()
    assert t.values[-1] < 1e-3 < t.values[0]  # Adam finds one of Himmelblau's minima
    builtin = TrajectorySettings(surface="himmelblau", start=(-2.5, -2.5), steps=200,
                                 optimizers=(OptimizerSettings("adam", {"lr": 0.4}),))
    np.testing.assert_allclose(t.points, builtin.compute()[0].points, atol=1e-9)
    assert TrajectorySettings(surface="custom", expression="x1*x2").window == ((-5, 5), (-5, 5))


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"surface": "custom"}, "Type a function of x1 and x2"),
    ({"surface": "custom", "expression": "x1 +"}, "position"),
    ({"surface": "custom", "expression": "__import__('os')"}, "is not allowed"),
    ({"surface": "custom", "expression": "log(x1)"}, "f is not finite at (-5, -5)"),
    ({"surface": "custom", "expression": "x1", "window": ((1, 0), (0, 1))}, "window's x1"),
    ({"expression": "x1"}, "need the surface 'custom', not 'd2l'"),
    ({"surface": "rosenbrock", "window": ((0, 1), (0, 1))}, "need the surface 'custom'"),
])
def test_a_function_that_cannot_be_used_is_one_line(kwargs, message):
    with pytest.raises(SettingsError, match=None) as e:
        TrajectorySettings(**kwargs)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_the_cli_runs_a_typed_function_and_refuses_a_malicious_one(capsys):
    data = run_json(capsys, "trajectory", "--function", "x1**2 + 10*sin(x2)", "--window",
                    "-4", "4", "-3", "3", "--steps", "30", "--json")
    assert (data["surface"], data["function"], data["window"]) == (
        CUSTOM, "x1**2 + 10*sin(x2)", [[-4, 4], [-3, 3]])
    want = TrajectorySettings(surface=CUSTOM, expression="x1**2 + 10*sin(x2)",
                              window=((-4, 4), (-3, 3)), steps=30).compute(engine="numpy")[0]
    assert data["points"] == want.points.tolist()
    for args, message in [
        (["--function", "().__class__"], "not allowed"),
        (["--function", "9**9**9"], "exponent"),
        (["--function", "x1", "--surface", "rosenbrock"], "leave out --surface rosenbrock"),
        (["--window", "0", "1", "0", "1"], "--window applies to --function only"),
    ]:
        assert cli.main(["trajectory", *args]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err


# ------------------------------------------------------------------------- links


def test_a_link_carries_a_function_its_window_and_the_noise():
    good = {"surface": [links.CUSTOM_TITLE], "f": ["x1**2 + 10*sin(x2)"], "x1min": ["-4"],
            "x1max": ["4"], "noise": ["2"], "seed": ["7"], "ensemble": ["true"],
            "basins": ["true"]}
    assert links.check_query(good) == []
    problems = links.check_query({"f": ["__import__('os')"], "x2max": ["1e9"],
                                  "noise": ["0.4"], "seed": ["-1"]})
    assert len(problems) == 4 and all("\n" not in p for p in problems)
    assert "is not allowed" in problems[0] and "±10000" in problems[1]
    assert "one of the slider's values" in problems[2] and "Seed" in problems[3]


# ------------------------------------------------------------------------- the page


def test_the_page_draws_a_typed_function_from_a_link_and_its_basins():
    at = _page(surface=links.CUSTOM_TITLE, f=HIMMELBLAU, basins="true", steps="50")
    _ok(at)
    assert not at.error and not at.warning
    assert at.text_input(key="f").value == HIMMELBLAU
    header, arrays = _header(at)
    assert header["title"] == "Your function" and header["formula"].startswith("f = ")
    assert len(header["basins"]["minima"]) == 4
    assert header["start"] == [-2.5, -2.5]
    # A function the grammar refuses: one line above the page, nothing run, no chart.
    at.text_input(key="f").set_value("x1.__class__").run()
    _ok(at)
    (error,) = at.error
    assert error.value.startswith("Your function: ") and "\n" not in error.value
    assert not [e for e in at.main if e.type == "bidi_component"]
    at.text_input(key="f").set_value("x1**2 + x2**2").run()
    _ok(at)
    assert not at.error and _header(at)[0]["formula"] == "f = x₁² + x₂²"


def test_switching_to_your_function_starts_from_an_example_in_its_window():
    at = _page()
    at.selectbox(key="surface").set_value(CUSTOM).run()
    _ok(at)
    assert at.text_input(key="f").value == "x1**2 + 10*sin(x2)"
    assert (at.number_input(key="x1").value, at.number_input(key="x2").value) == (-2.5, -2.5)
    assert [r["label"] for r in _header(at)[0]["runs"]] == ["Adam"]


def test_the_noise_slider_seed_and_ensemble_reach_the_chart():
    at = _page()
    plain, _ = _header(at)
    assert "noise" not in plain and at.number_input(key="seed").disabled
    at.select_slider(key="noise").set_value(2.0).run()
    _ok(at)
    header, arrays = _header(at)
    assert header["noise"] == {"sigma": 2.0, "seed": 0}
    assert [s["key"] for s in header["runs"][0]["series"]][:2] == ["g", "g_noisy"]
    assert "ensemble" not in header["runs"][0]
    at.toggle(key="ensemble").set_value(True).run()
    header, arrays = _header(at)
    assert arrays[header["runs"][0]["ensemble"]["points"]].shape[0] == 10
    noisy = arrays[header["runs"][0]["points"]]
    at.number_input(key="seed").set_value(8).run()
    header, arrays = _header(at)
    assert header["noise"]["seed"] == 8
    assert not np.array_equal(arrays[header["runs"][0]["points"]], noisy)
    # The page's seeded run is the library's (and the CLI's: tests/test_cli.py).
    (t,) = TrajectorySettings(noise=2.0, seed=8).compute()
    np.testing.assert_array_equal(arrays[header["runs"][0]["points"]],
                                  t.points.astype(np.float32))
    # The basin map's switch is offered only where there are several minima.
    assert not [t for t in at.toggle if t.key == "basins"]
    at.selectbox(key="surface").set_value("himmelblau").run()
    assert [t for t in at.toggle if t.key == "basins"]


def test_a_preset_may_hold_a_typed_function_and_its_link_opens_it():
    import dataclasses
    from urllib.parse import parse_qs, urlsplit

    from optviz import presets
    from ui.presets import url

    preset = dataclasses.replace(presets.get("chapter"), name="typed", surface=CUSTOM,
                                 expression="x1**2 + 10*sin(x2)", window=((-4, 4), (-3, 3)))
    query = parse_qs(urlsplit(url(preset, lecture=False)).query)
    assert (query["f"], query["x1min"], query["x2max"]) == (["x1**2 + 10*sin(x2)"], ["-4.0"],
                                                           ["3.0"])
    assert links.check_query({k: v for k, v in query.items() if k != "preset"}) == []
    at = _page(**{k: v[0] for k, v in query.items() if k != "preset"})
    _ok(at)
    header, arrays = _header(at)
    (t,) = preset.settings().compute()
    np.testing.assert_allclose(arrays[header["runs"][0]["points"]], t.points, atol=1e-6)
    assert presets.changes(preset, preset.settings()) == []
    moved = dataclasses.replace(preset.settings(), expression="x1**2 + 9*sin(x2)")
    assert presets.changes(preset, moved) == [
        "f: x1**2 + 9*sin(x2), the lesson's x1**2 + 10*sin(x2)"]


def test_a_link_can_open_the_chart_on_predict_then_play():
    assert "predict" not in _header(_page())[0]
    at = _page(predict="1")
    _ok(at)
    assert _header(at)[0]["predict"] is True and not at.warning
    bad = _page(predict="perhaps")
    assert "predict" not in _header(bad)[0]
    assert "Predict, then play must be true or false" in bad.warning[0].value
