"""The trajectory explorer's controls and its cached computations.

The sidebar holds what every run shares (function, steps, start, bias correction, the
optimizers) and the settings of every run but the first; the first run's are fields
under the chart (`focused_fields`), beside the chart's sliders for the same values, so
that a released slider reruns only the chart's fragment and no field goes stale.

Apart from pages/explorer.py so that benchmarks/apps/controls_app.py can time these very
widgets without the chart (the floor of the explorer's latency). The cached functions
live in a module, not the page, so that they are decorated once per process instead of
once per script run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import streamlit as st

from optviz import basins, explorer_payload, presets, rules, settings, surfaces
from optviz.trajectory import Run
from optviz.validate import SettingsError
from ui import links
from ui.presets import run_keys
from ui.widgets import FIELDS, URL, hyper_fields

DEFAULT_EXPRESSION = "x1**2 + 10*sin(x2)"  # a typed function to start from: two valleys
ENSEMBLE_SIZE = 10  # the ensemble's faint paths per run
RESET = "reset_function"  # the button that restores the function's defaults
COPY = "copy_run"  # the button that adds a copy of the focused run
# Settings are frozen dataclasses whose repr is exact (floats repr round-trip): a key.
BY_REPR = {settings.TrajectorySettings: repr, Run: repr}


@st.cache_data(max_entries=256, show_spinner=False, hash_funcs=BY_REPR)
def compute(request: settings.TrajectorySettings):
    return request.compute()


@st.cache_data(max_entries=64, show_spinner="Computing the runs…", hash_funcs=BY_REPR)
def chart_blob(request: settings.TrajectorySettings, dashed: tuple[int, ...],
               lecture: bool, ensemble: bool = False, basin_map: bool = False,
               predict: bool = False, _trajectories=None) -> bytes:
    """The chart's payload (`optviz.explorer_payload`), the first run focused;
    `_trajectories`, `request.compute()` if the page has it (not part of the cache key:
    it follows from `request`)."""
    return explorer_payload.build(
        request, dashed=dashed, lecture=lecture, trajectories=_trajectories,
        ensemble=ENSEMBLE_SIZE if ensemble else 0, basin_map=basin_map, predict=predict)


@st.cache_data(max_entries=64, show_spinner="Running torch.optim alongside…", hash_funcs=BY_REPR)
def lockstep(request: settings.TrajectorySettings, run: int):
    """optviz's run `run` of `request` beside torch.optim's, step for step."""
    from optviz.lockstep import compare_with_torch

    return compare_with_torch(request.get_surface(), request.runs()[run], request.steps)


def apply_function_defaults() -> None:
    """The function in the selector brings its own defaults (`optviz.surfaces`): its
    start, its steps and each chosen optimizer's learning rate; other settings stay.
    On a new function, and on "Reset to this function's defaults". Set through session
    state, as a URL-bound field is set; a field at its default leaves the URL."""
    name = st.session_state[links.SURFACE]
    state = st.session_state
    state[links.X1], state[links.X2] = function_start(name, typed_window(state))
    state[links.STEPS] = settings.default_steps(name)
    for run in state.get(links.OPTIMIZERS) or []:
        optimizer = settings.OptimizerSettings(links.run_optimizer(run))
        state[links.hyper_key(run, "lr")] = optimizer.hyperparams(name).lr


def typed_window(state) -> tuple[tuple[float, float], tuple[float, float]]:
    """The typed function's window as its fields say (the default where unset)."""
    (a, b), (c, d) = settings.DEFAULT_WINDOW
    x0, x1, y0, y1 = (float(state.get(k, v)) for k, v in zip(links.WINDOW, (a, b, c, d),
                                                                  strict=True))
    return (x0, x1), (y0, y1)


def function_start(name: str, window) -> tuple[float, float]:
    """Function `name`'s own start; a typed function's, from its window's."""
    if name == settings.CUSTOM:
        from optviz.custom_surface import default_start

        return default_start(window)
    return surfaces.get_surface(name).start


