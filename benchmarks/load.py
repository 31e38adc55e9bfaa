"""Benchmark: a room of visitors on one server core.

    .venv/bin/python benchmarks/load.py [--sessions 30] [--settle-s 180] [--quick]

What runs. `streamlit run app.py` on a free 127.0.0.1 port, pinned to one core
(`taskset -c 0`), reading the chapter's data from ../shared/data (or OPTVIZ_DATA_DIR,
or ~/.cache/optviz; without it the script says SKIPPED, since the trainer page would
fetch the data from the internet); this process, the load, pins itself to another
core (1), so the figures speak of the server. Each visitor is a light client
(tools/stclient.py: Streamlit's own websocket protocol, what a browser tab sends and
receives, without a browser), in its own thread.

One visitor, as a student in a lecture would: opens the explorer, moves Adam's β1 five
times, one move a second, each a released drag of the chart's β1 slider: what the
browser sends then, the chart component's state value `commit`
({"param": "beta1", "value": ...}, tools/stclient.py's set_state), which reruns the
chart's fragment once; the page sets the β1 field and computes (a drag's preview costs
the server nothing). The values are 0.899, 0.898, ... and each visitor's are its own (up
to 180 visitors), so the caches never answer for another: the worst case, since the
chart's slider commits only its own values (0.875, 0.9, ...), which a room of students
would often share, and a field typed by hand is the only way to these. It then
opens the trainer and presses Start (the page's defaults: Adam, batch size 10, 2 epochs,
from scratch and torch.optim overlaid), then polls the page's live fragment every
0.5 s, as the browser does, until the run is listed. Visitors arrive spread over
--ramp-s seconds. An interaction is one of those 8 page runs (open, 5 moves, open,
Start); its latency is from sending it to the server saying the run ended. The
fragment's polls are counted and timed apart.

Figures.
- errors: runs that raised, did not end within --timeout-s, or a training that failed
  (target 0);
- p50 / p95 interaction latency (target p95 <= 2 s);
- the server's CPU seconds per interaction, from its own accounting (/proc/<pid>/stat:
  utime + stime of all its threads, plus children's), over the whole visit, polls and
  training included, and the interactions per second one core would serve at that cost
  (target >= 20);
- memory per session: the server's RSS with every visitor still connected, minus idle,
  over N;
- memory --settle-s seconds after they leave (target within 10% of idle).
"Idle" is the server after one warm-up visit (imports, torch, numba's compile of the
default optimizer), not the bare start, which is printed too.

Prints the figures with each target met or MISSED; exits 0 either way.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import tomllib
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from optviz.data import AIRFOIL_FILE  # noqa: E402
from tools.processes import cpu_seconds  # noqa: E402
from tools.stclient import Session  # noqa: E402

DATA_DIRS = [ROOT.parent / "shared" / "data", os.environ.get("OPTVIZ_DATA_DIR"),
             Path.home() / ".cache" / "optviz"]
CHART = "chart"  # the explorer's chart component (its key in pages/explorer.py)
MOVES = 5
POLL_S = 0.5  # the trainer's fragment interval (pages/trainer.py)
TARGET_P95_S = 2.0
TARGET_PER_CORE = 20.0
TARGET_SETTLED = 0.10


@dataclass
class Visit:
    latencies: list[float] = field(default_factory=list)  # interactions
    polls: list[float] = field(default_factory=list)  # the live fragment's reruns
    errors: list[str] = field(default_factory=list)
    trained_s: float | None = None  # from Start to the run listed


# ------------------------------------------------------------------ the server


def post_script_gc() -> str:
    """Streamlit's runner.postScriptGC as the server will see it: the environment, else
    .streamlit/config.toml, else Streamlit's default (true). It decides most of the CPU
    figure: a full collection after every run, of ~400k objects once torch is loaded."""
    if "STREAMLIT_RUNNER_POST_SCRIPT_GC" in os.environ:
        return os.environ["STREAMLIT_RUNNER_POST_SCRIPT_GC"] + " (environment)"
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    return str(config.get("runner", {}).get("postScriptGC", True)).lower() + " (config)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def data_dir() -> Path | None:
    """The first folder holding the airfoil data, or None."""
    found = [Path(d) for d in DATA_DIRS if d and (Path(d) / AIRFOIL_FILE).is_file()]
    return found[0] if found else None


def start_server(cpu: int | None, data: Path, log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "OPTVIZ_DATA_DIR": str(data)}
    pin = ["taskset", "-c", str(cpu)] if cpu is not None else []
    proc = subprocess.Popen(  # taskset execs python: proc.pid is the server itself
        [*pin, sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited ({proc.returncode}); see {log_path}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return proc, url
        except OSError:
            time.sleep(0.25)
    proc.kill()
    raise RuntimeError("the server did not become healthy in 60 s")


def wait_quiet(pid: int, bound_s: float = 90.0) -> None:
    """Wait until the server has used under 0.05 CPU s in 2 s (background compiles done)."""
    deadline = time.monotonic() + bound_s
    while time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(2)
        if cpu_seconds(pid) - before < 0.05:
            return


# ------------------------------------------------------------------ one visitor


def listed_runs(run) -> list[dict]:
    """The trainer's table of finished runs (run, final loss, seconds per epoch, note)."""
    tables = run.of_type("table")
    return pa.ipc.open_stream(tables[-1].arrow_data.data).read_all().to_pylist() \
        if tables else []


