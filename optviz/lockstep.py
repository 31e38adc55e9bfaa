"""Lock-step check: optviz's update rules against `torch.optim`, step for step.

The same run is computed twice from the same start: by optviz's trajectory engine
(NumPy, float64, analytic gradient) and by the `torch.optim` optimizer of the same
name minimizing `surface.f` on a 2-element parameter (autograd gradient), in float32
by default as a student's model would be. The largest coordinate difference,
max_k max_i |x_k,i − θ_k,i|, is then float32 rounding, ~1e-7, if the rules match.

Two limits of what the number says. torch keeps NAdam's running product of μ_t in
float32 even for a float64 parameter (unless torch's default dtype is float64), so
NAdam agrees to ~1e-8 there, not ~1e-15. And where the dynamics are chaotic (SGD with
a large step on Rastrigin) or blow up, any rounding difference grows until the two
paths part: then a large difference says nothing about the rules.

torch is imported only when a comparison runs, so a page that merely offers the
check does not pay for importing it.
"""

from __future__ import annotations

import importlib.util
from typing import NamedTuple

import numpy as np

from optviz import torch_bridge, trajectory
from optviz.surfaces import Surface

NO_BIAS_SWITCH = "torch.optim.Adam has no switch to turn bias correction off"


class LockstepResult(NamedTuple):
    max_abs_diff: float  # max over compared steps and coordinates of |x_optviz − θ_torch|
    steps: int  # steps compared: the common finite prefix of both runs
    torch_points: np.ndarray  # (steps + 1, 2), torch's θ_0 .. θ_steps as float64
    available: bool  # False: no torch counterpart (see reason), nothing was compared
    reason: str = ""


def _unavailable(reason: str) -> LockstepResult:
    return LockstepResult(float("nan"), 0, np.empty((0, 2)), False, reason)


def compare_with_torch(surface: Surface, run: trajectory.Run, steps: int,
                       dtype="float32") -> LockstepResult:
    """Run `run` for `steps` steps in optviz and in torch.optim; compare the points.

    dtype: torch's parameter dtype, "float32" (default) or "float64" (or a torch
    dtype). A run that diverges in either is compared up to its last finite point.
    """
    if run.optimizer not in torch_bridge.TORCH_CLASSES:
        return _unavailable(f"torch.optim has no counterpart of {run.optimizer!r}")
    if getattr(run.hyper, "bias_correction", True) is False:
        return _unavailable(NO_BIAS_SWITCH)
    if importlib.util.find_spec("torch") is None:
        return _unavailable("torch is not installed")
    import torch

    ours = trajectory.run(surface, [run], int(steps), engine="numpy")[0].points
    if isinstance(dtype, str):
        dtype = getattr(torch, dtype)
    theta = torch.tensor(run.start, dtype=dtype, requires_grad=True)
    opt = torch_bridge.build(run.optimizer, run.hyper, [theta], single_tensor=True)
    points = [theta.detach().to(torch.float64).numpy().copy()]
    for _ in range(len(ours) - 1):  # no further than optviz's last good point
        opt.zero_grad()
        surface.f(theta[0], theta[1]).backward()
        opt.step()
        p = theta.detach().to(torch.float64).numpy().copy()
        if not np.isfinite(p).all():
            break
        points.append(p)
    theirs = np.array(points)
    n = len(theirs)
    return LockstepResult(float(np.abs(ours[:n] - theirs).max()), n - 1, theirs, True)
