"""The sweep's axes as a person asks for them: values, spacings, messages."""

import numpy as np
import pytest

from optviz import sweep, sweep_axes
from optviz.validate import SettingsError

X = sweep_axes.axis_values("lr", 1e-3, 1.0, 4, "log")  # 0.001, 0.01, 0.1, 1
Y = sweep_axes.axis_values("beta1", 0.9, 0.999, 3, "log1m")  # 0.9, 0.99, 0.999


def test_axis_values_log_linear_and_one_minus_beta():
    np.testing.assert_allclose(X, [1e-3, 1e-2, 1e-1, 1.0])
    np.testing.assert_allclose(Y, [0.9, 0.99, 0.999])
    assert sweep_axes.axis_values("beta2", 0, 0.5, 3, "linear") == (0.0, 0.25, 0.5)
    # The ends are exactly as typed, text included.
    values = sweep_axes.axis_values("eps", " 1e-8", "1e-4 ", 7, "log")
    assert values[0] == 1e-8 and values[-1] == 1e-4 and len(values) == 7


@pytest.mark.parametrize("args, expected", [
    (("lr", 0.1, 0.01, 5, "log"), "Learning rate: min (0.1) must be below max (0.01)"),
    (("lr", 0.1, 0.1, 5, "log"), "must be below max"),
    (("lr", float("nan"), 1, 5, "log"), "Learning rate: min must be a finite number, got nan"),
    (("lr", "nan", 1, 5, "log"), "min must be a finite number"),
    (("eps", 1e-8, "inf", 5, "log"), "ε: max must be a finite number, got inf"),
    (("lr", "abc", 1, 5, "log"), "Learning rate: min must be a number, got 'abc'"),
    (("lr", "", 1, 5, "log"), "must be a number, got nothing"),
    (("lr", 0, 1, 5, "log"), "a log axis needs values above 0"),
    (("lr", -1, 1, 5, "linear"), "Learning rate must be in (0, ∞), got -1"),
    (("beta1", 0.5, 1.0, 5, "log1m"), "β1 must be in [0, 1), got 1"),
    (("beta2", -0.1, 0.9, 5, "linear"), "β2 must be in [0, 1), got -0.1"),
    (("lr", 1e-3, 1, 1, "log"), "Number of values of Learning rate must be a whole number "
                                "from 2 to 100, got 1"),
    (("lr", 1e-3, 1, 101, "log"), "from 2 to 100, got 101"),
    (("lr", 1e-3, 1, 2.5, "log"), "got 2.5"),
    (("beta1", 0.5, 0.9, 5, "log"), "β1 takes spacing 'log1m' or 'linear'"),
    (("weight_decay", 0, 1, 5, "linear"), "Cannot sweep 'weight_decay'"),
])
def test_axis_values_say_what_is_wrong(args, expected):
    with pytest.raises(SettingsError) as e:
        sweep_axes.axis_values(*args)
    assert expected in str(e.value)
    assert "\n" not in str(e.value)


def test_guess_spacing():
    assert sweep_axes.guess_spacing("lr", X) == "log"
    assert sweep_axes.guess_spacing("beta1", Y) == "log1m"
    assert sweep_axes.guess_spacing("beta1", (0.1, 0.2, 0.3)) == "linear"
    assert sweep_axes.guess_spacing("lr", (1e-3, 1e-2)) == "log"  # two values: the default
    assert sweep_axes.guess_spacing("eps", (1e-3,)) == "linear"


def test_best_setting_in_words():
    grid = sweep.grid("lr", X, "beta1", Y)
    loss = np.array([0.5, 0.3, 0.4, 20.0, 0.6, 0.25, 0.5, 300.0, 0.7, 0.35, 2.0, 0.1])
    diverged = np.zeros(12, bool)
    diverged[11] = True  # the least loss, but diverged
    best = sweep_axes.best_setting(loss, diverged)
    assert best == 5
    assert sweep_axes.describe_setting(grid, best) == "Learning rate = 0.01, β1 = 0.99"
    assert sweep_axes.best_setting(loss, np.ones(12, bool)) is None
