"""The trajectory explorer page under Streamlit's AppTest (no browser, no JavaScript)."""

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from optviz import payload, presets, rules, surfaces
from optviz.defaults import DEFAULTS
from ui import chart as chart_ui
from ui import controls
from ui.presets import url

PAGE = str(Path(__file__).resolve().parents[1] / "pages" / "explorer.py")


def _page(**query) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    return at.run()


def _payload(at: AppTest) -> tuple[dict, dict]:
    """The header and arrays the chart component was sent (it draws nothing under
    AppTest, which runs no JavaScript)."""
    (chart,) = [e for e in at.main if e.type == "bidi_component"
                and e.proto.component_name == chart_ui.NAME]
    return payload.unpack(chart.proto.bytes)


def _paths(at: AppTest) -> list[dict]:
    """Each drawn run: its legend name, whether it is dashed, and its points."""
    header, arrays = _payload(at)
    return [{"name": r["label"], "dashed": r["dashed"], "points": arrays[r["points"]].tolist()}
            for r in header["runs"]]


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def test_defaults_are_the_chapters():
    at = _page()
    _ok(at)
    assert not at.warning and not at.error
    assert at.selectbox(key="surface").value == "d2l"
    assert at.number_input(key="steps").value == 20
    assert (at.number_input(key="x1").value, at.number_input(key="x2").value) == (-5, -2)
    assert at.multiselect(key="opt").value == ["adam"]
    assert at.number_input(key="adam.lr").value == 0.4
    assert at.number_input(key="adam.beta1").value == 0.9
    assert at.number_input(key="adam.beta2").value == 0.999
    assert at.number_input(key="adam.eps").value == 1e-6
    # The focused run's fields sit under the chart, beside its sliders; the sidebar keeps
    # what every run shares.
    assert [n.label for n in at.main.number_input][:4] == ["Learning rate", "β1", "β2", "ε"]
    assert [n.label for n in at.sidebar.number_input] == ["Steps", "Start x1", "Start x2", "Seed"]
    (row,) = at.table[0].value.to_dict("records")
    assert row["optimizer"] == "Adam" and "from the minimum (0, 0)" in row["result"]


@pytest.mark.parametrize("name", list(surfaces.SURFACES))
def test_every_function(name):
    at = _page()
    at.selectbox(key="surface").set_value(name).run()
    _ok(at)
    assert not at.warning
    # A new function starts from its own default start, with its own steps and η.
    _assert_function_defaults(at, name, ["adam"])


def _assert_function_defaults(at: AppTest, name: str, optimizers: list[str]) -> None:
    """The fields hold function `name`'s defaults, and the chart was sent their runs."""
    surface = surfaces.SURFACES[name]
    assert (at.number_input(key="x1").value, at.number_input(key="x2").value) == surface.start
    assert at.number_input(key="steps").value == surface.steps
    for opt in optimizers:
        want = surface.lr.get(opt, DEFAULTS[opt].explorer["lr"])
        assert at.number_input(key=f"{opt}.lr").value == want, opt
    header, _ = _payload(at)
    assert [r["steps"] for r in header["runs"]] == [surface.steps] * len(optimizers)


def test_switching_function_applies_its_defaults_and_keeps_the_rest():
    at = _page(opt=["Adam", "SGD"], steps="50", **{"adam.lr": "0.05", "sgd.lr": "0.1",
                                                     "adam.beta1": "0.5", "x1": "-4"})
    _ok(at)
    assert at.number_input(key="adam.lr").value == 0.05 and at.number_input(key="x1").value == -4
    at.selectbox(key="surface").set_value("rosenbrock").run()
    _ok(at)
    assert not at.warning
    _assert_function_defaults(at, "rosenbrock", ["adam", "sgd"])
    assert at.number_input(key="adam.lr").value == 0.006  # the slider's value, not 0.4
    assert at.number_input(key="adam.beta1").value == 0.5  # not a function's default: kept
    at.selectbox(key="surface").set_value("d2l").run()  # and back: the chapter's
    _assert_function_defaults(at, "d2l", ["adam", "sgd"])
    assert at.number_input(key="adam.lr").value == 0.4 and at.number_input(key="steps").value == 20


