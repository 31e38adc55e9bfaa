"""A finished training run as the trainer page lists, overlays and exports it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RunRecord:
    """What is kept of one run: its curve (loss per epoch), timing and how it ended."""

    label: str
    epochs: tuple[float, ...]  # the log points, in epochs (examples / n)
    losses: tuple[float, ...]  # L(θ) at each of them, the first one the initial loss
    sec_per_epoch: tuple[float, ...]  # finished epochs only
    final_loss: float
    stopped: bool

    @classmethod
    def of(cls, label: str, trainer) -> RunRecord:
        """The record of an `optviz.trainer.Trainer` that has run."""
        return cls(label, tuple(e / trainer.n for e in trainer.examples), tuple(trainer.losses),
                   tuple(trainer.sec_per_epoch), trainer.final_loss, trainer.stopped)


def records(labels: Sequence[str], trainers: Sequence) -> list[RunRecord]:
    """Records of the trainers that ran, each with its label. A trainer a stop kept from
    starting has nothing to show; one stopped before its first step has its initial loss."""
    return [RunRecord.of(label, t) for label, t in zip(labels, trainers, strict=False)
            if t.losses]
