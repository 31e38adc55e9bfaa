"""Benchmark: seconds per epoch of the chapter's training loop vs optviz's trainer.

Adam (lr 0.01, batch 10, 2 epochs) on the airfoil data, all in one process on the same
machine with the same torch threads (optviz.devices.limit_torch_threads). The baseline
is the chapter's own code, transcribed below (D2L 12.10, PyTorch): a DataLoader over a
TensorDataset, autograd, the from-scratch `adam` with its states and hyperparams['t'],
and `evaluate_loss` over the whole DataLoader every 200 examples, the chapter's own
logging interval (optviz logs every 100, twice as often). Only the plotting is left
out. The chapter prints timer.sum() / num_epochs, a timer paused during evaluate_loss;
both that and the wall time with the logging are shown.

Target: optviz scratch seconds per epoch <= 0.05 x the chapter's loop.

Also timed here, each beside its own baseline (bounds the unit tests used to assert,
which a busy machine broke): the seconds per epoch of a run whose consumer sleeps at
every log point, beside the same run's with no consumer delay (the clock excludes the
consumer); and how soon a long run ends once its stop event is set from another
thread, beside one step's time.

And a fresh process's first run (Adam, defaults, engine "auto"), each in a new Python
process with NUMBA_CACHE_DIR in a new temporary folder: with no disk cache (what a
one-shot `python -m optviz train` or a new server got before the cache: the tensor
engine), with no cache but engine "compiled" (compiling in the run), and after
`python -m optviz warm adam` (the compiled engine, loaded from the disk cache). The
first is the baseline of the other two; "first run" is Trainer(...).fit() from
construction to the end, engine set-up included.

    .venv/bin/python benchmarks/trainer.py [--repeats 5] [--fresh-only]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import torch  # noqa: E402
from torch.utils import data as tdata  # noqa: E402

from optviz import data, trainer  # noqa: E402
from optviz.devices import limit_torch_threads  # noqa: E402

TARGET = 0.05
CONSUMER_PAUSE_S = 0.01  # what the consumer spends at each log point
CONSUMER_BOUND_S = 0.1  # sec/epoch with that consumer: the unit test's former bound
STOP_AFTER_S = 0.2
STOP_BOUND_S = 2.0  # the whole stopped run: the unit test's former bound
# d2l's Accumulator takes float() of a loss that requires grad; torch warns each time.
warnings.filterwarnings("ignore", message="Converting a tensor with requires_grad=True")
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


# ------------------------------------------------- the chapter's code, transcribed


class Timer:  # d2l.Timer
    def __init__(self):
        self.times = []
        self.start()

    def start(self):
        self.tik = time.time()

    def stop(self):
        self.times.append(time.time() - self.tik)
        return self.times[-1]

    def sum(self):
        return sum(self.times)


class Accumulator:  # d2l.Accumulator
    def __init__(self, n):
        self.data = [0.0] * n

    def add(self, *args):
        self.data = [a + float(b) for a, b in zip(self.data, args, strict=True)]

    def __getitem__(self, idx):
        return self.data[idx]


def linreg(X, w, b):  # d2l.linreg
    return torch.matmul(X, w) + b


def squared_loss(y_hat, y):  # d2l.squared_loss
    return (y_hat - y.reshape(y_hat.shape)) ** 2 / 2


def evaluate_loss(net, data_iter, loss):  # d2l.evaluate_loss
    metric = Accumulator(2)
    for X, y in data_iter:
        out = net(X)
        y = y.reshape(out.shape)
        l = loss(out, y)  # noqa: E741 (the chapter's name)
        metric.add(l.sum(), l.numel())
    return metric[0] / metric[1]


def get_data_ch11(dataset, batch_size=10):
    # The chapter standardizes the file and takes 1500 rows: optviz.data does exactly that.
    features, labels = torch.from_numpy(dataset.features), torch.from_numpy(dataset.labels)
    data_iter = tdata.DataLoader(tdata.TensorDataset(features, labels), batch_size,
                                 shuffle=True)
    return data_iter, features.shape[1]


def init_adam_states(feature_dim):
    v_w, v_b = torch.zeros((feature_dim, 1)), torch.zeros(1)
    s_w, s_b = torch.zeros((feature_dim, 1)), torch.zeros(1)
    return ((v_w, s_w), (v_b, s_b))


def adam(params, states, hyperparams):
    beta1, beta2, eps = 0.9, 0.999, 1e-6
    for p, (v, s) in zip(params, states, strict=True):
        with torch.no_grad():
            v[:] = beta1 * v + (1 - beta1) * p.grad
            s[:] = beta2 * s + (1 - beta2) * torch.square(p.grad)
            v_bias_corr = v / (1 - beta1 ** hyperparams['t'])
            s_bias_corr = s / (1 - beta2 ** hyperparams['t'])
            p[:] -= hyperparams['lr'] * v_bias_corr / (torch.sqrt(s_bias_corr) + eps)
        p.grad.data.zero_()
    hyperparams['t'] += 1


def train_ch11(trainer_fn, states, hyperparams, data_iter, feature_dim, num_epochs=2):
    """The chapter's loop, less the Animator; returns (timer sec/epoch, wall sec/epoch, loss)."""
    w = torch.normal(mean=0.0, std=0.01, size=(feature_dim, 1), requires_grad=True)
    b = torch.zeros((1), requires_grad=True)
    net, loss = lambda X: linreg(X, w, b), squared_loss  # noqa: E731 (the chapter's code)
    n, timer, losses = 0, Timer(), []
    wall = time.perf_counter()
    for _ in range(num_epochs):
        for X, y in data_iter:
            l = loss(net(X), y).mean()  # noqa: E741
            l.backward()
            trainer_fn([w, b], states, hyperparams)
            n += X.shape[0]
            if n % 200 == 0:
                timer.stop()
                losses.append(evaluate_loss(net, data_iter, loss))
                timer.start()
    timer.stop()
    wall = time.perf_counter() - wall
    return timer.sum() / num_epochs, wall / num_epochs, losses[-1]


