"""The trainer page's pace: which logged points a paced run shows when (ui.pace)."""

import math

import pytest

from optviz.validate import SettingsError
from ui.pace import DEFAULT_PACE, PACES, Reveal, pace_seconds


def test_the_paces_and_their_seconds() -> None:
    assert pace_seconds("As fast as possible") == 0
    assert sorted(PACES.values()) == [0, 5, 20] and DEFAULT_PACE in PACES
    for bad in ("warp speed", None, 5):
        with pytest.raises(SettingsError, match="^Pace must be one of") as excinfo:
            pace_seconds(bad)
        assert "\n" not in str(excinfo.value)


def test_a_paced_run_shows_its_epochs_in_step_with_the_clock() -> None:
    r = Reveal(epochs=2, seconds=5)
    assert r.cutoff(now=100) == 0 and not r.done(now=100)  # nothing computed yet
    r.start(now=100)
    r.start(now=101)  # the clock starts once
    assert r.cutoff(now=100) == 0
    assert r.cutoff(now=101.25) == pytest.approx(0.5)
    assert r.cutoff(now=102.5) == pytest.approx(1.0) and not r.done(now=102.5)
    assert r.cutoff(now=105) == 2 and r.done(now=105)
    assert r.cutoff(now=500) == 2  # never past the run's end


def test_stop_freezes_a_paced_reveal_but_not_one_shown_as_computed() -> None:
    r = Reveal(epochs=4, seconds=20, started=0)
    r.stop(now=5)
    assert r.done(now=5) and r.cutoff(now=1000) == pytest.approx(1.0)
    fast = Reveal(epochs=4, seconds=0)
    assert fast.cutoff() == math.inf and fast.done()
    fast.stop()
    assert fast.stopped_at is None  # the job's own stop ends such a run