def beta1_move(index: int, k: int) -> float:
    """Visitor `index`'s k-th β1, committed as the chart does: 0.899, 0.898, ... (off the
    slider's values, so that no cache answers), distinct across the first 180 visitors."""
    return round(0.899 - 0.001 * ((index * MOVES + k) % 900), 3)


def visit(url: str, index: int, args, record: Visit, done: threading.Event,
          leave: threading.Event) -> None:
    def interaction(action, *a):
        run = action(*a)
        record.latencies.append(run.seconds)
        if not run.ok:
            record.errors.append(f"{run.page_name}: run not ok ({len(run.exceptions)} "
                                 "exceptions)")
        return run

    try:
        with Session(url, timeout=args.timeout_s) as s:
            interaction(s.open, "explorer")
            for k in range(MOVES):
                time.sleep(args.think_s)
                interaction(s.set_state, CHART, "commit",
                            {"param": "beta1", "value": beta1_move(index, k)})
            time.sleep(args.think_s)
            interaction(s.open, "trainer")
            time.sleep(args.think_s)
            started = time.monotonic()
            run = interaction(s.click, "train_start")
            deadline = started + args.timeout_s
            while run.widgets["train_start"].proto.disabled:  # a job runs or waits
                if time.monotonic() > deadline:
                    raise TimeoutError(f"training not done in {args.timeout_s:.0f} s")
                fragment = next(iter(s.auto_reruns), None)
                if fragment is None:
                    raise RuntimeError("Start is off but nothing polls the job")
                time.sleep(s.auto_reruns[fragment] or POLL_S)
                run = s.run_fragment(fragment)
                record.polls.append(run.seconds)
                if run.exceptions:
                    raise RuntimeError("a poll raised")
            listed = listed_runs(run)  # a failed run lists nothing; a stopped one says so
            if not listed or any(r["note"] for r in listed):
                raise RuntimeError(f"training did not end well: {listed}")
            record.trained_s = time.monotonic() - started
            done.set()
            leave.wait()
    except Exception as e:  # a visitor's failure is a figure, not a crash
        record.errors.append(f"{type(e).__name__}: {e}")
    finally:
        done.set()