def chapter_run(dataset, num_epochs=2):
    data_iter, feature_dim = get_data_ch11(dataset, batch_size=10)
    return train_ch11(adam, init_adam_states(feature_dim), {'lr': 0.01, 't': 1}, data_iter,
                      feature_dim, num_epochs)


# --------------------------------------------------------------------------- main


def load(parser: argparse.ArgumentParser) -> data.Dataset:
    try:
        return data.load_airfoil(cache_dir=os.environ.get("OPTVIZ_DATA_DIR") or SHARED_DATA)
    except data.DataUnavailable as e:
        parser.error(f"{e} (set OPTVIZ_DATA_DIR to the folder holding {data.AIRFOIL_FILE})")


def optviz_run(dataset, **kwargs):
    t = trainer.Trainer(dataset, **kwargs).fit()
    return statistics.mean(t.sec_per_epoch), t.final_loss, t.engine_used


def consumer_run(dataset, pause: float) -> float:
    """Seconds per epoch (1 epoch, tensor engine) with a consumer pausing at each log point."""
    t = trainer.Trainer(dataset, epochs=1, engine="tensor")
    for _ in t.run():
        time.sleep(pause)
    return t.sec_per_epoch[0]


def stop_run(dataset) -> tuple[float, float, float]:
    """A run of MAX_EPOCHS at batch size 1 stopped from another thread after STOP_AFTER_S:
    (seconds from the stop to the end, seconds per step before it, the whole run's)."""
    stop, set_at = threading.Event(), []

    def fire():
        set_at.append(time.perf_counter())
        stop.set()

    t = trainer.Trainer(dataset, epochs=trainer.MAX_EPOCHS, batch_size=1, engine="tensor",
                        stop=stop)
    timer = threading.Timer(STOP_AFTER_S, fire)
    start = time.perf_counter()
    timer.start()
    t.fit()
    end = time.perf_counter()
    return end - set_at[0], (set_at[0] - start) / max(t.examples[-1], 1), end - start


