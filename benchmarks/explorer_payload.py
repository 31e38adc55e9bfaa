"""Benchmark: building the explorer's payload, beside computing its committed runs alone.

For three views (the default, the Rosenbrock preset's 3 optimizers x 300 steps, and
ten optimizers x 5,000 steps), and the default view again with gradient noise (σ = 1)
and a 10-path ensemble (`build(..., ensemble=10)`), it prints the bytes of the blob,
the time of the whole build (`optviz.explorer_payload.build`), of its families alone
(`optviz.families`) and of the committed runs alone (`TrajectorySettings.compute`, the
baseline: what the page computed before the payload), each the fastest of several calls.

The engine is "auto": the NumPy loop unless the compiled one is warm in the process
(background compiling is turned off here, so that the NumPy figures stay NumPy's);
--compiled warms it first (`optviz.compiled.warm`, ~1-3 s of numba compilation per
rule and surface), as a long-lived server is once its background compile is done.

Targets (the explorer rebuilds the payload on every slider release): the default view
built in <= 5 ms compiled (its families <= 3 ms) and <= 15 ms on the NumPy loop; ten
optimizers x 5,000 steps in <= 150 ms compiled.

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

DEFAULT, ROSENBROCK, LONG, NOISY = ("default view (Adam, 20 steps)",
                                    "Rosenbrock, 3 optimizers x 300 steps",
                                    "10 optimizers x 5,000 steps",
                                    "default, σ = 1, ensemble of 10")
CASES = {
    DEFAULT: TrajectorySettings(),
    ROSENBROCK: presets.get("rosenbrock").settings(),
    LONG: TrajectorySettings(steps=5000, optimizers=tuple(rules.RULES)),
    NOISY: TrajectorySettings(noise=1.0, seed=1),
}
BUILD = {NOISY: {"ensemble": 10}}  # build's options beyond the settings, by view
# (view, what, limit in ms) for the NumPy loop and the compiled one
TARGETS = {
    False: [(DEFAULT, "build", 15.0)],
    True: [(DEFAULT, "build", 5.0), (DEFAULT, "families", 3.0), (LONG, "build", 150.0)],
}


def warm_compiled(settings: TrajectorySettings) -> None:
    """Compile the engine's loops for these runs, so that "auto" takes them from now on."""
    from optviz import compiled

    for run in settings.runs():
        compiled.warm(rules.get_rule(run.optimizer), settings.get_surface())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--compiled", action="store_true",
                        help="warm the compiled engine first, as a long-lived server")
    args = parser.parse_args()
    trajectory.BACKGROUND_COMPILE = False
    engine = "auto, compiled loop warm" if args.compiled else "auto (NumPy loop, cold process)"
    print(f"explorer payload, fastest of {args.repeats} ({os.cpu_count()} CPUs; engine "
          f"{engine})")
    print(f"  {'view':38} {'bytes':>11} {'build':>10} {'families':>10} {'runs alone':>11}")
    measured = {}
    for name, settings in CASES.items():
        if args.compiled:
            warm_compiled(settings)
        repeats = max(1, args.repeats // 2) if settings.steps > 1000 else args.repeats
        options = BUILD.get(name, {})
        size = len(explorer_payload.build(settings, **options))
        view = view_window(settings.get_surface(), settings.compute())
        build = best_ms(lambda s=settings, o=options: explorer_payload.build(s, **o), repeats)
        fams = best_ms(lambda s=settings, v=view: families.compute(s, v), repeats)
        runs = best_ms(lambda s=settings: s.compute(), repeats)
        measured[name] = {"build": build, "families": fams}
        print(f"  {name:38} {size:>11,} {build:>7.1f} ms {fams:>7.1f} ms {runs:>8.1f} ms")
    for view, what, limit in TARGETS[args.compiled]:
        got = measured[view][what]
        print(f"  target: {view}, {what} <= {limit:g} ms: {got:.1f} ms, "
              f"{'met' if got <= limit else 'MISSED'}")


if __name__ == "__main__":
    main()