def test_reset_restores_the_functions_defaults():
    at = _page(surface="Booth", opt=["Adam", "Nesterov momentum"])
    _ok(at)
    _assert_function_defaults(at, "booth", ["adam", "nesterov"])
    at.number_input(key="steps").set_value(7)
    at.number_input(key="x2").set_value(1.25)
    at.number_input(key="adam.lr").set_value(0.3)
    at.number_input(key="nesterov.lr").set_value(0.001)
    at.number_input(key="adam.beta2").set_value(0.9).run()
    _ok(at)
    assert at.number_input(key="steps").value == 7
    at.button(key="reset_function").click().run()
    _ok(at)
    assert not at.warning
    _assert_function_defaults(at, "booth", ["adam", "nesterov"])
    assert at.number_input(key="adam.beta2").value == 0.9  # not a function's default: kept


def test_a_link_opens_exactly_what_it_says():
    """A link's values win; what it does not give is its function's default."""
    at = _page(surface="Rosenbrock", opt=["Adam", "SGD"], **{"adam.lr": "0.4"})
    _ok(at)
    assert not at.warning
    assert at.number_input(key="adam.lr").value == 0.4  # given
    assert at.number_input(key="sgd.lr").value == 0.001  # not given: Rosenbrock's
    assert at.number_input(key="steps").value == 2000
    header, _ = _payload(at)
    assert header["runs"][0]["steps"] == 2000 and header["runs"][0]["label"].startswith("Adam")
    at = _page(surface="Rosenbrock", steps="20", x1="0.5")
    _ok(at)
    assert at.number_input(key="steps").value == 20 and at.number_input(key="x1").value == 0.5
    assert at.number_input(key="x2").value == 2 and at.number_input(key="adam.lr").value == 0.006


def test_every_optimizer_at_once():
    at = _page()
    at.multiselect(key="opt").set_value(list(rules.RULES)).run()
    _ok(at)
    assert not at.warning
    assert len(at.table[0].value) == len(rules.RULES)
    for name in rules.RULES:
        assert at.number_input(key=f"{name}.lr") is not None


@pytest.mark.parametrize("name", list(rules.RULES))
def test_each_optimizer_alone_with_its_inspector(name):
    at = _page(opt=rules.RULES[name].title)
    _ok(at)
    assert at.multiselect(key="opt").value == [name]
    assert at.table[0].value["optimizer"][0] == rules.RULES[name].title
    at = _page(opt=rules.RULES[name].title, tab="State inspector")
    _ok(at)
    quantities = list(at.table[0].value["quantity"])
    assert quantities[0] == "g" and quantities[-1] == "Δx"


def test_bias_correction_off_overlays_the_corrected_run():
    at = _page()
    before = len(_paths(at))
    at.toggle(key="bias").set_value(False).run()
    _ok(at)
    assert len(_paths(at)) == before + 1
    assert [p["dashed"] for p in _paths(at)] == [False, True]


def test_changing_beta1_changes_the_path():
    at = _page()
    first = _paths(at)[0]
    at.number_input(key="adam.beta1").set_value(0.5).run()
    _ok(at)
    assert _paths(at)[0] != first


@pytest.mark.parametrize("query,expected", [
    ({"adam.beta1": "1.5"}, "β1 must be in [0, 1), got 1.5"),
    ({"adam.eps": "0"}, "ε must be in (0, ∞)"),
    ({"adam.lr": "nan"}, "Learning rate must be a finite number"),
    ({"steps": "999999"}, "Steps must be a whole number"),
    ({"steps": "inf"}, "Steps must be a finite number"),  # Streamlit's field would overflow
    ({"steps": "9" * 400}, "Steps must be a finite number"),
    ({"lecture": "maybe"}, "Lecture mode must be true or false, got 'maybe'"),
    ({"preset": "nope"}, "Unknown preset 'nope'"),
    ({"surface": "nowhere"}, "Unknown function 'nowhere'"),
    ({"x1": "abc"}, "Start x1 must be a number"),
    ({"x1": "1e308"}, "Start x1 must be a finite number from -10000 to 10000"),
    ({"x2": "-20000"}, "Start x2 must be a finite number from -10000 to 10000"),
    ({"opt": "adamax"}, "Unknown optimizer 'adamax'"),
    ({"opt": "adam"}, "Unknown optimizer 'adam'; choose one of: SGD"),
    ({"bias": "perhaps"}, "Bias correction must be true or false"),
    ({"adam.momentum": "0.5"}, "does not apply to adam"),
    ({"tab": "Secrets"}, "Unknown tab 'Secrets'"),
])
def test_a_bad_link_warns_once_and_falls_back(query, expected):
    at = _page(**query)
    _ok(at)
    assert len(at.warning) == 1 and expected in at.warning[0].value
    assert not at.error  # named once, as ignored, never also as an error
    assert _paths(at)  # the page still draws, with the default