ROOT = Path(__file__).resolve().parents[1]
# One fresh process's first run; prints its figures as JSON (engine set-up included).
FIRST_RUN = """
import json, sys, time
start = time.perf_counter()
from optviz import data, trainer
imported = time.perf_counter()
ds = data.load_airfoil(cache_dir=sys.argv[1], urls=())
t0 = time.perf_counter()
t = trainer.Trainer(ds, engine=sys.argv[2]).fit()
end = time.perf_counter()
print(json.dumps(dict(engine=t.engine_used, source=getattr(t, "engine_source", None),
                      first_run_s=end - t0,
                      sec_per_epoch=sum(t.sec_per_epoch) / len(t.sec_per_epoch),
                      final_loss=t.final_loss, import_s=imported - start)))
"""


def fresh_process(cache: str, data_dir: str, engine: str = "auto", warm: bool = False) -> dict:
    """A new process's first run with numba's cache in `cache` (after `optviz warm adam`
    there if `warm`); its figures and the process's whole wall time."""
    env = {**os.environ, "NUMBA_CACHE_DIR": cache,
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    if warm:
        subprocess.run([sys.executable, "-m", "optviz", "warm", "adam"], env=env, check=True,
                       capture_output=True)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", FIRST_RUN, data_dir, engine], env=env,
                          check=True, capture_output=True, text=True)
    return {**json.loads(done.stdout), "process_s": time.perf_counter() - start}


