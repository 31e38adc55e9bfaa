"""Benchmark: building the explorer's payload, beside computing its committed runs alone.

For three views (the default, the Rosenbrock preset's 3 optimizers x 300 steps, and
ten optimizers x 5,000 steps) it prints the bytes of the blob, the time of the whole
build (`optviz.explorer_payload.build`), of its families alone (`optviz.families`)
and of the committed runs alone (`TrajectorySettings.compute`, the baseline: what the
page computed before the payload), each the fastest of several calls.

The engine is "auto": the NumPy loop unless the compiled one is warm in the process;
--compiled warms it first (~2 s of numba compilation per rule and surface), as a
long-lived server would be.

    .venv/bin/python benchmarks/explorer_payload.py [--repeats 5] [--compiled]
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from benchmarks.figures import best_ms  # noqa: E402
from optviz import explorer_payload, families, presets, rules, trajectory  # noqa: E402
from optviz.plots.trajectory import view_window  # noqa: E402
from optviz.settings import TrajectorySettings  # noqa: E402

CASES = {
    "default view (Adam, 20 steps)": TrajectorySettings(),
    "Rosenbrock, 3 optimizers x 300 steps": presets.get("rosenbrock").settings(),
    "10 optimizers x 5,000 steps": TrajectorySettings(steps=5000,
                                                       optimizers=tuple(rules.RULES)),
}


def warm_compiled(settings: TrajectorySettings) -> None:
    """Compile the engine's loop for these runs, so that "auto" takes it from now on."""
    trajectory.run(settings.get_surface(), settings.runs(), 1, engine="compiled")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--compiled", action="store_true",
                        help="warm the compiled engine first, as a long-lived server")
    args = parser.parse_args()
    engine = "auto, compiled loop warm" if args.compiled else "auto (NumPy loop, cold process)"
    print(f"explorer payload, fastest of {args.repeats} ({os.cpu_count()} CPUs; engine "
          f"{engine})")
    print(f"  {'view':38} {'bytes':>11} {'build':>10} {'families':>10} {'runs alone':>11}")
    for name, settings in CASES.items():
        if args.compiled:
            warm_compiled(settings)
        repeats = max(1, args.repeats // 2) if settings.steps > 1000 else args.repeats
        size = len(explorer_payload.build(settings))
        view = view_window(settings.get_surface(), settings.compute())
        build = best_ms(lambda s=settings: explorer_payload.build(s), repeats)
        fams = best_ms(lambda s=settings, v=view: families.compute(s, v), repeats)
        runs = best_ms(lambda s=settings: s.compute(), repeats)
        print(f"  {name:38} {size:>11,} {build:>7.1f} ms {fams:>7.1f} ms {runs:>8.1f} ms")


if __name__ == "__main__":
    main()
