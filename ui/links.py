"""The pages' settings as a URL query string, and lenient reading of user input.

A shared link carries only the settings that differ from the defaults (Streamlit's
`bind="query-params"` drops the rest). A value the explorer cannot use, from a link or
typed into a field, never stops the page: it yields one message and the default.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from optviz import presets, rules, settings, surfaces
from optviz.validate import SettingsError, label, num, parse_bool, parse_number

SURFACE, CONDITION, STEPS, X1, X2, BIAS, OPTIMIZERS, TAB = (
    "surface", "condition", "steps", "x1", "x2", "bias", "opt", "tab")
TABS = ("Results", "State inspector", "Lock-step check", "Downloads")
LECTURE, PRESET = "lecture", "preset"  # projector view; a lecture preset's title and lesson
# Keys Streamlit itself puts in a URL: not ours to judge.
FOREIGN = frozenset({"embed", "embed_options"})
# The explorer's condition number field takes κ in this range.
CONDITION_RANGE = (1.0, 1e6)


def _by_title(registry) -> dict[str, str]:
    return {item.title: name for name, item in registry.items()}


# Streamlit writes a choice into the URL as the label it shows, e.g. opt=Nesterov+momentum.
SURFACE_TITLES = _by_title(surfaces.SURFACES)
OPTIMIZER_TITLES = _by_title(rules.RULES)


def _titled(text: str, titles: dict[str, str], what: str) -> str:
    if text not in titles:
        raise SettingsError(f"Unknown {what} {text[:40]!r}; choose one of: {', '.join(titles)}")
    return titles[text]


def hyper_key(optimizer: str, field: str) -> str:
    """The query key (and widget key) of one optimizer's hyperparameter: "adam.beta1"."""
    return f"{optimizer}.{field}"


def _check_one(key: str, values: Sequence[str]) -> None:
    """Raise SettingsError unless `values` is a usable value of query key `key`."""
    if key == OPTIMIZERS:
        for title in values:
            _titled(title, OPTIMIZER_TITLES, "optimizer")
        if len(values) > settings.MAX_RUNS:
            raise SettingsError(f"at most {settings.MAX_RUNS} optimizers, got {len(values)}")
        return
    if len(values) != 1:
        raise SettingsError(f"{label(key)} is given {len(values)} times")
    (text,) = values
    if key == SURFACE:
        _titled(text, SURFACE_TITLES, "function")
    elif key == CONDITION:
        condition = parse_number(text, "condition")
        low, high = CONDITION_RANGE
        if not low <= condition <= high:
            raise SettingsError(f"{label(CONDITION)} must be from {low:g} to "
                                f"{high:g}, got {text.strip()[:40]!r}")
    elif key == STEPS:
        settings.TrajectorySettings(steps=parse_number(text, "steps"))
    elif key in (X1, X2):
        settings.TrajectorySettings(start=(parse_number(text, key), 0.0))
    elif key == TAB:
        if text not in TABS:
            raise SettingsError(f"Unknown tab {text[:40]!r}; choose one of: {', '.join(TABS)}")
    elif key == BIAS:
        parse_bool(text, "bias_correction")
    elif key == LECTURE:
        parse_bool(text, "lecture")
    elif key == PRESET:
        presets.get(text)
    elif "." in key:
        name, field = key.split(".", 1)
        rule = rules.get_rule(settings.optimizer_name(name))
        if field not in rule.tunable:
            raise SettingsError(settings.inapplicable_message(field, [rule.name]))
        parse = parse_bool if field not in rules.BOUNDS else parse_number
        settings.check_hyper(field, parse(text, field))
    else:
        raise SettingsError(f"unknown setting {key[:40]!r}")


def check_query(params: Mapping[str, Sequence[str]]) -> list[str]:
    """One message for each setting in a link that the explorer cannot use."""
    problems = []
    for key, values in params.items():
        if key in FOREIGN:
            continue
        try:
            _check_one(key, list(values))
        except (SettingsError, ValueError) as e:
            problems.append(f"{str(e).rstrip('.')}")
    return problems


def lecture_mode(params: Mapping[str, Sequence[str]]) -> bool:
    """Whether a link asks for the projector view (`lecture=1`); a bad value is off."""
    try:
        (text,) = params.get(LECTURE, ["0"])
        return parse_bool(text, "lecture")
    except (SettingsError, ValueError):
        return False


def lenient_optimizer(name: str, values: Mapping[str, float | bool]) -> tuple[
        settings.OptimizerSettings, list[str]]:
    """OptimizerSettings from field values, each bad one replaced by its default.

    Returns the settings and one message per value that was dropped.
    """
    kept, problems = {}, []
    for field, value in values.items():
        try:
            kept[field] = settings.check_hyper(field, value)
        except SettingsError as e:
            problems.append(str(e))
    return settings.OptimizerSettings(name, kept), problems


# ------------------------------------------------- other pages' widgets in the URL


class Field(NamedTuple):
    """A query key a page's widget reads: its label, and a check that raises SettingsError."""

    label: str
    check: Callable[[str], object]


def choice(label: str, options: Iterable[str]) -> Field:
    """A selectbox's key: the URL holds the label it shows."""
    options = tuple(options)

    def check(text: str) -> None:
        if text not in options:
            raise SettingsError(f"Unknown {label.lower()} {text[:40]!r}; choose one of: "
                                f"{', '.join(options)}")
    return Field(label, check)


def number(label: str, low: float = -math.inf, high: float = math.inf,
           whole: bool = False) -> Field:
    """A number_input's key: a finite number in [low, high], whole if `whole`."""
    def check(text: str) -> None:
        x = parse_number(text, label)
        if not (low <= x <= high and (x.is_integer() or not whole)):
            kind = "a whole number" if whole else "a number"
            where = (f" from {num(low)}" if math.isfinite(low) else "") + (
                f" to {num(high)}" if math.isfinite(high) else "")
            raise SettingsError(f"{label} must be {kind}{where}, got {text.strip()[:40]!r}")
    return Field(label, check)


def free_text(label: str) -> Field:
    """A key whose value the page judges itself, in context; only an empty one is
    dropped unseen."""
    def check(text: str) -> None:
        if not text.strip():
            raise SettingsError(f"{label} is empty")
    return Field(label, check)


def check_fields(params: Mapping[str, Sequence[str]], fields: Mapping[str, Field]) -> list[str]:
    """One message per key in a link that a page's widgets cannot use: unknown, given
    twice, or a value the widget would drop without a word (Streamlit does so)."""
    problems = []
    for key, values in params.items():
        if key in FOREIGN or key in (LECTURE, PRESET):  # the explorer's, not a field's
            continue
        field = fields.get(key)
        if field is None:
            problems.append(f"unknown setting {key[:40]!r}")
        elif len(values) != 1:
            problems.append(f"{field.label} ({key}) is given {len(values)} times")
        else:
            try:
                field.check(values[0])
            except (SettingsError, ValueError) as e:
                problems.append(f"{str(e).rstrip('.')} ({key})")
    return problems
