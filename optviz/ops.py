"""The few array functions the update rules and test functions need.

Rules and surfaces are written once with Python operators plus these helpers, so the
same source runs on Python floats, NumPy arrays and torch tensors (which keeps
autograd and the device of its input). NumPy's ufuncs would silently turn a tensor
into an ndarray, hence the dispatch on type.
"""

from __future__ import annotations

import numpy as np


def _is_tensor(x) -> bool:
    # Checked by name so that importing optviz never has to import torch.
    return type(x).__module__.startswith("torch")


def sqrt(x):
    return x.sqrt() if _is_tensor(x) else np.sqrt(x)


def maximum(a, b):
    if _is_tensor(a):
        return a.maximum(b) if _is_tensor(b) else a.clamp(min=b)
    return np.maximum(a, b)


def sin(x):
    return x.sin() if _is_tensor(x) else np.sin(x)


def cos(x):
    return x.cos() if _is_tensor(x) else np.cos(x)


def exp(x):
    return x.exp() if _is_tensor(x) else np.exp(x)


def zeros_like(x):
    return x.new_zeros(x.shape) if _is_tensor(x) else np.zeros_like(x, dtype=float)


def ones_like(x):
    return x.new_ones(x.shape) if _is_tensor(x) else np.ones_like(x, dtype=float)