def widget_state(request: settings.TrajectorySettings, runs: list[str]) -> dict:
    """The explorer's widget values (session-state keys) that show `request`, its runs
    keyed `runs`: every shared field and every field of each run, defaults included."""
    start = request.start_point()
    state = {links.SURFACE: request.surface, links.STEPS: request.steps,
             links.X1: float(start[0]), links.X2: float(start[1]), links.OPTIMIZERS: list(runs),
             links.NOISE: request.noise, links.SEED: request.seed}
    if request.surface == "rotated":
        state[links.CONDITION] = request.condition
    for run, optimizer in zip(runs, request.optimizers, strict=True):
        hyper = optimizer.hyperparams(request.surface)
        for param in FIELDS:
            if param in optimizer.rule.tunable:
                value = getattr(hyper, param)
                state[links.hyper_key(run, param)] = (
                    value if isinstance(value, bool) else float(value))
        if "bias_correction" in optimizer.rule.tunable:
            state[links.BIAS] = hyper.bias_correction
    return state


def reset_state(preset: presets.Preset | None, state: Mapping) -> dict:
    """The widget values a lecturer's R sets: the preset's settings, or without one the
    function's defaults for each run in `state` (the session's; runs and function stay)."""
    if preset is not None:
        return {**widget_state(preset.settings(), run_keys(preset)),
                links.ENSEMBLE: preset.ensemble}
    runs = list(state.get(links.OPTIMIZERS) or ["adam"])
    request = settings.TrajectorySettings(
        surface=state.get(links.SURFACE, settings.DEFAULT_SURFACE),
        condition=state.get(links.CONDITION, settings.DEFAULT_CONDITION),
        noise=state.get(links.NOISE, 0.0), seed=state.get(links.SEED, 0),
        optimizers=tuple(settings.OptimizerSettings(links.run_optimizer(r)) for r in runs))
    return {**widget_state(request, runs), links.BIAS: True}


def copy_first_run() -> None:
    """Add a run of the focused run's optimizer with its settings, to change one of
    them and compare: Adam at β2 = 0.5 beside Adam at 0.999."""
    state = st.session_state
    runs = list(state.get(links.OPTIMIZERS) or [])
    if not runs or len(runs) >= settings.MAX_RUNS:
        return
    copy = links.next_run(links.run_optimizer(runs[0]), runs)
    if copy is None:
        return
    for param in rules.RULES[links.run_optimizer(copy)].tunable:
        if links.hyper_key(runs[0], param) in state:
            state[links.hyper_key(copy, param)] = state[links.hyper_key(runs[0], param)]
    state[links.OPTIMIZERS] = [*runs, copy]


@dataclass(frozen=True)
class Controls:
    """What the sidebar's widgets say; `problems` are the messages for values dropped."""

    name: str
    condition: float | None
    surface: surfaces.Surface | None  # None: a typed function that cannot be used
    steps: int
    start: tuple[float, float]
    bias: bool
    chosen: list[str]  # the runs' keys (`links.RUNS`), the focused one first
    others: list[settings.OptimizerSettings]  # the settings of all but the first
    problems: list[str]
    # Every run's settings, the first one's included: set by `focus`, under the chart.
    optimizers: list[settings.OptimizerSettings] = field(default_factory=list)
    noise: float = 0.0  # σ of the gradient noise
    seed: int = 0
    expression: str = ""  # a typed function (name "custom"), its window, and why it
    window: tuple | None = None  # cannot be used (None: it can)
    function_error: str | None = None
    ensemble: bool = False  # faint paths of each run under other draws of the noise
    basins: bool = False  # the basin map under the paths

    def focus(self, focused: settings.OptimizerSettings) -> Controls:
        """These controls with the first run's settings (from `focused_fields`)."""
        return replace(self, optimizers=[focused, *self.others])

    def request(self, optimizers=None) -> settings.TrajectorySettings:
        """The runs to compute, of these optimizers' settings (default: the sidebar's);
        raises SettingsError for a start it cannot use."""
        return settings.TrajectorySettings(surface=self.name, condition=self.condition or 10.0,
                                           steps=self.steps, start=self.start,
                                           optimizers=tuple(optimizers or self.optimizers),
                                           noise=self.noise, seed=self.seed,
                                           expression=self.expression, window=self.window)


