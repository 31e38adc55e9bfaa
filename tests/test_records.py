"""Finished runs as the trainer page keeps them, and their run log as CSV."""

import csv
import io
import threading

import pytest

from optviz import data
from optviz.export import run_log_csv
from optviz.records import RunRecord, records, run_label
from optviz.trainer import Trainer


@pytest.fixture(scope="module")
def small() -> data.Dataset:
    return data.synthetic(n=25, d=3)


def test_a_record_keeps_the_curve_in_epochs_the_timing_and_the_end(small) -> None:
    t = Trainer(small, log_every=10).fit()
    r = RunRecord.of("Adam, from scratch", t)
    assert r.label == "Adam, from scratch"
    assert r.epochs == tuple(e / 25 for e in t.examples) and r.epochs[-1] == 2.0
    assert r.losses == tuple(t.losses) and r.final_loss == t.final_loss == r.losses[-1]
    assert r.sec_per_epoch == tuple(t.sec_per_epoch) and not r.stopped


def test_only_trainers_that_ran_are_recorded(small) -> None:
    stop = threading.Event()
    stop.set()
    stopped_at_once = Trainer(small, stop=stop).fit()  # its initial loss only
    never_ran = Trainer(small)
    kept = records(["a", "b", "c"], [Trainer(small).fit(), stopped_at_once, never_ran])
    assert [r.label for r in kept] == ["a", "b"]
    assert kept[1].stopped and kept[1].losses == (stopped_at_once.losses[0],)
    assert records(["a"], []) == []


def test_the_run_log_has_one_row_per_run_and_log_point(small) -> None:
    runs = records(["first", "second, lr 0.1"], [Trainer(small).fit(),
                                                 Trainer(small, hyper={"lr": 0.1}).fit()])
    text = run_log_csv(runs)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["run", "epoch", "loss"]
    assert len(rows) == 1 + sum(len(r.losses) for r in runs)
    second = [row for row in rows[1:] if row[0] == "second, lr 0.1"]
    assert [float(e) for _, e, _ in second] == list(runs[1].epochs)
    assert [float(v) for *_, v in second] == list(runs[1].losses)  # repr: exact
    assert run_log_csv([]) == "run,epoch,loss\r\n"


def test_until_keeps_the_run_as_far_as_it_was_shown(small) -> None:
    t = Trainer(small, log_every=5, epochs=3).fit()
    r = RunRecord.of("a", t, run=4)
    cut = r.until(1.5)
    assert cut.run == 4 and cut.stopped and not r.stopped
    assert cut.epochs == tuple(e for e in r.epochs if e <= 1.5)
    assert cut.losses == r.losses[:len(cut.epochs)] and cut.final_loss == cut.losses[-1]
    assert cut.sec_per_epoch == r.sec_per_epoch[:1]  # one epoch finished by epoch 1.5
    assert r.until(3.0) is r and r.until(99) is r  # nothing cut off
    assert r.until(0).epochs == (0.0,)  # the initial loss at least


def test_the_median_seconds_per_epoch(small) -> None:
    t = Trainer(small, epochs=4).fit()
    r = RunRecord.of("a", t)
    ordered = sorted(r.sec_per_epoch)
    assert len(ordered) == 4 and r.median_sec_per_epoch == (ordered[1] + ordered[2]) / 2
    assert r.until(0.5).median_sec_per_epoch is None


def test_a_run_label_names_the_run_and_what_differs_from_the_baseline() -> None:
    first = {"optimizer": "Adam", "lr": "lr 0.01", "implementation": "from scratch",
             "batch": "batch 10", "data": "airfoil data"}
    assert run_label(1, first) == "Run 1 · Adam, lr 0.01, from scratch"
    assert run_label(2, first, first) == "Run 2 · Adam, lr 0.01, from scratch"
    later = {**first, "lr": "lr 0.05", "implementation": "torch.optim", "batch": "batch 20"}
    assert run_label(3, later, first) == "Run 3 · Adam, lr 0.05, torch.optim, batch 20"
    other = {**first, "data": "synthetic data"}
    assert run_label(4, other, first).endswith("from scratch, synthetic data")
