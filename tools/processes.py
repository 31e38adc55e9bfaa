"""Server processes the tests or a benchmark started: stopping one, reading its CPU time,
waiting for it to go quiet."""

import os
import subprocess
import time
from pathlib import Path


def stop(proc: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL if it has not ended within `timeout` seconds; reaped either way."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def cpu_seconds(pid: int) -> float:
    """utime + stime + cutime + cstime of a process (all its threads), in seconds."""
    after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(x) for x in after_name[11:15]) / os.sysconf("SC_CLK_TCK")


def wait_quiet(pid: int, busy: float = 0.05, window_s: float = 1.0,
               timeout_s: float = 120.0) -> float:
    """Wait until the process uses under `busy` of a core over `window_s` (e.g. a server's
    background compilation has ended), at most `timeout_s`; returns the seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        before = cpu_seconds(pid)
        time.sleep(window_s)
        if cpu_seconds(pid) - before < busy * window_s:
            break
    return time.monotonic() - start
