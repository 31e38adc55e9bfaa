"""Hyperparameter sweep: every pair of values of two of Adam's hyperparameters, trained.

Thin by design: widgets -> optviz.sweep_axes.axis_values / optviz.sweep.grid
(validation) -> a background job in ui.jobs.JOBS (at most N server-wide) ->
optviz.plots.sweep.sweep_heatmap. A fragment polls the job four times a second (the
default sweep trains in well under a second); its heartbeat keeps the job alive, so
closing the tab frees the slot. A click on a cell
selects it (`ui.sweep_links`): links to its setting follow the map.
"""

import os

import streamlit as st

from optviz import data, defaults, rules, settings, sweep, trainer, validate
from optviz.devices import available_devices
from optviz.export import results_csv
from optviz.plots.sweep import narrow_spread, percent_text, sweep_heatmap
from optviz.sweep_axes import (
    DEFAULT_AXES,
    MAX_VALUES,
    MIN_VALUES,
    SPACING_NAMES,
    axis_values,
    best_setting,
    describe_setting,
    spacings,
)
from optviz.validate import SettingsError
from ui import links, sweep_links
from ui.jobs import DONE, FAILED, JOBS, STOPPED, sweep_work, watch
from ui.navigation import page_setup
from ui.session import connection_probe
from ui.widgets import URL, link_as_given, step_of

page_setup()

JOB, META, FIGURE = "sweep_job", "sweep_meta", "sweep_figure"  # session state
POLL_S = 0.25  # how often the progress bar is drawn while a sweep runs
# The Adam family: every optimizer that takes all of lr, β1, β2 and ε.
OPTIMIZERS = tuple(n for n, r in rules.RULES.items() if set(sweep.SWEEPABLE) <= set(r.tunable))
DATASETS = {"airfoil": "Airfoil self-noise (the chapter's)",
            "synthetic": "Synthetic (linear, 1500 × 5)"}
AXES = {"x": "Horizontal", "y": "Vertical"}
SPACING_HELP = (
    "**log**: evenly spaced powers, e.g. 0.001, 0.01, 0.1: right for the learning rate "
    "and ε, which matter by orders of magnitude. **log of 1 − β**: evenly spaced in "
    "1 − β, e.g. 0.9, 0.99, 0.999: β's average remembers about 1 / (1 − β) past "
    "gradients, so these steps are alike in effect, and the axis is drawn that way. "
    "**linear**: evenly spaced values.")


@st.cache_resource(ttl=60, show_spinner="Loading the data…")
def load(name: str, data_dir: str | None) -> tuple[data.Dataset | None, str]:
    """The data set, or None and why not. `data_dir` (OPTVIZ_DATA_DIR) keys the cache;
    a failure is remembered for a minute, so an offline server does not retry each rerun."""
    try:
        return (data.load_airfoil(timeout=5.0) if name == "airfoil"
                else data.synthetic(**data.SYNTHETIC_LIVE)), ""  # the trainer's set
    except (data.DataUnavailable, data.DataError) as e:
        return None, str(e)


def use_synthetic() -> None:
    st.session_state["sweep_data"] = "synthetic"


def axis_row(which: str, default: str, other: str | None):
    """One axis: the hyperparameter, min, max, number of values and spacing.

    Returns (param, values or None, spacing, problem or "")."""
    cols = st.columns([1.3, 1, 1, 0.9, 1.3], vertical_alignment="bottom")
    param = cols[0].selectbox(
        f"{AXES[which]} axis", sweep.SWEEPABLE, index=sweep.SWEEPABLE.index(default), key=which,
        bind=URL, format_func=settings.label)
    if param == other:
        return param, None, "", (f"Choose two different hyperparameters: both axes are "
                                 f"{validate.label(param)}.")
    lo, hi, n, spacing = DEFAULT_AXES[param]
    name = validate.label(param)
    low = cols[1].text_input(f"{name} min", validate.num(lo), key=f"{param}_min", bind=URL,
                             help=f"allowed: {rules.describe_range(param)}; type e.g. 1e-4")
    high = cols[2].text_input(f"{name} max", validate.num(hi), key=f"{param}_max", bind=URL,
                              help=f"allowed: {rules.describe_range(param)}")
    count = cols[3].number_input("Values", min_value=MIN_VALUES, max_value=MAX_VALUES,
                                 value=n, step=1, key=f"{param}_n", bind=URL,
                                 help=f"{MIN_VALUES} to {MAX_VALUES} values on this axis")
    spacing = cols[4].selectbox("Spacing", spacings(param), key=f"{param}_spacing", bind=URL,
                                format_func=SPACING_NAMES.get, help=SPACING_HELP)
    try:
        return param, axis_values(param, low, high, count, spacing), spacing, ""
    except SettingsError as e:
        return param, None, spacing, str(e)


