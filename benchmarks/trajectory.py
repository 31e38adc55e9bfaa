"""Benchmark: every optimizer x 1,000 steps on Rosenbrock, in one call of the engine.

Target (issue #2): <= 20 ms, median of several runs, on the 2-core dev machine.
Printed side by side: the compiled loop (first call, which compiles, and warm), and
the NumPy loop as the baseline; then both again with gradient noise (σ = 1,
`optviz.noise`), beside the noise-free figures.

    .venv/bin/python benchmarks/trajectory.py [--repeats 15]
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from optviz import rules, surfaces, trajectory  # noqa: E402

TARGET_MS = 20.0
STEPS = 1000


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()

    rosen = surfaces.get_surface("rosenbrock")
    runs = [trajectory.Run.of(name, start=rosen.start, lr=1e-3) for name in rules.RULES]

    def call(engine, noise=0.0):
        return lambda: trajectory.run(rosen, runs, STEPS, engine=engine, noise=noise, seed=1)

    cold = timed(call("compiled"))
    warm = statistics.median(timed(call("compiled")) for _ in range(args.repeats))
    auto = statistics.median(timed(call("auto")) for _ in range(args.repeats))
    base = statistics.median(timed(call("numpy")) for _ in range(max(3, args.repeats // 3)))
    noisy = statistics.median(timed(call("compiled", 1.0)) for _ in range(args.repeats))
    noisy_base = statistics.median(timed(call("numpy", 1.0))
                                   for _ in range(max(3, args.repeats // 3)))

    print(f"{len(runs)} optimizers x {STEPS} steps on Rosenbrock, one call, "
          f"median of {args.repeats} ({os.cpu_count()} CPUs)")
    print(f"  compiled engine, warm         {warm:9.2f} ms   target <= {TARGET_MS:.0f} ms: "
          f"{'met' if warm <= TARGET_MS else 'MISSED'}")
    print(f"  auto engine (after warm-up)   {auto:9.2f} ms")
    print(f"  compiled, first call          {cold:9.0f} ms   (includes numba compilation)")
    print(f"  NumPy engine (baseline)       {base:9.2f} ms   "
          f"({base / warm:.0f}x the compiled loop)")
    print(f"  with gradient noise σ = 1: compiled {noisy:9.2f} ms, NumPy {noisy_base:.2f} ms "
          f"(without: {warm:.2f} and {base:.2f} ms)")


if __name__ == "__main__":
    main()
