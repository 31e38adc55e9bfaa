"""Background jobs (training runs, sweeps) that share a server fairly, and how pages
start and watch them.

At most `slots` jobs run at once in this process; the others wait in line, in order.
A job runs in its own thread and hands its progress to whoever polls it. It ends when
its work ends, when someone calls `stop()`, when nobody has polled it for
`heartbeat_timeout` seconds (a page that polls while it is open frees the slot soon
after its tab closes, with no help from the browser), or, if it was given a
`connected` test, once that has said False for `disconnect_grace` seconds: the page's
browser connection is gone and did not come back.

The work is a function `work(job)` that checks `job.alive()` between steps and stops
when it turns False; it reports with `job.report(item)`. `train_work` and `sweep_work`
make one of `optviz` runs, and `watch` is the fragment a page polls its job with.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import streamlit as st

from optviz.validate import env_number

WAITING, RUNNING, DONE, STOPPED, FAILED = "waiting", "running", "done", "stopped", "failed"


@dataclass
class Job:
    id: int
    stop_event: threading.Event = field(default_factory=threading.Event)
    status: str = WAITING
    error: str = ""
    items: list = field(default_factory=list)  # what the work reported, in order
    result: object = None
    last_seen: float = field(default_factory=time.monotonic)
    heartbeat_timeout: float = 10.0
    connected: Callable[[], bool] | None = None  # safe to call from any thread
    disconnect_grace: float = 2.0
    _gone_since: float | None = None

    def heartbeat(self) -> None:
        """Say someone is still watching (a page calls this each time it polls)."""
        self.last_seen = time.monotonic()

    def alive(self) -> bool:
        """Whether the work should go on: not stopped, watched recently, still connected."""
        now = time.monotonic()
        if now - self.last_seen > self.heartbeat_timeout:
            self.stop_event.set()
        if self.connected is not None:
            if self.connected():
                self._gone_since = None
            elif self._gone_since is None:
                self._gone_since = now
            elif now - self._gone_since > self.disconnect_grace:
                self.stop_event.set()
        return not self.stop_event.is_set()

    def stop(self) -> None:
        self.stop_event.set()

    def report(self, item) -> None:
        self.items.append(item)  # list.append is atomic: readers see a prefix

    @property
    def finished(self) -> bool:
        return self.status in (DONE, STOPPED, FAILED)


class Jobs:
    """A server-wide line of jobs, `slots` of them running at once."""

    def __init__(self, slots: int, heartbeat_timeout: float = 10.0,
                 disconnect_grace: float = 2.0):
        self.slots = int(slots)
        self.heartbeat_timeout = heartbeat_timeout
        self.disconnect_grace = disconnect_grace
        self._slots = threading.Semaphore(self.slots)
        self._lock = threading.Lock()
        self._waiting: list[Job] = []
        self._running: set[int] = set()
        self._ids = itertools.count(1)

    def submit(self, work: Callable[[Job], object],
               connected: Callable[[], bool] | None = None) -> Job:
        """Queue `work`; `connected`, if given, tells whether its page is still there."""
        job = Job(next(self._ids), heartbeat_timeout=self.heartbeat_timeout,
                  connected=connected, disconnect_grace=self.disconnect_grace)
        with self._lock:
            self._waiting.append(job)
        threading.Thread(target=self._run, args=(job, work), daemon=True,
                         name=f"optviz-job-{job.id}").start()
        return job

    def position(self, job: Job) -> int:
        """1 for the next job to start, 0 once it runs or ends."""
        with self._lock:
            return self._waiting.index(job) + 1 if job in self._waiting else 0

    @property
    def running(self) -> int:
        with self._lock:
            return len(self._running)

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)

    def _run(self, job: Job, work: Callable[[Job], object]) -> None:
        # Wait for a slot, in turn, giving up if the job is stopped or abandoned.
        while True:
            if not job.alive():
                with self._lock:
                    self._waiting.remove(job)
                job.status = STOPPED
                return
            with self._lock:
                first = self._waiting[0] is job
            if first and self._slots.acquire(timeout=0.2):
                break
            if not first:
                time.sleep(0.05)
        with self._lock:
            self._waiting.remove(job)
            self._running.add(job.id)
        job.status = RUNNING
        try:
            job.result = work(job)
            job.status = STOPPED if job.stop_event.is_set() else DONE
        except Exception as e:  # reported to the page, never raised into the server
            job.error = f"{type(e).__name__}: {e}"
            job.status = FAILED
        finally:
            with self._lock:
                self._running.discard(job.id)
            self._slots.release()


JOBS = Jobs(slots=int(env_number("OPTVIZ_MAX_JOBS", 2, 1)),
            heartbeat_timeout=env_number("OPTVIZ_JOB_HEARTBEAT_S", 10.0, 1.0))


# ------------------------------------------------------------- optviz runs as jobs


class JobStop:
    """A job as the stop event of an optviz run: set once the job is stopped, or nobody
    watches it any more (`Job.alive`), so the run ends at its next step."""

    def __init__(self, job: Job):
        self.job = job

    def is_set(self) -> bool:
        return not self.job.alive()


def train_work(trainers: Sequence) -> Callable[[Job], Sequence]:
    """Work running `optviz.trainer.Trainer`s in turn, reporting (index, Progress) at every
    log point; once the job ends, the rest do not start. Trainers are built (and so
    validated) before the job is submitted, so a bad setting is reported at once, not
    from the line."""
    def work(job: Job) -> Sequence:
        stop = JobStop(job)
        for i, trainer in enumerate(trainers):
            if stop.is_set():
                break
            trainer.stop = stop
            for progress in trainer.run():
                job.report((i, progress))
        return trainers
    return work


def sweep_work(sweep):
    """Work running an `optviz.sweep.Sweep`, reporting its SweepProgress at every log point."""
    def work(job: Job):
        sweep.stop = JobStop(job)
        for progress in sweep.run():
            job.report(progress)
        return sweep
    return work


# ---------------------------------------------------------------- a page's watch

POLL_S = 0.5  # how often a page polls its job


def watch(key: str, progress: Callable[[Job], None],
          view: Callable[[Job | None], None] = lambda job: None,
          finished: Callable[[Job], None] = lambda job: None,
          shown: Callable[[Job], bool] = lambda job: True, every: float = POLL_S) -> None:
    """Poll the job in `st.session_state[key]` from a fragment, every `every` s (POLL_S)
    while it is on.

    Each poll beats the job's heart (a closed tab stops polling, so its job ends), then
    says the job's place in line while it waits, else draws `progress(job)`; `view(job)`
    follows in every state, also with no job (None). Once the job has ended and
    `shown(job)` says the page has shown all of it (a page that reveals a finished job's
    points over time says False until then; the polls go on meanwhile),
    `finished(job)` is called and the whole page runs again to show the outcome.
    """
    job = st.session_state.get(key)
    over = job is None or (job.finished and shown(job))

    @st.fragment(run_every=None if over else every)
    def poll() -> None:
        job = st.session_state.get(key)
        if job is not None:
            job.heartbeat()
            if job.finished and shown(job):
                finished(job)
                st.rerun()
            position = JOBS.position(job)
            if job.status == WAITING and position:
                running = JOBS.running
                st.info(f"Waiting for a free slot: {running} job{'' if running == 1 else 's'} "
                        f"running, you are number {position} in line",
                        icon=":material/hourglass_top:")
            else:
                progress(job)
        view(job)

    poll()