def link_fields(axes: tuple[str, str], devices: list[str]) -> dict[str, links.Field]:
    """What each widget bound to the URL accepts, so a bad link gets a message: Streamlit
    itself drops a value its widget can't take without a word."""
    labels = [validate.label(p) for p in sweep.SWEEPABLE]
    fields = {
        "x": links.choice(f"{AXES['x']} axis", labels),
        "y": links.choice(f"{AXES['y']} axis", labels),
        "sweep_optimizer": links.choice("Optimizer", [rules.RULES[n].title for n in OPTIMIZERS]),
        "sweep_batch": links.number("Batch size", 1, whole=True),
        "sweep_epochs": links.number("Epochs", 1, trainer.MAX_EPOCHS, whole=True),
        "sweep_data": links.choice("Data", DATASETS.values()),
        "sweep_device": links.choice("Device", devices),
    }
    for p in sweep.SWEEPABLE:
        name = validate.label(p)
        for end in ("min", "max"):  # an axis on show judges its own range, in context
            fields[f"{p}_{end}"] = (links.free_text(f"{name} {end}") if p in axes
                                    else links.number(f"{name} {end}"))
        fields[f"{p}_n"] = links.number(f"{name}: values", MIN_VALUES, MAX_VALUES,
                                        whole=True)
        fields[f"{p}_spacing"] = links.choice(
            f"{name} spacing", [SPACING_NAMES[s] for s in spacings(p)])
        fields[f"fixed_{p}"] = links.number(f"Fixed {name}")
    return fields


def submit(prepared: sweep.Sweep, meta: dict) -> None:
    st.session_state[JOB] = JOBS.submit(sweep_work(prepared), connected=connection_probe())
    st.session_state[META] = meta
    st.session_state.pop(FIGURE, None)


def progress_bar(job) -> None:
    last = job.items[-1] if job.items else None
    if last is None:
        st.progress(0.0, text="Starting…")
    else:
        st.progress(min(max(last.fraction, 0.0), 1.0),
                    text=f"Training: {last.fraction:.0%} · {last.examples:,} examples "
                         f"per setting · {last.elapsed:.1f} s")


def stop_button(job) -> None:
    if st.button("Stop", icon=":material/stop:", key="sweep_stop",
                 disabled=job.stop_event.is_set()):
        job.stop()
    if job.stop_event.is_set():
        st.caption("Stopping…")


