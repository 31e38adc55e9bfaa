"""The training loop shared by `optviz.trainer` and `optviz.sweep`: batches, log points,
the clock, and how a run streams its log points to whoever iterates it."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any, TypeVar

import torch

from optviz.engines import Engine, Stop, stopped

# Compiled steps between two looks at the stop event: ~0.3 ms of the airfoil's steps.
MAX_CHUNK = 1000

Point = TypeVar("Point")
Item = TypeVar("Item")


class Clock:
    """Seconds spent inside the training generator, not while it waits at a yield."""

    def __init__(self):
        self.total, self._since = 0.0, time.perf_counter()

    def read(self) -> float:
        return self.total + time.perf_counter() - self._since

    def pause(self) -> float:
        self.total = self.read()
        return self.total

    def resume(self) -> None:
        self._since = time.perf_counter()


def drive(engine: Engine, *, n: int, batch_size: int, epochs: int, log_every: int,
          gen: torch.Generator, stop: Stop | None, sec_per_epoch: list[float],
          chunk: int = MAX_CHUNK) -> Generator[tuple[int, float, Any], None, bool]:
    """Train `engine`; yield (examples, elapsed, engine.log()) at each log point.

    The first log point is at 0 examples, before any step. Then one is taken after the
    step at which the example count reaches the next multiple of `log_every`, and after
    the last step if that was not one already (also when stopped). Each epoch shuffles
    with one `torch.randperm(n, generator=gen)` and takes batches of `batch_size` in
    that order (the last one smaller if n is not a multiple). `stop` is looked at
    before every call of `engine.advance` (at most `chunk` steps; the tensor engines
    also look before each of their steps). Appends each finished epoch's seconds to
    `sec_per_epoch`; returns True if stopped.
    """
    examples, logged = 0, 0
    yield 0, 0.0, engine.log()
    clock = Clock()  # training time starts after the initial loss
    batches = math.ceil(n / batch_size)
    for _ in range(epochs):
        start, base, k = clock.read(), examples, 0
        engine.epoch(torch.randperm(n, generator=gen))
        while k < batches:
            if stopped(stop):
                break
            target = (examples // log_every + 1) * log_every  # the next log point
            k_log = math.ceil((target - base) / batch_size) - 1  # the batch that reaches it
            k1 = min(k_log + 1, k + chunk, batches)
            k += engine.advance(k, k1, stop)
            examples = base + min(k * batch_size, n)
            if k < k1:  # stopped inside
                break
            if examples >= target:
                logged = examples
                value = engine.log()  # timed: logging is part of training's cost
                yield examples, clock.pause(), value
                clock.resume()
        if k < batches:
            break
        engine.sync()
        sec_per_epoch.append(clock.read() - start)
    if logged != examples:
        value = engine.log()
        yield examples, clock.pause(), value
    return examples < epochs * n


def stream(points: Generator[Point, None, bool], record: Callable[[Point], Item],
           finish: Callable[[bool], None]) -> Iterator[Item]:
    """Yield `record(point)` for each of `points` (a `drive`), then call `finish(stopped)`.

    `stopped` is what `points` returned (True if its stop event ended it), True if the
    consumer closed this generator early, False if an error ended it. `points` is
    closed in every case, before `finish`.
    """
    was_stopped = False
    try:
        while True:
            try:
                point = next(points)
            except StopIteration as end:
                was_stopped = end.value
                return
            yield record(point)
    except GeneratorExit:
        was_stopped = True
        raise
    finally:
        points.close()
        finish(was_stopped)
