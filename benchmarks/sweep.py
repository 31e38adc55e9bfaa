"""Benchmark: a hyperparameter sweep as one batched run vs the chapter's loop for one setting.

Adam on the airfoil data, batch 10, 2 epochs: the chapter's training loop (transcribed
in benchmarks/trainer.py: DataLoader, autograd, from-scratch Adam, evaluate_loss every
200 examples, its own logging interval) trains one setting; `optviz.sweep` trains grids
of 1,000 and 10,000 (lr, β1) settings together, logging every setting's loss every 100
examples. Same process, same machine, same torch threads.

Targets: 1,000 settings <= 2 x the chapter's time for one; 10,000 <= 20 x.

    .venv/bin/python benchmarks/sweep.py [--repeats 3]
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from benchmarks.trainer import chapter_run, load  # noqa: E402
from optviz import sweep  # noqa: E402
from optviz.devices import limit_torch_threads  # noqa: E402

TARGETS = {1_000: 2.0, 10_000: 20.0}


def lr_beta1_grid(size: int) -> sweep.Grid:
    """size settings: lr from 1e-4 to 1 (log scale) x β1 from 0 to 0.99."""
    ny = 25 if size == 1_000 else 100
    nx = size // ny
    return sweep.grid("lr", list(np.logspace(-4, 0, nx)), "beta1",
                      list(np.linspace(0.0, 0.99, ny)), {"eps": 1e-6})


def timed_sweep(dataset, grid: sweep.Grid) -> tuple[float, sweep.Sweep]:
    start = time.perf_counter()
    s = sweep.Sweep(dataset, grid).fit()
    return time.perf_counter() - start, s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    dataset = load(parser)
    threads = limit_torch_threads()
    grids = {size: lr_beta1_grid(size) for size in TARGETS}
    chapter_run(dataset)  # warm-up
    timed_sweep(dataset, grids[1_000])

    chapter = [chapter_run(dataset) for _ in range(args.repeats)]
    timer = 2 * statistics.median(c[0] for c in chapter)  # the whole 2-epoch run
    wall = 2 * statistics.median(c[1] for c in chapter)
    print(f"Adam on the airfoil data (1500 x 5), batch 10, 2 epochs; median of "
          f"{args.repeats} runs; torch {torch.__version__}, {threads} torch thread(s), "
          f"{os.cpu_count()} CPUs")
    print(f"chapter loop, 1 setting: {timer:.3f} s by its own timer (paused during "
          f"evaluate_loss), {wall:.3f} s wall with its logging")
    for size, target in TARGETS.items():
        runs = [timed_sweep(dataset, grids[size]) for _ in range(args.repeats)]
        seconds = statistics.median(r[0] for r in runs)
        s = runs[0][1]
        best = int(np.nanargmin(np.where(s.diverged, np.nan, s.final_loss)))
        setting = grids[size].setting(best)
        verdict = "met" if seconds <= target * timer else "MISSED"
        print(f"sweep of {size:,} settings: {seconds:.3f} s = {seconds / timer:.2f} x the "
              f"chapter's timer, {seconds / wall:.2f} x its wall time; target <= {target:g} x: "
              f"{verdict}")
        print(f"  {int(s.diverged.sum())} diverged; best final loss {s.final_loss[best]:.4f} "
              f"at lr {setting['lr']:.3g}, beta1 {setting['beta1']:.3g}; "
              f"{len(s.examples)} logged losses per setting")


if __name__ == "__main__":
    main()
