"""Benchmark: building the explorer's figures, beside plotly's own validated way.

Targets (formerly wall-clock asserts in the tests): the trajectory figure of 3 runs x
200 steps, frames included, builds in < 100 ms; the state inspector's figure of 200
steps with its overlay in < 30 ms. Printed side by side with the same figures built
through plotly's public, validated path (optviz.plots.plotly_internals.ENABLED =
False), the baseline, and the parts a page pays for besides: serialising (to_json,
what Streamlit sends) and the contour grid it caches.

    .venv/bin/python benchmarks/figures.py [--repeats 7]
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from optviz.plots import contours, inspector, plotly_internals  # noqa: E402
from optviz.plots import trajectory as trajectory_plot  # noqa: E402
from optviz.settings import OptimizerSettings  # noqa: E402
from optviz.surfaces import get_surface  # noqa: E402
from optviz.trajectory import Run, run  # noqa: E402

TRAJECTORY_TARGET_MS = 100.0
STATE_TARGET_MS = 30.0
STEPS = 200
RUNS = [("adam", {"lr": 0.4}), ("momentum", {"lr": 0.05}), ("sgd", {"lr": 0.4})]


def best_ms(fn, repeats: int) -> float:
    """The fastest of `repeats` calls after one warm-up: the least disturbed by load."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def validated(fn):
    """`fn` run with plotly's public, validated construction only."""
    def call():
        plotly_internals.ENABLED = False
        try:
            return fn()
        finally:
            plotly_internals.ENABLED = True
    return call


def verdict(ms: float, target: float) -> str:
    return f"target < {target:.0f} ms: {'met' if ms < target else 'MISSED'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    n = args.repeats

    surface = get_surface("d2l")
    trajs = run(surface, [Run.of(o, start=surface.start, **kw) for o, kw in RUNS], STEPS)
    adam = [OptimizerSettings("adam", hyper).to_run(surface.start)
            for hyper in ({}, {"bias_correction": False})]
    on, off = run(surface, adam, STEPS)

    def trajectory():
        return trajectory_plot.trajectory_figure(surface, trajs)

    def state():
        return inspector.state_figure(on, 10, overlay=off)

    traj_fast, traj_slow = best_ms(trajectory, n), best_ms(validated(trajectory), n)
    state_fast, state_slow = best_ms(state, n), best_ms(validated(state), n)
    fig = trajectory()
    to_json = best_ms(fig.to_json, n)
    grid = best_ms(lambda: contours.contour_grid("d2l"), n)
    log_grid = best_ms(lambda: contours.contour_grid("rosenbrock"), n)

    print(f"the explorer's figures on {surface.title}, {len(trajs)} runs x {STEPS} steps, "
          f"best of {n} ({os.cpu_count()} CPUs)")
    print(f"{'':34}{'optviz':>10}{'plotly validated':>18}")
    print(f"  trajectory figure, with frames  {traj_fast:8.1f} ms {traj_slow:12.1f} ms   "
          f"({traj_slow / traj_fast:.0f}x)  {verdict(traj_fast, TRAJECTORY_TARGET_MS)}")
    print(f"  state figure, with overlay      {state_fast:8.1f} ms {state_slow:12.1f} ms   "
          f"({state_slow / state_fast:.0f}x)  {verdict(state_fast, STATE_TARGET_MS)}")
    print(f"  trajectory figure to_json       {to_json:8.1f} ms")
    print(f"  contour_grid, 120 x 120, linear {grid:8.1f} ms   (cached by the page)")
    print(f"  contour_grid, 120 x 120, log    {log_grid:8.1f} ms")


if __name__ == "__main__":
    main()