def sidebar() -> Controls:
    """Draw the explorer's controls in the sidebar, every one bound to the URL."""
    problems = []
    with st.sidebar:
        name = st.selectbox("Function", [*surfaces.SURFACES, settings.CUSTOM],
                            key=links.SURFACE, bind=URL, on_change=apply_function_defaults,
                            format_func=lambda n: (links.CUSTOM_TITLE if n == settings.CUSTOM
                                                   else surfaces.SURFACES[n].title))
        expression, window, function_error = "", None, None
        if name == settings.CUSTOM:
            expression, window, function_error = typed_function()
        condition = None
        if name == "rotated":
            condition = st.number_input("Condition number κ", min_value=links.CONDITION_RANGE[0],
                                        max_value=links.CONDITION_RANGE[1],
                                        value=settings.DEFAULT_CONDITION, format="%g",
                                        key=links.CONDITION, bind=URL)
        st.button("Reset to this function's defaults", key=RESET, type="tertiary",
                  icon=":material/restart_alt:", on_click=apply_function_defaults,
                  help="Its start, steps and each optimizer's learning rate")
        surface = None if function_error else (
            settings.TrajectorySettings(surface=name, expression=expression,
                                        window=window).get_surface()
            if name == settings.CUSTOM else surfaces.get_surface(name, condition))
        default_start = surface.start if surface else function_start(name, window)
        steps = st.number_input("Steps", min_value=1, max_value=settings.MAX_STEPS,
                                value=settings.default_steps(name), step=10, key=links.STEPS,
                                bind=URL)
        left, right = st.columns(2)
        x1 = left.number_input("Start x1", value=float(default_start[0]), format="%g",
                               key=links.X1, bind=URL)
        x2 = right.number_input("Start x2", value=float(default_start[1]), format="%g",
                                key=links.X2, bind=URL)
        start, bad_start = usable_start((x1, x2), default_start)
        problems.extend(bad_start)
        bias = st.toggle("Bias correction", value=True, key=links.BIAS, bind=URL,
                         help="Adam divides m by 1 − β1ᵗ and v by 1 − β2ᵗ. Off, the first "
                         "step is about 3.2× too long: η(1 − β1)/√(1 − β2)")
        noise, seed, ensemble = noise_fields()
        basin_map = False
        if name in basins.SEVERAL_MINIMA or name == settings.CUSTOM:
            basin_map = st.toggle("Basin map", key=links.BASINS, bind=URL,
                                  help="Colour each start of a lattice by the minimum the "
                                  "first run reaches from it: change β1 or η and see the "
                                  "basins move")
        chosen = st.multiselect("Runs", links.RUNS, default=["adam"], format_func=links.run_title,
                                key=links.OPTIMIZERS, bind=URL,
                                max_selections=settings.MAX_RUNS,
                                help="One run per optimizer, or more: Adam 2 is a second "
                                "Adam, with settings of its own")
        if chosen:
            first = links.run_title(chosen[0])
            copy = links.next_run(links.run_optimizer(chosen[0]), chosen)
            st.caption(f"{first}'s settings are under the chart, beside its sliders.")
            st.button(f"Add a copy of {first}", key=COPY, type="tertiary",
                      icon=":material/add:", on_click=copy_first_run,
                      disabled=copy is None or len(chosen) >= settings.MAX_RUNS,
                      help=f"A run with {first}'s settings, to change one and compare")
        others = []
        for run in chosen[1:]:
            optimizer = links.run_optimizer(run)
            with st.expander(links.run_title(run)):
                chosen_settings, bad = hyper_fields(
                    optimizer, settings.OptimizerSettings(optimizer).hyperparams(name),
                    bias_correction=bias, run=run)
                others.append(chosen_settings)
                problems.extend(bad)
    return Controls(name, condition, surface, int(steps), start, bias, list(chosen), others,
                    problems, noise=noise, seed=seed, ensemble=ensemble, basins=basin_map,
                    expression=expression, window=window, function_error=function_error)


