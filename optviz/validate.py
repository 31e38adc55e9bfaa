"""Checking what a user gives: numbers, whole numbers, choices, flags, environment limits.

Every check raises `SettingsError` with one line a student understands, e.g.
"β1 must be a number, got 'abc'", naming the setting by its label (`label("beta1")` is
"β1"). The settings, the data loader, the trainer, the sweep, the job line and the CLI
all check through here, so a value is judged and described the same way everywhere.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable
from typing import Any

import numpy as np

from optviz import rules


class SettingsError(ValueError):
    """A setting a user gave is not allowed; the message is one line, in plain words."""


# Labels of settings that are not hyperparameters (those are in rules.LABELS).
FIELD_LABELS: dict[str, str] = {
    "surface": "Surface",
    "condition": "Condition number κ",
    "steps": "Steps",
    "start": "Start point",
    "x1": "Start x1",
    "x2": "Start x2",
    "bound": "Bound",
    "noise": "Gradient noise σ",
    "seed": "Seed",
    "optimizers": "Optimizers",
    "label": "Label",
    "lecture": "Lecture mode",
    "ensemble": "Ensemble",
    "basins": "Basin map",
    "predict": "Predict, then play",
}


def label(name: str) -> str:
    """The display label of a setting: "β1" for beta1, "Steps" for steps, else `name`."""
    return rules.LABELS.get(name) or FIELD_LABELS.get(name) or name


# --------------------------------------------------------------------- showing values


def num(x: float) -> str:
    """A float as typed: 0.4, 1e-06, 2, nan (never rounded, unlike :g)."""
    text = repr(float(x))
    return text[:-2] if text.endswith(".0") else text


def show(value: Any, limit: int = 40) -> str:
    """A short one-line rendering of a user's value for an error message."""
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, numbers.Integral)):
        try:
            return num(float(value))
        except (OverflowError, ValueError, TypeError):
            pass
    try:
        text = repr(value)
    except Exception:  # a value whose repr fails is still a bad value, not a crash
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ------------------------------------------------------------------------ checks


def real(value: Any, name: str) -> float:
    """`value` as a float, or SettingsError if it is not a real number (bools are not)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise SettingsError(f"{label(name)} must be a number, got {show(value)}")
    try:
        return float(value)
    except (OverflowError, ValueError, TypeError):
        raise SettingsError(f"{label(name)} is too large, got {show(value)}") from None


def whole(value: Any, name: str, low: int, high: int | None = None) -> int:
    """`value` as an int in low..high (no upper bound if None), else SettingsError.

    Floats that are whole (3.0) are taken; bools, text and fractions are not.
    """
    span = f"from {low} to {high}" if high is not None else f"≥ {low}"
    msg = f"{label(name)} must be a whole number {span}, got {show(value)}"
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise SettingsError(msg)
    if isinstance(value, numbers.Integral):
        n = int(value)
    else:
        try:
            x = float(value)
        except (OverflowError, ValueError, TypeError):
            raise SettingsError(msg) from None
        if not (math.isfinite(x) and x.is_integer()):
            raise SettingsError(msg)
        n = int(x)
    if n < low or (high is not None and n > high):
        raise SettingsError(msg)
    return n


def choice(value: Any, allowed: Iterable[str], what: str) -> str:
    """`value` (case and surrounding spaces forgiven) if it is one of `allowed`."""
    allowed = tuple(allowed)
    if isinstance(value, str):
        key = value.strip().lower()
        if key in allowed:
            return key
    raise SettingsError(f"Unknown {what} {show(value)}; choose one of: {', '.join(allowed)}")


# ------------------------------------------------------------------- text parsing


def parse_number(text: Any, name: str) -> float:
    """A finite float from user text (or a number), else SettingsError naming `name`'s label.

    parse_number("abc", "beta1") raises "β1 must be a number, got 'abc'".
    """
    if isinstance(text, str):
        try:
            x = float(text.strip())
        except ValueError:
            raise SettingsError(f"{label(name)} must be a number, got {show(text)}") from None
    else:
        x = real(text, name)
    if not math.isfinite(x):
        where = f" in {rules.describe_range(name)}" if name in rules.BOUNDS else ""
        raise SettingsError(f"{label(name)} must be a finite number{where}, got {num(x)}")
    return x


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def parse_bool(text: Any, name: str) -> bool:
    """true/false, 1/0, yes/no, on/off (any case) as a bool, else SettingsError."""
    if isinstance(text, bool | np.bool_):
        return bool(text)
    word = text.strip().lower() if isinstance(text, str) else None
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise SettingsError(f"{label(name)} must be true or false, got {show(text)}")


# ------------------------------------------------------------ environment limits


def env_number(name: str, default: float, low: float = 1) -> float:
    """The number in environment variable `name`; `default` if unset, unparsable, not
    finite or below `low`. A server's limits come from here, so a typo never stops it."""
    try:
        value = float(os.environ.get(name, "").strip())
    except ValueError:
        return default
    return value if math.isfinite(value) and value >= low else default


def env_int(name: str, default: int, low: int = 1) -> int:
    """The whole number in environment variable `name` (digits only: "1e3" and "1.5" are
    unparsable); `default` if unset, unparsable or below `low`."""
    try:
        value = int(os.environ.get(name, "").strip())
    except ValueError:
        return default
    return value if value >= low else default
