"""The pages' settings as a URL query string, and lenient reading of user input.

A shared link carries only the settings that differ from the defaults (Streamlit's
`bind="query-params"` drops the rest). A value the explorer cannot use, from a link or
typed into a field, never stops the page: it yields one message and the default.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from optviz import presets, rules, settings, surfaces
from optviz.validate import SettingsError, label, num, parse_bool, parse_number

SURFACE, CONDITION, STEPS, X1, X2, BIAS, OPTIMIZERS, TAB = (
    "surface", "condition", "steps", "x1", "x2", "bias", "opt", "tab")
TABS = ("Results", "State inspector", "Lock-step check", "Downloads")
LECTURE, PRESET = "lecture", "preset"  # projector view; a lecture preset's title and lesson
NOISE, SEED, ENSEMBLE, BASINS = "noise", "seed", "ensemble", "basins"
PREDICT = "predict"  # the chart opens on "predict, then play"
# A typed function (surface "custom"): its text and its window's ends.
EXPRESSION, WINDOW = "f", ("x1min", "x1max", "x2min", "x2max")
CUSTOM_TITLE = "Your function…"
# The gradient noise slider's positions: σ spans the gradients of every function, from
# the D2L quadratic's (~5) to Rosenbrock's (~500).
NOISE_LEVELS = (0.0,) + tuple(float(f"{m}e{e}") for e in range(-2, 3) for m in (1, 2, 3, 5)) + (
    1000.0,)
# Keys Streamlit itself puts in a URL: not ours to judge.
FOREIGN = frozenset({"embed", "embed_options"})
# The explorer's condition number field takes κ in this range.
CONDITION_RANGE = (1.0, 1e6)


def _by_title(registry) -> dict[str, str]:
    return {item.title: name for name, item in registry.items()}


# The runs to compare: each optimizer up to RUN_COPIES times, so one can stand beside
# itself at other settings. A run's key names its widgets ("adam.beta2", "adam-2.beta2");
# the first run of an optimizer keeps the bare name, so links from before runs open as
# they did.
RUN_COPIES = 3
RUNS = [name if k == 1 else f"{name}-{k}" for k in range(1, RUN_COPIES + 1) for name in rules.RULES]


def run_optimizer(run: str) -> str:
    """The optimizer of run key `run` ("adam-2" -> "adam")."""
    return run.rsplit("-", 1)[0] if "-" in run else run


def run_title(run: str) -> str:
    """The name a run goes by in the sidebar and the URL: "Adam", "Adam 2"."""
    title = rules.RULES[run_optimizer(run)].title
    return f"{title} {run.rsplit('-', 1)[1]}" if "-" in run else title


def next_run(optimizer: str, taken: Sequence[str]) -> str | None:
    """The first run key of `optimizer` not in `taken`, or None when all are."""
    return next((r for r in RUNS if run_optimizer(r) == optimizer and r not in taken), None)


def _run_key(text: str) -> str:
    """Run key `text` ("adam", "Adam-2"), case and spaces forgiven, or SettingsError."""
    name, _, copy = text.partition("-")
    run = settings.optimizer_name(name) + (f"-{copy.strip()}" if copy else "")
    if run not in RUNS:
        raise SettingsError(f"Unknown run {text[:40]!r}: an optimizer runs at most "
                            f"{RUN_COPIES} times, e.g. adam, adam-2, adam-3")
    return run


# Streamlit writes a choice into the URL as the label it shows, e.g. opt=Nesterov+momentum.
SURFACE_TITLES = {**_by_title(surfaces.SURFACES), CUSTOM_TITLE: surfaces.CUSTOM}
RUN_TITLES = {run_title(r): r for r in RUNS}


def _titled(text: str, titles: dict[str, str], what: str) -> str:
    if text not in titles:
        raise SettingsError(f"Unknown {what} {text[:40]!r}; choose one of: {', '.join(titles)}")
    return titles[text]


def hyper_key(run: str, field: str) -> str:
    """The query key (and widget key) of one run's hyperparameter: "adam.beta1",
    "adam-2.beta1"."""
    return f"{run}.{field}"


def _check_one(key: str, values: Sequence[str]) -> None:
    """Raise SettingsError unless `values` is a usable value of query key `key`."""
    if key == OPTIMIZERS:
        for title in values:
            if title not in RUN_TITLES:
                raise SettingsError(
                    f"Unknown optimizer {title[:40]!r}; choose one of: "
                    f"{', '.join(r.title for r in rules.RULES.values())} (a second or third "
                    "run of one: Adam 2, Adam 3)")
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
    elif key in (ENSEMBLE, BASINS, PREDICT):
        parse_bool(text, key)
    elif key == NOISE:
        sigma = parse_number(text, "noise")
        if sigma not in NOISE_LEVELS:
            raise SettingsError(f"{label(NOISE)} must be one of the slider's values "
                                f"({', '.join(f'{v:g}' for v in NOISE_LEVELS)}), "
                                f"got {text.strip()[:40]!r}")
    elif key == SEED:
        settings.TrajectorySettings(seed=parse_number(text, "seed"))
    elif key == EXPRESSION:
        from optviz.expression import parse  # sympy: only for a link with a function

        parse(text)
    elif key in WINDOW:
        x = parse_number(text, key)
        if abs(x) > settings.MAX_START:
            raise SettingsError(f"The window's {key} must lie within ±{settings.MAX_START:g}, "
                                f"got {text.strip()[:40]!r}")
    elif key == LECTURE:
        parse_bool(text, "lecture")
    elif key == PRESET:
        presets.get(text)
    elif "." in key:
        name, field = key.split(".", 1)
        rule = rules.get_rule(run_optimizer(_run_key(name)))
        if field not in rule.tunable:
            raise SettingsError(settings.inapplicable_message(field, [rule.name]))
        check_hyper_text(field, text)
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
    return _flag(params, LECTURE)


def predict_mode(params: Mapping[str, Sequence[str]]) -> bool:
    """Whether a link opens the chart on "predict, then play" (`predict=1`)."""
    return _flag(params, PREDICT)


def _flag(params: Mapping[str, Sequence[str]], key: str) -> bool:
    try:
        (text,) = params.get(key, ["0"])
        return parse_bool(text, key)
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


def hyper_link_fields(prefix: str) -> dict[str, Field]:
    """The query keys of a page's `ui.widgets.hyper_fields(..., prefix=prefix)`: every
    optimizer's every field ("train.adam.lr"), each judged as the settings judge it."""
    return {f"{prefix}{hyper_key(name, field)}":
            Field(rules.LABELS[field], functools.partial(check_hyper_text, field))
            for name, rule in rules.RULES.items() for field in rule.tunable}


def check_hyper_text(field: str, text: str) -> None:
    """Raise SettingsError unless `text` is a usable value of hyperparameter `field`."""
    parse = parse_number if field in rules.BOUNDS else parse_bool
    settings.check_hyper(field, parse(text, field))


def check_fields(params: Mapping[str, Sequence[str]], fields: Mapping[str, Field]) -> list[str]:
    """One message per key in a link that a page's widgets cannot use: unknown, given
    twice, or a value the widget would drop without a word (Streamlit does so)."""
    problems = []
    for key, values in params.items():
        if key in FOREIGN or key in (LECTURE, PRESET, PREDICT):  # the explorer's, not a field's
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
