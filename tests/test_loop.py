"""The shared training loop: how a run streams its log points, stops and closes."""

import numpy as np
import pytest
import torch

from optviz import loop


class Points:
    """A stand-in for `loop.drive`: yields 0, 1, 2, ..., returns `stopped`, notes its close."""

    def __init__(self, count: int, stopped: bool = False, fail_at: int | None = None):
        self.count, self.stopped, self.fail_at = count, stopped, fail_at
        self.closed = False

    def __call__(self):
        try:
            for i in range(self.count):
                if i == self.fail_at:
                    raise RuntimeError("engine failed")
                yield i
            return self.stopped
        finally:
            self.closed = True


def streamed(points: Points):
    ends: list[bool] = []
    return loop.stream(points(), lambda i: i * 10, ends.append), ends


@pytest.mark.parametrize("stopped", [False, True])
def test_every_point_is_recorded_then_finish_gets_what_the_loop_returned(stopped) -> None:
    points = Points(3, stopped=stopped)
    items, ends = streamed(points)
    assert list(items) == [0, 10, 20]
    assert ends == [stopped] and points.closed


def test_nothing_runs_before_the_first_item_is_asked_for() -> None:
    points = Points(3)
    items, ends = streamed(points)
    assert ends == [] and not points.closed
    items.close()
    assert ends == []  # never started: nothing to finish


def test_closing_early_counts_as_stopped_and_closes_the_loop() -> None:
    points = Points(5)
    items, ends = streamed(points)
    assert next(items) == 0 and next(items) == 10
    items.close()
    assert ends == [True] and points.closed


def test_an_error_is_raised_after_the_loop_is_closed_and_finished() -> None:
    points = Points(5, fail_at=2)
    items, ends = streamed(points)
    with pytest.raises(RuntimeError, match="engine failed"):
        list(items)
    assert ends == [False] and points.closed


def test_finish_is_called_once_with_the_loop_already_closed() -> None:
    points = Points(2)
    seen = []
    items = loop.stream(points(), lambda i: i, lambda stopped: seen.append(points.closed))
    list(items)
    assert seen == [True]


class Counting:
    """An engine with no model: counts steps and logs the step count."""

    def __init__(self):
        self.steps = 0

    def epoch(self, perm):
        pass

    def advance(self, k0, k1, stop):
        self.steps += k1 - k0
        return k1 - k0

    def log(self):
        return self.steps

    def sync(self):
        pass

    def weights(self):
        return np.zeros(1)


def test_drive_logs_at_each_interval_and_returns_whether_it_stopped() -> None:
    seconds: list[float] = []
    points = loop.drive(Counting(), n=25, batch_size=10, epochs=2, log_every=15,
                        gen=torch.Generator().manual_seed(0), stop=None, sec_per_epoch=seconds,
                        chunk=2)
    logged = []
    while True:
        try:
            examples, _, steps = next(points)
        except StopIteration as end:
            assert end.value is False
            break
        logged.append((examples, steps))
    assert logged == [(0, 0), (20, 2), (35, 4), (45, 5), (50, 6)]
    assert len(seconds) == 2
