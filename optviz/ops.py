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


def tan(x):
    return x.tan() if _is_tensor(x) else np.tan(x)


def log(x):
    return x.log() if _is_tensor(x) else np.log(x)


def tanh(x):
    return x.tanh() if _is_tensor(x) else np.tanh(x)


def sinh(x):
    return x.sinh() if _is_tensor(x) else np.sinh(x)


def cosh(x):
    return x.cosh() if _is_tensor(x) else np.cosh(x)


def atan(x):
    return x.atan() if _is_tensor(x) else np.arctan(x)


def sign(x):
    return x.sign() if _is_tensor(x) else np.sign(x)


def as_float(x):
    """A tensor as it is, anything else as NumPy float64: a user's function
    (`optviz.expression`) then gives inf or NaN where Python floats would raise
    (1/0) or turn complex ((-1)**0.5)."""
    if _is_tensor(x):
        return x
    x = np.asarray(x, dtype=float)
    return x[()] if x.ndim == 0 else x


def zeros_like(x):
    return x.new_zeros(x.shape) if _is_tensor(x) else np.zeros_like(x, dtype=float)


def ones_like(x):
    return x.new_ones(x.shape) if _is_tensor(x) else np.ones_like(x, dtype=float)