# ------------------------------------------------------------------ the run


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 \
        else (values[0] if values else float("nan"))


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=30, help="visitors (default 30)")
    parser.add_argument("--settle-s", type=float, default=180,
                        help="seconds after they leave before memory is read (default 180)")
    parser.add_argument("--ramp-s", type=float, default=10,
                        help="visitors arrive spread over this many seconds (default 10)")
    parser.add_argument("--think-s", type=float, default=1.0,
                        help="a visitor's pause between interactions (default 1)")
    parser.add_argument("--timeout-s", type=float, default=300,
                        help="bound on one run and on one visitor's training (default 300)")
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--load-cpu", type=int, default=1)
    parser.add_argument("--quick", action="store_true",
                        help="a short trial: 5 sessions, 2 s ramp, 20 s settle")
    args = parser.parse_args()
    if args.quick:
        args.sessions, args.ramp_s, args.settle_s = 5, 2.0, 20.0
    n = max(1, min(args.sessions, 200))  # bounded: this is a benchmark, not an attack

    cpus = os.sched_getaffinity(0)
    pinned = (shutil.which("taskset") is not None and args.server_cpu in cpus
              and args.load_cpu in cpus and args.server_cpu != args.load_cpu)
    if pinned:
        os.sched_setaffinity(0, {args.load_cpu})
    data = data_dir()
    if data is None:
        print(f"SKIPPED: no {AIRFOIL_FILE} in {', '.join(str(d) for d in DATA_DIRS if d)}; "
              "the trainer page would download it, and a load test stays on 127.0.0.1")
        return
    log_path = ROOT / "benchmarks" / ".load-server.log"
    print(f"load: {n} sessions, ramp {args.ramp_s:g} s, think {args.think_s:g} s, "
          f"airfoil data from {data}; "
          + (f"server on CPU {args.server_cpu}, load on CPU {args.load_cpu}" if pinned
             else "NOT pinned (taskset or a second CPU missing)")
          + f"; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
          + f"; postScriptGC {post_script_gc()}")

    proc, url = start_server(args.server_cpu if pinned else None, data, log_path)
    try:
        pid = proc.pid
        cold_mb = rss_mb(pid)
        warm = Visit()
        never = threading.Event()
        never.set()
        visit(url, 0, argparse.Namespace(think_s=0, timeout_s=args.timeout_s), warm,
              threading.Event(), never)
        if warm.errors:
            print(f"warm-up visit failed: {warm.errors}")
        wait_quiet(pid)
        idle_mb = rss_mb(pid)

        records = [Visit() for _ in range(n)]
        dones = [threading.Event() for _ in range(n)]
        leave = threading.Event()
        threads = [threading.Thread(target=visit, args=(url, i + 1, args, records[i],
                                                        dones[i], leave),
                                    daemon=True) for i in range(n)]
        cpu0, t0, peak_mb = cpu_seconds(pid), time.monotonic(), idle_mb
        for t in threads:
            t.start()
            time.sleep(args.ramp_s / n)
        deadline = t0 + args.ramp_s + 10 * args.think_s + 2 * args.timeout_s
        while not all(d.is_set() for d in dones) and time.monotonic() < deadline:
            peak_mb = max(peak_mb, rss_mb(pid))
            time.sleep(0.5)
        cpu1, t1 = cpu_seconds(pid), time.monotonic()
        connected_mb = rss_mb(pid)
        leave.set()
        for t in threads:
            t.join(timeout=30)

        settle_end = time.monotonic() + args.settle_s
        while time.monotonic() < settle_end and proc.poll() is None:
            time.sleep(min(5.0, max(0.0, settle_end - time.monotonic())))
        settled_mb = rss_mb(pid)
        alive = proc.poll() is None
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()

    latencies = [x for r in records for x in r.latencies]
    polls = [x for r in records for x in r.polls]
    errors = [e for r in records for e in r.errors]
    trained = [r.trained_s for r in records if r.trained_s is not None]
    cpu = cpu1 - cpu0
    per_interaction = cpu / len(latencies) if latencies else float("nan")
    per_core = 1 / per_interaction if per_interaction > 0 else float("nan")
    p50, p95 = pct(latencies, 50), pct(latencies, 95)
    settled = (settled_mb - idle_mb) / idle_mb

    print(f"\nvisit: {t1 - t0:.1f} s wall (load average now {os.getloadavg()[0]:.1f}), "
          f"{len(latencies)} interactions, {len(polls)} "
          f"polls, {len(trained)} of {n} trainings done; server alive after: {alive}")
    print(f"{'figure':<44}{'value':>14}   target")
    rows = [
        ("errors", f"{len(errors)}", f"0 ({verdict(not errors)})"),
        ("interaction latency p50", f"{p50:.3f} s", ""),
        ("interaction latency p95", f"{p95:.3f} s",
         f"<= {TARGET_P95_S:g} s ({verdict(p95 <= TARGET_P95_S)})"),
        ("poll latency p50 / p95", f"{pct(polls, 50):.3f} / {pct(polls, 95):.3f} s", ""),
        ("Start to trained, p50 / max", f"{pct(trained, 50):.1f} / "
         f"{max(trained, default=float('nan')):.1f} s", ""),
        ("server CPU during the visit", f"{cpu:.1f} s", ""),
        ("server CPU per interaction", f"{per_interaction * 1000:.1f} ms", ""),
        ("interactions per second, one core", f"{per_core:.1f}",
         f">= {TARGET_PER_CORE:g} ({verdict(per_core >= TARGET_PER_CORE)})"),
        ("server RSS: cold start / idle (warm)", f"{cold_mb:.0f} / {idle_mb:.0f} MB", ""),
        (f"server RSS: peak / with {n} connected", f"{peak_mb:.0f} / {connected_mb:.0f} MB", ""),
        ("memory per session", f"{(connected_mb - idle_mb) / n:.1f} MB", ""),
        (f"server RSS {args.settle_s:g} s after they left", f"{settled_mb:.0f} MB",
         f"within 10% of idle: {settled:+.1%} ({verdict(settled <= TARGET_SETTLED)})"),
    ]
    for name, value, target in rows:
        print(f"{name:<44}{value:>14}   {target}")
    for e in sorted(set(errors))[:10]:
        print(f"  error: {e} (x{errors.count(e)})")


if __name__ == "__main__":
    main()