def show_result(job, meta: dict) -> None:
    if job.status == FAILED:
        st.error(f"The sweep failed: {job.error}", icon=":material/error:")
        return
    s: sweep.Sweep = job.result
    if s is None or not s.examples:
        st.info("The sweep was stopped before it began.", icon=":material/stop_circle:")
        return
    stopped = job.status == STOPPED
    cached = st.session_state.get(FIGURE)
    if cached is None or cached[0] != job.id:
        drawing = st.empty()  # the bar at its end while the map is drawn, then the map
        if job.status == DONE:
            drawing.progress(1.0, text="Training: 100% · drawing the map…")
        title = ""
        if stopped:
            title = (f"Loss of {rules.RULES[s.grid.optimizer].title} when stopped at "
                     f"{s.examples[-1] / (s.epochs * s.n):.0%}")
        fig = sweep_heatmap(s.grid, s.final_loss, s.diverged, title, spacing=meta["spacing"])
        cached = (job.id, fig)
        st.session_state[FIGURE] = cached
        drawing.empty()
    if stopped:
        st.info(f"Stopped after {s.examples[-1]:,} of {s.epochs * s.n:,} examples per "
                "setting: the colours show the loss at that point.",
                icon=":material/stop_circle:")
    event = st.plotly_chart(cached[1], key=f"sweep_heatmap_{job.id}", on_select="rerun",
                            selection_mode="points", config={"displaylogo": False})
    spread = narrow_spread(s.final_loss, s.diverged)
    if spread is not None:
        ok = ~s.diverged
        st.caption(f"A narrow range: every setting that did not diverge ends within "
                   f"{percent_text(spread)[1:]} of the best (final loss "
                   f"{s.final_loss[ok].min():.4g} to {s.final_loss[ok].max():.4g}). The "
                   f"colours show how far above the best, not the loss itself.")
    cell = sweep_links.selected_cell(event, s.grid.size)
    if cell is None:
        st.caption("Click a cell to open its setting in the explorer.")
    else:
        cell_links(s, cell, meta)
    best = best_setting(s.final_loss, s.diverged)
    diverged = int(s.diverged.sum())
    where = (f"{meta['data']}, {s.epochs} epoch{'s' if s.epochs != 1 else ''}, batch size "
             f"{s.batch_size}, {s.grid.size:,} settings in {s.seconds:.1f} s")
    if best is None:
        st.markdown(f"**Every setting diverged** ({where}).")
    else:
        st.markdown(f"**Best setting:** {describe_setting(s.grid, best)}, final loss "
                    f"**{s.final_loss[best]:.4g}** ({where}).")
    if diverged:
        st.caption(f"{diverged:,} of {s.grid.size:,} settings diverged (grey, ×): their loss "
                   f"went above {trainer.DIVERGED_LOSS:,.0f} or stopped being a number.")
    st.download_button("Grid results (CSV)", lambda: results_csv(s.grid, s.final_loss,
                                                                  s.diverged),
                       file_name=f"optviz-sweep-{s.grid.param_x}-{s.grid.param_y}.csv",
                       mime="text/csv", icon=":material/download:")


def cell_links(s: sweep.Sweep, cell: int, meta: dict) -> None:
    """The selected cell: its loss, a link to the explorer with its setting, and what to
    set in the trainer."""
    hyper = sweep_links.cell_hyper(s.grid, s.hp, cell)
    name = sweep_links.cell_name(s.grid, cell)
    loss, best = s.final_loss[cell], best_setting(s.final_loss, s.diverged)
    if s.diverged[cell]:
        outcome = "diverged"
    elif cell == best:
        outcome = f"final loss {loss:.4g}, the best"
    else:
        outcome = (f"final loss {loss:.4g}, "
                   f"{percent_text(loss / s.final_loss[best] - 1)} above the best")
    st.markdown(f"**Selected:** {name} ({outcome}). "
                f"[Open {name} in the explorer]"
                f"({sweep_links.explorer_url(s.grid.optimizer, hyper)}) "
                f"(its Adam sliders on a 2D function).")
    data_name = meta.get("data_name")
    if data_name in sweep_links.TRAINER_DATA:
        url = sweep_links.trainer_url(s.grid.optimizer, hyper, data_name, s.batch_size,
                                      s.epochs)
        st.markdown(f"[Open {name} in the trainer]({url}): "
                    + sweep_links.trainer_recipe(s.grid.optimizer, hyper, data_name,
                                                 s.batch_size, s.epochs) + ".")


st.title("Hyperparameter sweep")
st.caption("Every pair of values of two hyperparameters trains the same model on the same "
           "data, from the same start, with the same batches, all at once. The map shows "
           "where each pair ends up.")

problems: list[str] = []
# The link as given: the widgets below drop values they can't use.
linked = link_as_given([f"{p}_n" for p in sweep.SWEEPABLE] + ["sweep_batch", "sweep_epochs"])

# ---- base settings
with st.sidebar:
    optimizer = st.selectbox("Optimizer", OPTIMIZERS, key="sweep_optimizer", bind=URL,
                             format_func=lambda n: rules.RULES[n].title)