def typed_function() -> tuple[str, tuple, str | None]:
    """The typed function's text and window fields: the text, the window and the one-line
    message for a function that cannot be used (None when it can)."""
    from optviz.expression import MAX_LENGTH

    expression = st.text_input(
        "f(x1, x2) =", value=DEFAULT_EXPRESSION, key=links.EXPRESSION, bind=URL,
        max_chars=MAX_LENGTH, placeholder="e.g. x1**2 + 10*sin(x2)",
        help="Numbers, x1, x2, + − * / ** and ( ), pi, e, and sin cos tan exp log sqrt abs "
        "tanh sinh cosh arctan. Never run as code: it is read by a small grammar.")
    defaults = [v for pair in settings.DEFAULT_WINDOW for v in pair]
    ends = []
    for row in range(2):
        left, right = st.columns(2)
        for col, key, default in zip((left, right), links.WINDOW[2 * row:2 * row + 2],
                                     defaults[2 * row:2 * row + 2], strict=True):
            label = f"x{row + 1} {'from' if key.endswith('min') else 'to'}"
            ends.append(col.number_input(label, value=float(default), format="%g", key=key,
                                         bind=URL))
    window = ((ends[0], ends[1]), (ends[2], ends[3]))
    try:
        settings.TrajectorySettings(surface=settings.CUSTOM, expression=expression,
                                    window=window)
    except SettingsError as e:
        return expression, window, f"Your function: {e}"
    return expression, window, None


def noise_fields() -> tuple[float, int, bool]:
    """The gradient noise's slider, its seed and the ensemble switch (in the sidebar)."""
    noise = st.select_slider(
        "Gradient noise σ", options=links.NOISE_LEVELS, value=0.0, format_func=lambda v: f"{v:g}",
        key=links.NOISE, bind=URL,
        help="The optimizers get g̃ = ∇f(x) + σ·ξ, ξ ~ N(0, I), as a minibatch gradient "
        "scatters around the full one; 0 is the exact gradient. β1 averages the noise away, "
        "β2 scales the step to it.")
    left, right = st.columns(2, vertical_alignment="bottom")
    seed = left.number_input("Seed", min_value=0, max_value=settings.MAX_SEED, value=0, step=1,
                             key=links.SEED, bind=URL, disabled=noise == 0,
                             help="The same seed draws the same noise, so the same path")
    ensemble = right.toggle("Ensemble", key=links.ENSEMBLE, bind=URL, disabled=noise == 0,
                            help="Ten faint paths of each run under other draws of the noise: "
                            "the spread β1 averages away")
    return float(noise), int(seed), bool(ensemble) and noise > 0


def focused_fields(controls: Controls) -> tuple[Controls, list[str]]:
    """The first run's fields, in a row (under the chart): the controls with its settings,
    and one message per value dropped. Called inside the chart's fragment."""
    run = controls.chosen[0]
    name = links.run_optimizer(run)
    st.markdown(f"**{links.run_title(run)}**, the run the chart's sliders move: "
                "its exact values")
    with st.container(horizontal=True, vertical_alignment="bottom"):
        focused, problems = hyper_fields(
            name, settings.OptimizerSettings(name).hyperparams(controls.name),
            bias_correction=controls.bias, run=run)
    return controls.focus(focused), problems


def usable_start(start: tuple[float, float], default: tuple[float, float]) -> tuple[
        tuple[float, float], list[str]]:
    """`start`, each coordinate the settings refuse replaced by the function's default;
    one message per replaced coordinate (the same words as the link check's)."""
    point, problems = list(start), []
    for i in range(2):
        try:
            settings.TrajectorySettings(start=(start[0], 0.0) if i == 0 else (0.0, start[1]))
        except SettingsError as e:
            point[i] = default[i]
            problems.append(str(e))
    return (point[0], point[1]), problems
