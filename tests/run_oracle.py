"""The oracle the batched preview paths are held to: one `trajectory.run` per run."""

import numpy as np


def at_steps(array: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Rows `steps` of `array`, NaN past its end (a run cut where it diverged); float32:
    what `trajectory.run_points` gives for one run, from that run's own Trajectory."""
    out = np.full((len(steps), *array.shape[1:]), np.nan, np.float32)
    have = steps < len(array)
    out[have] = array[steps[have]]
    return out