# ---- the two axes
x_param, x_values, x_spacing, problem = axis_row("x", "lr", None)
problems += [problem] if problem else []
y_param, y_values, y_spacing, problem = axis_row("y", "beta1", x_param)
problems += [problem] if problem else []

with st.sidebar:
    chapter_hp = trainer.hyperparams(optimizer)
    base = {}
    fixed = [p for p in sweep.SWEEPABLE if p not in (x_param, y_param)]
    if fixed:
        st.caption("Fixed for every setting (the chapter's values):")
    for p in fixed:
        default = float(getattr(chapter_hp, p))
        base[p] = st.number_input(rules.LABELS[p], value=default, format="%g",
                                  step=step_of(p, default), key=f"fixed_{p}", bind=URL,
                                  help=f"allowed: {rules.describe_range(p)}")
    batch_size = st.number_input("Batch size", min_value=1, value=defaults.TRAIN_BATCH_SIZE,
                                 step=1, key="sweep_batch", bind=URL)
    epochs = st.number_input("Epochs", min_value=1, max_value=trainer.MAX_EPOCHS,
                             value=defaults.TRAIN_EPOCHS, step=1, key="sweep_epochs", bind=URL)
    data_name = st.selectbox("Data", list(DATASETS), format_func=DATASETS.get, key="sweep_data",
                             bind=URL)
    reasons = available_devices()
    devices = [d for d, why in reasons.items() if why is None]
    device = st.selectbox("Device", devices, key="sweep_device", bind=URL,
                          help="Where the sweep trains. All settings train together as "
                               "one batch of tensors.")
    missing = [f"{d} ({why})" for d, why in reasons.items() if why is not None]
    if missing:
        st.caption("Not available here: " + "; ".join(missing))

ignored = links.check_fields(linked, link_fields((x_param, y_param), devices))
if ignored:
    st.warning("Ignored, the default is used instead:\n" + "\n".join(f"- {p}" for p in ignored),
               icon=":material/warning:")

dataset, why = load(data_name, os.environ.get("OPTVIZ_DATA_DIR"))
if dataset is None:
    st.warning(f"Cannot load the airfoil data: {why}", icon=":material/cloud_off:")
    st.button("Use the synthetic data set instead", on_click=use_synthetic,
              icon=":material/science:")

grid = prepared = None
if not problems:
    try:
        grid = sweep.grid(x_param, x_values, y_param, y_values, base, optimizer)
    except SettingsError as e:
        problems.append(str(e))
if grid is not None and dataset is not None:
    try:
        prepared = sweep.Sweep(dataset, grid, batch_size=int(batch_size), epochs=int(epochs),
                               device=device)
    except SettingsError as e:
        problems.append(str(e))
for problem in problems:
    st.error(problem, icon=":material/error:")

job = st.session_state.get(JOB)
busy = job is not None and not job.finished
left, right = st.columns([1, 4], vertical_alignment="center")
start = left.button("Start sweep", type="primary", icon=":material/play_arrow:",
                    disabled=prepared is None or busy, key="sweep_start")
if prepared is not None:
    steps = prepared.epochs * -(-prepared.n // prepared.batch_size)
    hp = prepared.hp._asdict()
    others = ", ".join(f"{validate.label(k)} = {v:g}" for k, v in hp.items()
                       if k not in (x_param, y_param) and not isinstance(v, bool))
    right.caption(f"{grid.size:,} settings ({len(grid.values_x)} × {len(grid.values_y)}), "
                  f"{steps:,} steps each on {DATASETS[data_name].split(' (')[0].lower()} data. "
                  f"Fixed: {others}.")
if start and prepared is not None and not busy:
    submit(prepared, {"spacing": (x_spacing, y_spacing), "data_name": data_name,
                      "data": DATASETS[data_name].split(" (")[0]})
    st.rerun()  # drawn again with Start disabled while the job is on

if job is not None:
    if job.finished:
        show_result(job, st.session_state.get(META, {"spacing": None, "data": ""}))
    else:
        watch(JOB, progress=progress_bar, view=stop_button, every=POLL_S)
