"""A finished training run as the trainer page lists, overlays and exports it, and the
legend label that tells repeat runs apart."""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

# The settings every label names; the others only where they differ from the baseline.
ALWAYS_NAMED = ("optimizer", "lr", "implementation")


@dataclass(frozen=True)
class RunRecord:
    """What is kept of one run: its curve (loss per epoch), timing and how it ended."""

    label: str
    epochs: tuple[float, ...]  # the log points, in epochs (examples / n)
    losses: tuple[float, ...]  # L(θ) at each of them, the first one the initial loss
    sec_per_epoch: tuple[float, ...]  # finished epochs only
    final_loss: float
    stopped: bool
    run: int = 0  # the page's run number (one Start), shared by the curves it drew

    @classmethod
    def of(cls, label: str, trainer, run: int = 0) -> RunRecord:
        """The record of an `optviz.trainer.Trainer` that has run."""
        return cls(label, tuple(e / trainer.n for e in trainer.examples), tuple(trainer.losses),
                   tuple(trainer.sec_per_epoch), trainer.final_loss, trainer.stopped, run)

    @property
    def median_sec_per_epoch(self) -> float | None:
        """The median of the finished epochs' times; None if none finished."""
        return statistics.median(self.sec_per_epoch) if self.sec_per_epoch else None

    def until(self, epoch: float) -> RunRecord:
        """The run as if stopped at `epoch`: the log points up to it (the initial loss at
        least), the epochs finished by then; `stopped` if that cuts anything off."""
        kept = max(1, sum(1 for e in self.epochs if e <= epoch))
        if kept == len(self.epochs):
            return self
        epochs = self.epochs[:kept]
        return replace(self, epochs=epochs, losses=self.losses[:kept],
                       sec_per_epoch=self.sec_per_epoch[:int(epochs[-1] + 1e-9)],
                       final_loss=self.losses[kept - 1], stopped=True)


def records(labels: Sequence[str], trainers: Sequence, run: int = 0) -> list[RunRecord]:
    """Records of the trainers that ran, each with its label. A trainer a stop kept from
    starting has nothing to show; one stopped before its first step has its initial loss."""
    return [RunRecord.of(label, t, run) for label, t in zip(labels, trainers, strict=False)
            if t.losses]


def run_label(number: int, settings: Mapping[str, str],
              baseline: Mapping[str, str] | None = None) -> str:
    """A legend label for run `number`: "Run 2 · Adam, lr 0.05, from scratch".

    `settings` maps each setting's name to how a label writes it ("lr 0.05", "batch 20",
    "synthetic data"), in the order to name them. The ALWAYS_NAMED ones are always named,
    the others only where they differ from `baseline` (another run's settings: the
    first on the chart, say), so that the label says what changed; without a baseline,
    only the ALWAYS_NAMED ones.
    """
    named = [text for key, text in settings.items()
             if key in ALWAYS_NAMED or (baseline is not None and baseline.get(key) != text)]
    return f"Run {number} · " + ", ".join(named)
