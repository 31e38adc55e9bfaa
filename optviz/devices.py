"""Where training runs: which torch devices this server has, and torch's threads."""

from __future__ import annotations

import threading
from typing import Any

import torch

from optviz.validate import SettingsError, env_int, show

DEVICES = ("auto", "cpu", "cuda", "mps")

_threads_lock = threading.Lock()
_threads_set = False


def limit_torch_threads() -> int:
    """Bound torch's intra-op threads, once per process; returns the number.

    OPTVIZ_TORCH_THREADS, default 1. The server's cores are shared between users' jobs
    (see `ui.jobs`), and torch would otherwise start one thread per core for each of
    them; on matrices of a few thousand numbers threads only add synchronisation.
    """
    global _threads_set
    with _threads_lock:
        if not _threads_set:
            torch.set_num_threads(env_int("OPTVIZ_TORCH_THREADS", 1))
            _threads_set = True
        return torch.get_num_threads()


def available_devices() -> dict[str, str | None]:
    """For each device, None if it can be used here, else why not (one line)."""
    if not torch.backends.cuda.is_built():
        cuda = "torch was built without CUDA"
    elif not torch.cuda.is_available():
        cuda = "no CUDA GPU on this server"
    else:
        cuda = None
    if not torch.backends.mps.is_built():
        mps = "torch was built without MPS"
    elif not torch.backends.mps.is_available():
        mps = "no Apple GPU (MPS) on this server"
    else:
        mps = None
    return {"cpu": None, "cuda": cuda, "mps": mps}


def resolve_device(name: Any) -> torch.device:
    """The device `name` asks for ("auto": cuda, else mps, else cpu), or SettingsError."""
    key = name.strip().lower() if isinstance(name, str) else None
    if key not in DEVICES:
        raise SettingsError(
            f"Unknown device {show(name)}; choose one of: {', '.join(DEVICES)}")
    reasons = available_devices()
    if key == "auto":
        key = next(d for d in ("cuda", "mps", "cpu") if reasons[d] is None)
    if reasons[key] is not None:
        raise SettingsError(f"Device {key} cannot be used: {reasons[key]}")
    return torch.device(key)


def synchronize(device: torch.device) -> None:
    """Wait for the work queued on `device`, before reading a clock."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
