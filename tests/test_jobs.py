"""The server-wide job line: slots, order, stop, abandoned tabs, failures."""

import threading
import time

from ui.jobs import DONE, FAILED, RUNNING, STOPPED, WAITING, Jobs, JobStop, sweep_work, train_work


def _wait(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def _blocking(gate: threading.Event, log: list):
    def work(job):
        log.append(job.id)
        while job.alive() and not gate.is_set():
            job.heartbeat()
            time.sleep(0.01)
        return job.id
    return work


def test_at_most_slots_run_and_the_rest_wait_in_order():
    jobs, gate, log = Jobs(slots=2), threading.Event(), []
    submitted = [jobs.submit(_blocking(gate, log)) for _ in range(4)]
    assert _wait(lambda: jobs.running == 2)
    time.sleep(0.2)
    assert jobs.running == 2 and jobs.waiting == 2
    assert [jobs.position(j) for j in submitted] == [0, 0, 1, 2]
    assert [j.status for j in submitted] == [RUNNING, RUNNING, WAITING, WAITING]
    submitted[0].stop()
    assert _wait(lambda: submitted[2].status == RUNNING)
    assert submitted[3].status == WAITING and jobs.position(submitted[3]) == 1
    gate.set()
    assert _wait(lambda: all(j.finished for j in submitted))
    assert log == [1, 2, 3, 4]
    assert submitted[0].status == STOPPED and submitted[1].status == DONE
    assert submitted[1].result == 2


def test_a_stopped_waiting_job_leaves_the_line_without_running():
    jobs, gate, log = Jobs(slots=1), threading.Event(), []
    first = jobs.submit(_blocking(gate, log))
    second = jobs.submit(_blocking(gate, log))
    assert _wait(lambda: first.status == RUNNING)
    second.stop()
    assert _wait(lambda: second.status == STOPPED)
    assert jobs.waiting == 0 and log == [first.id]
    gate.set()


def test_an_abandoned_job_frees_its_slot_after_the_heartbeat_timeout():
    jobs = Jobs(slots=1, heartbeat_timeout=0.3)

    def silent(job):  # nobody polls it: like a closed tab
        while job.alive():
            time.sleep(0.01)

    abandoned = jobs.submit(silent)
    started = time.monotonic()
    assert _wait(lambda: abandoned.status == STOPPED, timeout=3)
    assert time.monotonic() - started < 2
    nxt = jobs.submit(lambda job: "ran")
    assert _wait(lambda: nxt.status == DONE) and nxt.result == "ran"


def _watched(job):  # its page polls all along: only the connection can end it
    while job.alive():
        job.heartbeat()
        time.sleep(0.01)


def test_a_job_whose_page_disconnected_stops_after_the_grace_and_frees_its_slot():
    jobs = Jobs(slots=1, heartbeat_timeout=60, disconnect_grace=0.3)
    connected = threading.Event()
    connected.set()
    job = jobs.submit(_watched, connected=connected.is_set)
    assert _wait(lambda: job.status == RUNNING)
    time.sleep(0.5)
    assert job.status == RUNNING  # connected: runs on
    gone_at = time.monotonic()
    connected.clear()
    assert _wait(lambda: job.status == STOPPED, timeout=3)
    assert 0.3 <= time.monotonic() - gone_at < 2
    nxt = jobs.submit(lambda job: "ran")
    assert _wait(lambda: nxt.status == DONE) and nxt.result == "ran"


def test_a_connection_back_within_the_grace_keeps_the_job():
    jobs = Jobs(slots=1, heartbeat_timeout=60, disconnect_grace=1.0)
    connected = threading.Event()
    connected.set()
    job = jobs.submit(_watched, connected=connected.is_set)
    assert _wait(lambda: job.status == RUNNING)
    connected.clear()  # a network blip: the browser reconnects to the same session
    time.sleep(0.3)
    connected.set()
    time.sleep(1.5)
    assert job.status == RUNNING
    job.stop()
    assert _wait(lambda: job.status == STOPPED)


def test_a_failing_job_reports_and_frees_its_slot():
    jobs = Jobs(slots=1)
    bad = jobs.submit(lambda job: 1 / 0)
    assert _wait(lambda: bad.status == FAILED)
    assert "ZeroDivisionError" in bad.error
    good = jobs.submit(lambda job: job.report("hello") or 7)
    assert _wait(lambda: good.status == DONE)
    assert good.items == ["hello"] and good.result == 7 and jobs.running == 0


# ------------------------------------------------------------- optviz runs as jobs


class _Run:
    """A stand-in for a Trainer or Sweep: steps until its stop event is set."""

    def __init__(self, steps: int, pause: float = 0.0):
        self.steps, self.pause, self.done, self.stop = steps, pause, 0, None

    def run(self):
        for _ in range(self.steps):
            if self.stop is not None and self.stop.is_set():
                return
            time.sleep(self.pause)
            self.done += 1
            yield self.done


def test_job_stop_is_set_once_the_job_is_stopped_or_abandoned():
    jobs = Jobs(slots=1, heartbeat_timeout=0.2)
    job = jobs.submit(lambda job: None)
    stop = JobStop(job)
    job.heartbeat()
    assert not stop.is_set()
    job.stop()
    assert stop.is_set()
    other = jobs.submit(lambda job: None)
    time.sleep(0.3)  # nobody polled it
    assert JobStop(other).is_set()


def test_train_work_reports_each_run_in_turn_with_its_index():
    jobs = Jobs(slots=1)
    runs = [_Run(2), _Run(3)]
    job = jobs.submit(train_work(runs))
    assert _wait(lambda: job.finished)
    assert job.status == DONE and job.result is runs
    assert job.items == [(0, 1), (0, 2), (1, 1), (1, 2), (1, 3)]
    assert all(isinstance(r.stop, JobStop) for r in runs)


def test_a_stopped_train_job_ends_its_run_and_starts_no_other():
    jobs = Jobs(slots=1)
    runs = [_Run(10**9, pause=0.001), _Run(5)]
    job = jobs.submit(train_work(runs))
    assert _wait(lambda: len(job.items) > 3)
    job.stop()
    assert _wait(lambda: job.finished)
    assert job.status == STOPPED and runs[0].done < 10**9 and runs[1].done == 0


def test_sweep_work_reports_the_runs_progress():
    jobs = Jobs(slots=1)
    run = _Run(3)
    job = jobs.submit(sweep_work(run))
    assert _wait(lambda: job.finished)
    assert job.status == DONE and job.result is run and job.items == [1, 2, 3]
