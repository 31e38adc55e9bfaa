"""Settings in a link: every bad value gets one message, good links get none."""

import pytest

from optviz import settings
from optviz.defaults import DEFAULTS
from ui import links


def test_a_good_link_has_no_problems():
    params = {"surface": ["Rosenbrock"], "steps": ["200"], "x1": ["-1.5"], "x2": ["2"],
              "opt": ["Adam", "Nesterov momentum"], "adam.beta1": ["0.5"], "adam.eps": ["1e-8"],
              "momentum.momentum": ["0.9"], "bias": ["false"], "condition": ["50"],
              "adamw.amsgrad": ["true"], "embed": ["true"]}
    assert links.check_query(params) == []


@pytest.mark.parametrize("key,values,expected", [
    ("surface", ["nope"], "Unknown function 'nope'"),
    ("surface", ["rosenbrock"], "choose one of: D2L quadratic, Rosenbrock"),
    ("steps", ["99999"], "Steps must be a whole number from 1 to"),
    ("steps", ["2.5"], "Steps must be a whole number"),
    ("x1", ["abc"], "Start x1 must be a number, got 'abc'"),
    ("x2", ["inf"], "Start x2"),
    ("x1", ["1", "2"], "Start x1 is given 2 times"),
    ("opt", ["Adam", "Adamax"], "Unknown optimizer 'Adamax'"),
    ("opt", ["Adam"] * (settings.MAX_RUNS + 1), "at most"),
    ("adam.beta1", ["1.5"], "β1 must be in [0, 1), got 1.5"),
    ("adam.beta2", ["-0.1"], "β2 must be in [0, 1)"),
    ("adam.eps", ["0"], "ε must be in (0, ∞)"),
    ("adam.lr", ["nan"], "Learning rate must be a finite number"),
    ("adam.lr", ["1e999"], "Learning rate must be a finite number"),
    ("adam.momentum", ["0.5"], "does not apply to adam"),
    ("adamax.lr", ["0.1"], "Unknown optimizer 'adamax'"),
    ("opt", ["Adam 4"], "Unknown optimizer 'Adam 4'; choose one of: SGD"),
    ("adam-4.beta2", ["0.5"], "Unknown run 'adam-4': an optimizer runs at most 3 times"),
    ("adam-x.beta2", ["0.5"], "Unknown run 'adam-x'"),
    ("adam-2.momentum", ["0.5"], "does not apply to adam"),
    ("bias", ["maybe"], "Bias correction must be true or false"),
    ("condition", ["0.5"], "Condition number"),
    ("condition", ["1e7"], "Condition number κ must be from 1 to 1e+06, got '1e7'"),
    ("zzz", ["1"], "unknown setting 'zzz'"),
    ("x" * 5000, ["1"], "unknown setting"),
])
def test_each_bad_value_gets_one_clear_message(key, values, expected):
    (message,) = links.check_query({key: values})
    assert expected in message
    assert "\n" not in message and len(message) < 300


def test_a_second_and_third_run_of_one_optimizer_have_keys_of_their_own():
    params = {"opt": ["Adam", "Adam 2", "SGD", "Adam 3"], "adam.beta2": ["0.5"],
              "adam-2.beta2": ["0.999"], "adam-3.lr": ["0.1"]}
    assert links.check_query(params) == []
    assert [links.run_title(r) for r in ("adam", "adam-2", "nesterov-3")] == [
        "Adam", "Adam 2", "Nesterov momentum 3"]
    assert [links.run_optimizer(r) for r in ("adam", "adam-2", "nesterov-3")] == [
        "adam", "adam", "nesterov"]
    assert links.next_run("adam", ["sgd", "adam"]) == "adam-2"
    assert links.next_run("adam", ["adam", "adam-2", "adam-3"]) is None
    # Every run has one title, and the titles (what the URL holds) tell them apart.
    assert len(links.RUN_TITLES) == len(links.RUNS) == links.RUN_COPIES * 10


def test_lenient_optimizer_keeps_good_values_and_names_bad_ones():
    opt, problems = links.lenient_optimizer(
        "adam", {"lr": 0.1, "beta1": 1.5, "eps": float("nan"), "bias_correction": False})
    assert opt.hyperparams().lr == 0.1
    assert opt.hyperparams().beta1 == 0.9  # the default, for the bad value
    assert opt.hyperparams().eps == DEFAULTS["adam"].explorer["eps"]
    assert opt.hyperparams().bias_correction is False
    assert len(problems) == 2 and "β1" in problems[0] and "ε" in problems[1]


FIELDS = {"axis": links.choice("Horizontal axis", ["Learning rate", "β1"]),
          "n": links.number("Values", 2, 100, whole=True),
          "fixed": links.number("Fixed ε"),
          "low": links.free_text("Learning rate min")}


def test_a_good_link_to_a_page_of_fields_has_no_problems():
    params = {"axis": ["β1"], "n": ["7"], "fixed": ["-1e-8"], "low": ["abc"], "lecture": ["1"]}
    assert links.check_fields(params, FIELDS) == []


@pytest.mark.parametrize("key,values,expected", [
    ("axis", ["beta1"], "Unknown horizontal axis 'beta1'; choose one of: Learning rate, β1"),
    ("axis", ["β1", "β1"], "Horizontal axis (axis) is given 2 times"),
    ("n", ["abc"], "Values must be a number, got 'abc' (n)"),
    ("n", ["inf"], "Values must be a finite number, got inf (n)"),
    ("n", ["1"], "Values must be a whole number from 2 to 100, got '1' (n)"),
    ("n", ["2.5"], "Values must be a whole number from 2 to 100, got '2.5' (n)"),
    ("fixed", ["1e309"], "Fixed ε must be a finite number, got inf (fixed)"),
    ("fixed", ["9" * 5000], "Fixed ε must be a finite number"),
    ("low", [" "], "Learning rate min is empty (low)"),
    ("nonsense", ["1"], "unknown setting 'nonsense'"),
    ("k" * 5000, ["1"], "unknown setting"),
])
def test_each_bad_field_in_a_link_gets_one_clear_message(key, values, expected):
    (message,) = links.check_fields({key: values}, FIELDS)
    assert expected in message
    assert "\n" not in message and len(message) < 300