@pytest.mark.parametrize("key,value,expected", [
    ("adam.beta1", -0.2, "β1 must be in [0, 1), got -0.2"),
    ("adam.beta2", 1.0, "β2 must be in [0, 1), got 1"),
    ("adam.eps", -1e-8, "ε must be in (0, ∞)"),
    ("adam.lr", 0.0, "Learning rate must be in (0, ∞), got 0"),
])
def test_a_bad_field_warns_and_uses_the_default(key, value, expected):
    at = _page()
    at.number_input(key=key).set_value(value).run()
    _ok(at)
    assert len(at.warning) == 1 and expected in at.warning[0].value


def test_no_optimizer_is_a_message_not_an_error():
    at = _page()
    at.multiselect(key="opt").set_value([]).run()
    _ok(at)
    assert "Choose at least one optimizer" in at.info[0].value


def test_divergence_is_reported_not_raised():
    at = _page(**{"opt": "SGD", "sgd.lr": "1.0", "steps": "60"})
    _ok(at)
    assert "diverged at step 12" in at.table[0].value["result"][0]


def test_lockstep_check_reads_about_1e_7():
    at = _page(steps="50", tab="Lock-step check")
    _ok(at)
    assert not at.warning
    metric = at.metric[0]
    assert "torch.optim.Adam" in metric.label
    assert float(metric.value) < 1e-5


def _preset_page(name: str, lecture: bool) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for key, values in parse_qs(urlsplit(url(presets.get(name), lecture)).query).items():
        at.query_params[key] = values if len(values) > 1 else values[0]
    return at.run()


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_each_preset_opens_with_its_title_and_lesson(name):
    preset = presets.get(name)
    for lecture in (True, False):
        at = _preset_page(name, lecture)
        _ok(at)
        assert not at.warning and not at.error
        assert at.title[0].value == preset.title
        assert any(m.value == preset.lesson for m in at.markdown)
        assert not at.info  # the lesson describes what is drawn: no note that it differs
        # The settings came from the link: one path per run, as the preset says.
        assert [p["name"].split(" (")[0] for p in _paths(at)][: len(preset.runs)] == (
            preset.settings().labels())


@pytest.mark.parametrize("lecture", [True, False])
def test_a_changed_setting_says_the_lesson_no_longer_fits_and_links_back(lecture):
    at = _preset_page("beta2-small", lecture)
    at.number_input(key="adam.beta2").set_value(0.999).run()
    _ok(at)
    (note,) = at.info
    assert "Adam's β2: 0.999, the lesson's 0.5" in note.value
    back = [m.value for m in at.markdown if "Back to the lesson's settings" in m.value]
    assert len(back) == 1 and url(presets.get("beta2-small"), lecture) in back[0].replace(
        "&amp;", "&")
    at.number_input(key="adam.beta2").set_value(0.5).run()  # back as the lesson has it
    assert not at.info


def test_beta2_too_small_draws_adam_beside_itself_at_the_default():
    at = _preset_page("beta2-small", lecture=False)
    assert at.multiselect(key="opt").value == ["adam", "adam-2"]
    assert (at.number_input(key="adam.beta2").value,
            at.number_input(key="adam-2.beta2").value) == (0.5, 0.999)
    noisy, smooth = _paths(at)
    assert (noisy["name"], smooth["name"]) == ("Adam, β2 = 0.5", "Adam, β2 = 0.999")
    assert noisy["points"][0] == smooth["points"][0] and noisy["points"] != smooth["points"]
    rows = at.table[0].value.to_dict("records")
    assert [r["optimizer"] for r in rows] == ["Adam, β2 = 0.5", "Adam, β2 = 0.999"]


