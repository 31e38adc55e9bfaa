"""What both commands share: the parser that fails in one line, the hyperparameter
options (one per rule field, from `optviz.rules`) and their defaults, read from
`optviz.defaults` so that `--help` can never disagree with what runs."""

from __future__ import annotations

import argparse
import math
import re
import textwrap
from typing import Any

import numpy as np

from optviz import rules, settings
from optviz.defaults import DEFAULTS
from optviz.validate import SettingsError

PROG = "optviz"

# Every hyperparameter with a range gets "--name X", every flag "--name/--no-name". A
# flag that every optimizer name fixes (nesterov) is hidden from --help and, if given,
# answered with the optimizer to use instead ("use --optimizer nesterov instead").
NUMERIC = tuple(rules.BOUNDS)
FLAGS = tuple(dict.fromkeys(
    k for r in rules.RULES.values() for k in r.hyper._fields
    if isinstance(r.hyper._field_defaults[k], bool)
))


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but an error is one line on stderr (no usage dump) and exit status 2."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        # Read "-1e-3", "-.5", "-inf" as (negative) values, not as unknown options:
        # this parser has no option that looks like a number.
        self._negative_number_matcher = re.compile(r"^-(?:\d|\.\d|inf|nan)", re.IGNORECASE)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{PROG}: error: {' '.join(str(message).split())}\n")


def dashed(key: str) -> str:
    return "--" + key.replace("_", "-")


def users(key: str) -> list[str]:
    """The optimizers that take hyperparameter `key`."""
    return [n for n, r in rules.RULES.items() if key in r.tunable]


def add_hyperparameters(command: argparse.ArgumentParser, intro: str) -> None:
    hp = command.add_argument_group("hyperparameters", textwrap.fill(intro, 78))
    for key in NUMERIC:
        hp.add_argument(dashed(key), dest=key, metavar="X",
                        help=f"{rules.LABELS[key]}, in {rules.describe_range(key)} "
                             f"({', '.join(users(key))})")
    for key in FLAGS:
        who = users(key)
        hp.add_argument(dashed(key), dest=key, action=argparse.BooleanOptionalAction,
                        default=None,
                        help=f"{rules.LABELS[key]} ({', '.join(who)})" if who
                        else argparse.SUPPRESS)


def given_hyper(args: argparse.Namespace, names: list[str]) -> dict[str, Any]:
    """The hyperparameter options given, as typed; SettingsError for one that none of the
    optimizers `names` takes, spelled as the user wrote it."""
    given = {k: getattr(args, k) for k in (*NUMERIC, *FLAGS) if getattr(args, k) is not None}
    for key, value in given.items():
        if not any(key in rules.RULES[n].tunable for n in names):
            spelled = "--no-" + dashed(key)[2:] if value is False else dashed(key)
            raise SettingsError(settings.inapplicable_message(key, names, spelled))
    return given


def fmt(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:g}"


def hyper_text(name: str, hp) -> str:
    """The hyperparameters a user may set for optimizer `name`, as "lr=0.4 beta1=0.9 ..."."""
    return " ".join(f"{k}={fmt(getattr(hp, k))}" for k in rules.RULES[name].tunable)


def defaults_table(kind: str) -> str:
    """One line per optimizer with every default; a * marks the chapter's values
    (`optviz.defaults`, `kind` "explorer" or "trainer"), the rest are torch's."""
    lines = []
    for name, rule in rules.RULES.items():
        chapter = getattr(DEFAULTS[name], kind)
        hp = rule.hyperparams(**chapter)
        values = " ".join(f"{k}={fmt(getattr(hp, k))}{'*' if k in chapter else ''}"
                          for k in rule.tunable)
        lines.append(textwrap.fill(f"  {name:<9} {values}", 80, subsequent_indent=" " * 12))
    return "\n".join(lines)


def finite_or_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


def to_json_list(a: np.ndarray) -> list:
    """A NumPy array as nested lists of floats, NaN and ±inf as None (valid JSON)."""
    a = np.asarray(a, dtype=float)
    if a.ndim == 0:
        return finite_or_none(float(a))  # type: ignore[return-value]
    if a.ndim == 1:
        return [finite_or_none(x) for x in a.tolist()]
    return [to_json_list(row) for row in a]


def hyper_json(hp) -> dict[str, float | bool]:
    """A rule's hyperparameter NamedTuple as JSON: flags as booleans, numbers as floats."""
    return {k: (v if isinstance(v, bool) else float(v)) for k, v in zip(hp._fields, hp,
                                                                         strict=True)}
