"""What a commit from the explorer's chart does to the page's fields (ui/chart.py)."""

import math

import pytest

from ui import chart, links


@pytest.mark.parametrize(("commit", "optimizer", "expected"), [
    ({"param": "beta1", "value": 0.95}, "adam", {"adam.beta1": 0.95}),
    ({"param": "lr", "value": 1}, "sgd", {"sgd.lr": 1.0}),
    ({"param": "eps", "value": 1e-3}, "nadam", {"nadam.eps": 1e-3}),
    ({"param": "beta2", "value": 0.5}, "adam-2", {"adam-2.beta2": 0.5}),  # a second run
    ({"param": "start", "value": [1.5, -2]}, "adam", {links.X1: 1.5, links.X2: -2.0}),
])
def test_a_commit_sets_the_field_it_stands_for(commit, optimizer, expected):
    assert chart.commit_updates(commit, optimizer) == expected


@pytest.mark.parametrize("commit", [
    None, "beta1", {}, {"param": "beta1"}, {"param": "beta1", "value": "0.9"},
    {"param": "beta1", "value": True}, {"param": "beta1", "value": math.nan},
    {"param": "beta1", "value": math.inf}, {"param": "beta1", "value": [0.9]},
    {"param": "start", "value": [1.0]}, {"param": "start", "value": [1.0, "x"]},
    {"param": "start", "value": 3.0}, {"param": "momentum", "value": 0.5},  # not Adam's
    {"param": "amsgrad", "value": 1}, {"param": "__class__", "value": 1.0},
])
def test_anything_else_sets_nothing(commit):
    assert chart.commit_updates(commit, "adam") == {}


def test_out_of_range_values_pass_to_the_fields_which_name_them():
    """The fields' own checks judge a value (β1 = 1.5 is then named in a warning)."""
    assert chart.commit_updates({"param": "beta1", "value": 1.5}, "adam") == {"adam.beta1": 1.5}