def test_a_link_from_before_runs_opens_as_it_did():
    at = _page(opt="Adam", **{"adam.beta2": "0.5", "steps": "50"})
    _ok(at)
    assert not at.warning
    (path,) = _paths(at)
    assert path["name"] == "Adam"
    noisy, _ = _paths(_preset_page("beta2-small", lecture=False))
    assert path["points"] == noisy["points"]


def test_a_copy_of_the_first_run_starts_equal_and_then_goes_its_own_way():
    at = _page()
    at.button(key="copy_run").click().run()
    _ok(at)
    assert at.multiselect(key="opt").value == ["adam", "adam-2"]
    assert at.number_input(key="adam-2.lr").value == at.number_input(key="adam.lr").value
    first, copy = _paths(at)
    assert (first["name"], copy["name"]) == ("Adam", "Adam 2")
    assert first["points"] == copy["points"]
    header, _ = _payload(at)
    assert header["runs"][1]["same_as"] == 0  # the legend names the overlap
    at.number_input(key="adam-2.beta2").set_value(0.5).run()
    first, copy = _paths(at)
    assert (first["name"], copy["name"]) == ("Adam, β2 = 0.999", "Adam, β2 = 0.5")
    assert first["points"] != copy["points"]
    # A third copy, then no more: an optimizer runs at most three times.
    at.button(key="copy_run").click().run()
    assert at.multiselect(key="opt").value == ["adam", "adam-2", "adam-3"]
    assert at.button(key="copy_run").disabled


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_the_lecturers_reset_sets_every_field_back_to_the_lesson(name):
    """What R sets (a commit {"param": "reset"}, wired in the browser: tests/e2e)."""
    preset = presets.get(name)
    at = _preset_page(name, lecture=False)
    lesson = _paths(at)
    at.number_input(key="steps").set_value(7).run()
    at.number_input(key="x1").set_value(1.0).run()
    at.multiselect(key="opt").set_value(["sgd", "adam"]).run()
    assert at.info  # the lesson no longer fits
    for key, value in controls.reset_state(preset, {}).items():
        at.session_state[key] = value
    at.run()
    _ok(at)
    assert not at.info and not at.warning
    assert repr(_paths(at)) == repr(lesson)  # repr: NaN (a diverged run's end) equals itself


def test_without_a_preset_the_reset_is_the_functions_defaults_for_the_runs_chosen():
    at = _page(surface="Rosenbrock", opt=["SGD", "Adam 2"], steps="50", x1="0.5",
               bias="false", **{"sgd.lr": "0.0001", "adam-2.beta1": "0.5"})
    state = controls.reset_state(None, {"surface": "rosenbrock", "opt": ["sgd", "adam-2"]})
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    _ok(at)
    fresh = _page(surface="Rosenbrock", opt=["SGD", "Adam 2"])
    assert at.multiselect(key="opt").value == ["sgd", "adam-2"]
    assert repr(_paths(at)) == repr(_paths(fresh))


def test_lecture_mode_is_the_chart_large_without_tabs():
    at = _preset_page("rosenbrock", lecture=True)
    assert _payload(at)[0]["lecture"] is True
    assert not at.tabs and len(at.table) == 1
    # The way out is the chart's own link (it reads the page's URL: tests/e2e).
    assert not [m for m in at.markdown if "lecture" in m.value.lower()]
    assert any("stSidebar" in h.proto.body for h in at.get("html"))
    normal = _preset_page("rosenbrock", lecture=False)
    assert _payload(normal)[0]["lecture"] is False and normal.tabs
    assert not normal.get("html")


def test_a_view_too_large_to_send_is_named_not_raised(monkeypatch):
    """Ten optimizers × 5,000 steps fit the default server; on a server sending less per
    message the page says so in words, instead of Streamlit's raw MessageSizeError."""
    at = _page(steps="5000", opt=[rules.RULES[n].title for n in rules.RULES])
    _ok(at)
    header, _ = _payload(at)
    assert len(header["runs"]) == 10 and header["runs"][0]["steps"] == 5000
    monkeypatch.setattr(chart_ui, "message_limit", lambda: 1_000_000)
    at = _page(steps="5000", opt=[rules.RULES[n].title for n in rules.RULES])
    _ok(at)
    assert "more than this server sends" in at.error[0].value and "fewer steps" in \
        at.error[0].value
    assert not [e for e in at.main if e.type == "bidi_component"]
