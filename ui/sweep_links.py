"""A sweep's cell, selected on the heat map, as links to the pages that can show it.

    s = selected_cell(event, grid.size)  # from st.plotly_chart(..., on_select="rerun")
    explorer_url(grid.optimizer, cell_hyper(grid, hp, s))
    # 'explorer?opt=Adam&adam.lr=0.01&adam.beta1=0.9&adam.beta2=0.999&adam.eps=1e-06'

The explorer's link uses the keys its URL-bound widgets read (`ui.links`): `opt` with
the optimizer's title, and `<run>.<field>` for its Adam sliders (lr, β1, β2, ε), values
written as `ui.presets` writes them. Links are relative, as the presets' are, so they
work under any base path. The trainer's widgets read nothing from the URL (on this
branch), so `trainer_recipe` says in words what to set there; `trainer_url` opens it with
the setting in the keys its URL-bound fields read ("data", "optimizer",
"train.<optimizer>.<field>", "batch", "epochs").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from optviz import rules, sweep, validate
from optviz.sweep_axes import format_value
from ui import links

EXPLORER, TRAINER = "explorer", "trainer"  # the pages' URL paths, as app.py names them
EXPLORER_FIELDS = ("lr", "beta1", "beta2", "eps")  # the explorer's Adam sliders
# The trainer's "Data set" options for the sweep's data sets (the same sets).
TRAINER_DATA = {"airfoil": "Airfoil (NASA, the chapter's)", "synthetic": "Synthetic"}


def selected_cell(event: Any, size: int) -> int | None:
    """The setting a heat map selection points at: the `customdata` of its first point
    that is a cell (`optviz.plots.sweep.CELLS_NAME` carries the setting's index), or None
    when nothing (or nothing usable, e.g. a selection left from another grid) is
    selected."""
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError):
        return None
    for point in points or []:
        index = point.get("customdata") if isinstance(point, Mapping) else None
        if isinstance(index, list | tuple) and len(index) == 1:
            index = index[0]
        if isinstance(index, bool) or not isinstance(index, int | float):
            continue
        if float(index).is_integer() and 0 <= index < size:
            return int(index)
    return None


def cell_hyper(grid: sweep.Grid, hp: Any, s: int) -> dict[str, Any]:
    """Every hyperparameter of setting s: the sweep's (`Sweep.hp`, the fixed ones) with
    the cell's two swept values."""
    values = hp._asdict() if hasattr(hp, "_asdict") else dict(hp)
    iy, ix = divmod(int(s), len(grid.values_x))
    return {**values, grid.param_x: grid.values_x[ix], grid.param_y: grid.values_y[iy]}


def cell_name(grid: sweep.Grid, s: int) -> str:
    """"lr = 0.01, β1 = 0.9": the cell's two swept values, short."""
    iy, ix = divmod(int(s), len(grid.values_x))
    return (f"{_short(grid.param_x)} = {format_value(grid.values_x[ix])}, "
            f"{_short(grid.param_y)} = {format_value(grid.values_y[iy])}")


def _short(param: str) -> str:
    return "lr" if param == "lr" else validate.label(param)


def explorer_query(optimizer: str, hyper: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The explorer's query for one run of `optimizer` with these slider values."""
    run = optimizer  # the first run of an optimizer keeps its bare name
    return [(links.OPTIMIZERS, links.run_title(run))] + [
        (links.hyper_key(run, f), repr(float(hyper[f])))
        for f in EXPLORER_FIELDS if f in hyper and f in rules.RULES[optimizer].tunable]


def explorer_url(optimizer: str, hyper: Mapping[str, Any]) -> str:
    """A link relative to the app's root: "explorer?opt=Adam&adam.lr=0.01&..."."""
    return f"{EXPLORER}?{urlencode(explorer_query(optimizer, hyper))}"


def trainer_query(optimizer: str, hyper: Mapping[str, Any], data: str, batch_size: int,
                  epochs: int) -> list[tuple[str, str]]:
    """The trainer's query for this setting: every field its optimizer shows."""
    from ui.widgets import FIELDS  # the fields hyper_fields draws

    tunable = rules.RULES[optimizer].tunable
    q = [("data", TRAINER_DATA[data]), ("optimizer", rules.RULES[optimizer].title)]
    for f in FIELDS:
        if f in tunable and f in hyper:
            value = hyper[f]
            text = ("true" if value else "false") if isinstance(value, bool) else repr(float(value))
            q.append((f"train.{links.hyper_key(optimizer, f)}", text))
    return q + [("batch", str(int(batch_size))), ("epochs", str(int(epochs)))]


def trainer_url(optimizer: str, hyper: Mapping[str, Any], data: str, batch_size: int,
                epochs: int) -> str:
    """A link relative to the app's root: "trainer?data=...&optimizer=Adam&..."."""
    return f"{TRAINER}?{urlencode(trainer_query(optimizer, hyper, data, batch_size, epochs))}"


def trainer_recipe(optimizer: str, hyper: Mapping[str, Any], data: str, batch_size: int,
                   epochs: int) -> str:
    """What to set in the trainer for this setting, in its fields' words (markdown)."""
    fields = ", ".join(f"{rules.LABELS[f]} **{format_value(float(hyper[f]))}**"
                       for f in EXPLORER_FIELDS if f in hyper)
    text = (f"Optimizer **{rules.RULES[optimizer].title}**, {fields}, batch size "
            f"**{batch_size}**, epochs **{epochs}**, data set **{TRAINER_DATA[data]}**")
    return text
