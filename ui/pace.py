"""How fast the trainer page shows a run: as computed, or spread over a few seconds.

The chapter's default run (300 steps) is computed in well under a second, so its
"live" curve used to appear complete. The design here: the job still computes at full
speed and ends (freeing its server-wide slot at once, as fast as before); the page
then *reveals* the logged points in step with a clock. After t seconds of a run paced
at T seconds, the curves are drawn up to epoch `epochs · t / T` (never past what has
been computed, so a run slower than its pace simply grows as it is computed). Both
implementations of a run are revealed together, so their curves grow side by side.

Throttling the job's reporting instead would have held its slot for the whole T
seconds, and kept a second class of "slow" jobs in the line. Stop freezes the reveal
where it is (and stops the job if it still computes); the run is then kept as far as
it was shown, marked "stopped early", as a run stopped while computing is.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from optviz.validate import SettingsError

# The pace control's choices: seconds a whole run takes to show (0: as computed).
PACES = {"As fast as possible": 0.0, "About 5 s per run": 5.0, "About 20 s per run": 20.0}
DEFAULT_PACE = "About 5 s per run"


def pace_seconds(choice: object) -> float:
    """The seconds a run takes to show at the pace named `choice`; SettingsError (one
    line) for anything that is not one of PACES."""
    if isinstance(choice, str) and choice in PACES:
        return PACES[choice]
    raise SettingsError(f"Pace must be one of {', '.join(PACES)}; got {choice!r}")


@dataclass
class Reveal:
    """The clock of one run's reveal: `epochs` long, shown over `seconds` (0: at once).

    The clock starts at the first logged point (`start`), not at the press of Start, so
    a job that waited in line is still shown at its pace.
    """

    epochs: float
    seconds: float
    started: float | None = None  # time.monotonic() of the first point
    stopped_at: float | None = None  # the epoch where Stop froze it

    def start(self, now: float | None = None) -> None:
        if self.started is None:
            self.started = time.monotonic() if now is None else now

    def cutoff(self, now: float | None = None) -> float:
        """The last epoch to draw now (inf: everything computed)."""
        if self.stopped_at is not None:
            return self.stopped_at
        if self.seconds <= 0:
            return math.inf
        if self.started is None:
            return 0.0
        t = (time.monotonic() if now is None else now) - self.started
        return self.epochs * min(1.0, max(0.0, t) / self.seconds)

    def done(self, now: float | None = None) -> bool:
        """Whether the whole run (or all of it up to a Stop) has been shown."""
        return self.stopped_at is not None or self.cutoff(now) >= self.epochs

    def stop(self, now: float | None = None) -> None:
        """Freeze the reveal where it is (a run shown as computed has nothing to freeze)."""
        if self.seconds > 0 and self.stopped_at is None:
            self.stopped_at = self.cutoff(now)