def fresh_figures(data_dir: str, repeats: int) -> None:
    cases = {"no disk cache, auto (before)": dict(engine="auto"),
             "no disk cache, engine compiled": dict(engine="compiled"),
             "after optviz warm, auto": dict(engine="auto", warm=True)}
    results = {}
    for name, kw in cases.items():
        runs = []
        for _ in range(repeats):
            with tempfile.TemporaryDirectory(prefix="optviz-numba-") as cache:
                runs.append(fresh_process(cache, data_dir, **kw))
        results[name] = runs
    print(f"a fresh process's first run (Adam, batch 10, 2 epochs, engine as shown; new "
          f"NUMBA_CACHE_DIR each; median of {repeats}):")
    print(f"{'':32} {'engine (its code from)':>30} {'first run s':>12} {'sec/epoch':>10} "
          f"{'process s':>10} {'/ before':>9}")
    base = statistics.median(r["first_run_s"] for r in results["no disk cache, auto (before)"])
    for name, runs in results.items():
        first = statistics.median(r["first_run_s"] for r in runs)
        engine = runs[0]["engine"] + (f" ({runs[0]['source']})" if runs[0]["source"] else "")
        print(f"{name:32} {engine:>30} {first:12.3f} "
              f"{statistics.median(r['sec_per_epoch'] for r in runs):10.5f} "
              f"{statistics.median(r['process_s'] for r in runs):10.2f} {first / base:9.3f}")
    with tempfile.TemporaryDirectory(prefix="optviz-numba-") as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache,
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "optviz", "warm"], env=env, check=True,
                       capture_output=True)
        warm_s = time.perf_counter() - start
        size = sum(p.stat().st_size for p in Path(cache).rglob("*") if p.is_file())
        count = sum(1 for p in Path(cache).rglob("*") if p.is_file())
    print(f"  python -m optviz warm (all optimizers, empty cache): {warm_s:.1f} s, "
          f"{count} files, {size / 1024:.0f} KiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--fresh-only", action="store_true",
                        help="only the fresh process's first run")
    args = parser.parse_args()
    dataset = load(parser)
    data_dir = os.environ.get("OPTVIZ_DATA_DIR") or str(SHARED_DATA)
    if args.fresh_only:
        fresh_figures(data_dir, args.repeats)
        return
    threads = limit_torch_threads()
    start = time.perf_counter()
    trainer.warm_up(("adam",))
    compile_s = time.perf_counter() - start
    runs = {
        "scratch, compiled engine": dict(engine="compiled"),
        "scratch, tensor engine": dict(engine="tensor"),
        "torch impl (torch.optim)": dict(impl="torch"),
    }
    chapter_run(dataset)  # warm-up, like every run below
    for kwargs in runs.values():
        optviz_run(dataset, **kwargs)

    chapter = [chapter_run(dataset) for _ in range(args.repeats)]
    timed = statistics.median(c[0] for c in chapter)
    wall = statistics.median(c[1] for c in chapter)
    ours = {name: [optviz_run(dataset, seed=i, **kw) for i in range(args.repeats)]
            for name, kw in runs.items()}

    print(f"Adam, lr 0.01, batch 10, 2 epochs on the airfoil data (1500 x 5); median of "
          f"{args.repeats} runs; torch {torch.__version__}, {threads} torch thread(s), "
          f"{os.cpu_count()} CPUs")
    print(f"{'':34} {'sec/epoch':>10} {'final loss':>11} {'/ chapter':>10} "
          f"{'/ chapter wall':>15}")
    print(f"{'chapter loop, its own timer':34} {timed:10.5f} "
          f"{statistics.median(c[2] for c in chapter):11.4f}   (paused during evaluate_loss)")
    print(f"{'chapter loop, wall incl. logging':34} {wall:10.5f}")
    for name, results in ours.items():
        sec = statistics.median(r[0] for r in results)
        loss = statistics.median(r[1] for r in results)
        print(f"{'optviz ' + name:34} {sec:10.5f} {loss:11.4f} {sec / timed:10.4f} "
              f"{sec / wall:15.4f}")
    best = statistics.median(r[0] for r in ours["scratch, compiled engine"])
    tensor = statistics.median(r[0] for r in ours["scratch, tensor engine"])
    verdict = "met" if best <= TARGET * timed else "MISSED"
    print(f"target: optviz scratch <= {TARGET} x the chapter's loop: compiled engine "
          f"{best / timed:.4f} x its timer, {best / wall:.4f} x its wall time: {verdict}")
    print(f"  tensor engine (auto's choice until the rule is compiled): {tensor / timed:.3f} x "
          f"its timer, {tensor / wall:.3f} x its wall time")
    print(f"  the Adam rule made ready for the compiled engine (compiled, or loaded from "
          f"numba's disk cache if there: see below): {compile_s:.2f} s")
    print(f"  (optviz logs every 100 examples, the chapter every 200; losses use seeds "
          f"0..{args.repeats - 1}; the chapter's runs draw from torch's global RNG)")

    paused = statistics.median(consumer_run(dataset, CONSUMER_PAUSE_S)
                               for _ in range(args.repeats))
    unpaused = statistics.median(consumer_run(dataset, 0.0) for _ in range(args.repeats))
    verdict = "met" if paused < CONSUMER_BOUND_S else "MISSED"
    print(f"consumer time is not training time (tensor engine, 1 epoch, 16 log points): "
          f"{paused:.5f} s/epoch with the consumer sleeping {CONSUMER_PAUSE_S * 1e3:.0f} ms at "
          f"each, {unpaused:.5f} without; bound < {CONSUMER_BOUND_S} s: {verdict}")
    latency, step, whole = (statistics.median(x) for x in
                            zip(*(stop_run(dataset) for _ in range(args.repeats)), strict=True))
    verdict = "met" if whole < STOP_BOUND_S else "MISSED"
    print(f"a stop from another thread (tensor engine, batch 1, stopped after {STOP_AFTER_S} s): "
          f"ends {latency * 1e3:.2f} ms after the stop, one step {step * 1e3:.3f} ms; whole run "
          f"{whole:.2f} s, bound < {STOP_BOUND_S} s: {verdict}")
    fresh_figures(data_dir, args.repeats)


if __name__ == "__main__":
    main()
