"""Trajectory explorer: Adam and its family, animated on 2D functions.

Thin by design: widgets -> optviz settings -> cached computation -> optviz figures.
Every widget is bound to the URL, so a copied link reopens the same view. The chart,
the focused run's fields and what lies under them are one fragment (`explorer`): a
released slider reruns that alone; the sidebar holds what every run shares.
"""

import streamlit as st

from optviz import export, presets, rules, settings
from optviz.metrics import summarize
from optviz.plots import inspector
from optviz.validate import SettingsError
from ui import links
from ui.chart import (
    commit_updates,
    explorer_chart,
    fits_in_a_message,
    standalone_html,
    too_large_message,
)
from ui.controls import chart_blob, compute, focused_fields, lockstep, reset_state, sidebar
from ui.navigation import page_setup
from ui.presets import url as preset_url
from ui.widgets import URL, lecture_style, link_as_given

page_setup()

TOLERANCE = 1e-3
CHART = "chart"  # the chart component's key: one element, updated in place
INSPECTED_STEP = "step"  # the state inspector's step slider, which follows the chart
FULL_RUN = "explorer_full_run"  # session state: a commit that the fragment cannot show


def apply_commit() -> None:
    """A released slider or start marker: set the field it stands for, as if typed;
    a lecturer's R ({"param": "reset"}): the preset's settings, or the function's
    defaults. The sliders' fields sit in the chart's fragment; the others in the
    sidebar, so those commits ask for the whole page to run (`FULL_RUN`)."""
    commit = (st.session_state.get(CHART) or {}).get("commit")
    if isinstance(commit, dict) and commit.get("param") == "reset":
        st.session_state.update(reset_state(preset, st.session_state))
        st.session_state[FULL_RUN] = True
        return
    focused = st.session_state.get(links.OPTIMIZERS) or ["adam"]
    updates = commit_updates(commit, focused[0])
    st.session_state.update(updates)
    if links.X1 in updates:
        st.session_state[FULL_RUN] = True


def follow_step() -> None:
    """The chart rests on a step: the state inspector shows the same one."""
    step = (st.session_state.get(CHART) or {}).get("step")
    if isinstance(step, int) and not isinstance(step, bool):
        st.session_state[INSPECTED_STEP] = step


def warn(problems) -> None:
    st.warning("Ignored, the default is used instead:\n"
               + "\n".join(f"- {p}" for p in problems), icon=":material/warning:")


query = link_as_given([links.STEPS])  # the link as the visitor gave it
lecture = links.lecture_mode(query)  # the chart alone, large, for a projector
preset = presets.PRESETS.get(st.query_params.get(links.PRESET, ""))
if lecture:
    lecture_style()
st.title(preset.title if preset else "Trajectory explorer")
if preset:
    st.markdown(preset.lesson)
# Bad values from the link and from the fields, each once, in the order found.
link_problems = dict.fromkeys(links.check_query(query))
sidebar_controls = sidebar()
link_problems.update(dict.fromkeys(sidebar_controls.problems))
if sidebar_controls.function_error:
    if link_problems:
        warn(link_problems)
    st.error(sidebar_controls.function_error, icon=":material/function:")
    st.stop()
if not sidebar_controls.chosen:
    if link_problems:
        warn(link_problems)
    st.info("Choose at least one optimizer in the sidebar.")
    st.stop()


# Everything the chart's sliders change, in one fragment: a released slider reruns this
# alone (the chart first, so that it is drawn before the tables below are computed).
@st.fragment
def explorer(sidebar_controls, link_problems: dict) -> None:
    if st.session_state.pop(FULL_RUN, False):
        st.rerun()  # the start moved: its fields are in the sidebar
    chart_slot = st.container()
    controls, bad = focused_fields(sidebar_controls)
    problems = {**link_problems, **dict.fromkeys(bad)}
    with chart_slot:
        if problems:
            warn(problems)
        request, trajectories, dashed, corrected, blob = chart(controls)
    below_chart(controls, request, trajectories, dashed, corrected, blob)


def chart(controls):
    """Compute the runs and draw the chart; the request, runs and the dashed references."""
    try:
        request = controls.request()
    except SettingsError as e:
        st.error(str(e), icon=":material/error:")
        st.stop()
    if preset:
        changed = presets.changes(preset, request)
        if changed:
            lesson_changed(changed)
    optimizers = controls.optimizers
    trajectories = compute(request)
    drawn, dashed, corrected = request, [], []
    if not controls.bias:  # overlay what bias correction would have done, for comparison
        # The runs' indices (a run may repeat another's settings: positions, not values).
        corrected = [i for i, o in enumerate(optimizers) if "bias_correction" in o.rule.tunable]
        if corrected:
            labels = request.labels()
            references = [settings.OptimizerSettings(
                optimizers[i].name, {**optimizers[i].hyper, "bias_correction": True},
                f"{labels[i]}, corrected") for i in corrected]
            dashed = list(range(len(trajectories), len(trajectories) + len(corrected)))
            trajectories = trajectories + compute(controls.request(references))
            drawn = controls.request(optimizers + references)
    # The chart is titled by its function; the page, above it, by the preset.
    blob = chart_blob(drawn, tuple(dashed), lecture, controls.ensemble, controls.basins,
                      links.predict_mode(query), trajectories)
    if not fits_in_a_message(blob):
        st.error(too_large_message(blob), icon=":material/error:")
        st.stop()
    explorer_chart(blob, key=CHART, on_commit=apply_commit, on_step=follow_step)
    return request, trajectories, dashed, corrected, blob


def lesson_changed(changed: list[str]) -> None:
    """The preset's lesson describes its own settings: say what differs, and the way back."""
    back = preset_url(preset, lecture=lecture)
    st.info("**The lesson above describes its own settings; these differ:** "
            + "; ".join(changed) + ".", icon=":material/history_edu:")
    st.markdown(f'<a href="{back}" target="_self">Back to the lesson\'s settings</a>',
                unsafe_allow_html=True)


def below_chart(controls, request, trajectories, dashed, corrected, blob) -> None:
    """The results, the state inspector, the torch check and the downloads."""
    optimizers, surface, name = controls.optimizers, controls.surface, controls.name
    shown = trajectories[: len(optimizers)]
    labels = [t.run.label for t in shown]
    # A non-breaking hyphen in "1e-3": a narrow column must not split a number.
    summary = [{"optimizer": label,
                "result": str(summarize(t, surface, TOLERANCE)).replace("e-", "e\u2011")}
               for label, t in zip(labels, shown, strict=True)]
    if lecture:  # the chart's own "Leave lecture mode" link goes back, settings and all
        st.table(summary)
        return

    st.caption("Drag a slider under the chart, or the start square, and the path follows as "
               "you drag; let go and the exact run is computed. ▶ plays the steps.")
    # Tabs run lazily: only the open one computes (the lock-step check runs torch), and the
    # light results tab opens first, so a change redraws little besides the main chart.
    results, inspect, check, download = st.tabs(links.TABS, key=links.TAB, on_change="rerun",
                                                bind=URL)
    if results.open:
        with results:
            st.table(summary)
            for o in dict.fromkeys(o.name for o in optimizers):
                st.markdown(f"**{rules.RULES[o].title}**")
                st.latex(rules.RULES[o].equations)

    if inspect.open:
        with inspect:
            left, right = st.columns([1, 3])
            which = left.selectbox("Optimizer", range(len(shown)), key="inspect",
                                   format_func=lambda i: labels[i])
            traj = shown[which]
            if INSPECTED_STEP in st.session_state:  # the chart's step may pass this run's end
                st.session_state[INSPECTED_STEP] = min(max(st.session_state[INSPECTED_STEP], 0),
                                                       max(traj.steps, 1))
            step = left.slider("Step", 0, max(traj.steps, 1), min(1, traj.steps),
                               key=INSPECTED_STEP, help="Follows the chart: pause or scrub there")
            step = min(step, traj.steps)
            left.table(inspector.state_table(traj, step))
            overlay = None
            if dashed and which in corrected:
                overlay = trajectories[dashed[corrected.index(which)]]
            right.plotly_chart(inspector.state_figure(traj, step, overlay=overlay), key="state",
                               config={"displaylogo": False})
            if traj.explained:
                st.caption("Adam's step in each coordinate is η·m̂/(√v̂ + ε) ≈ η·sign(g) while "
                           "the gradient keeps its sign: the step size η/(√v̂ + ε) shrinks where "
                           "gradients are large, so x1 and x2 move alike.")

    if check.open:
        with check:
            adam_like = [i for i, o in enumerate(optimizers) if o.name == "adam"]
            if not adam_like:
                st.info("Add Adam to compare optviz's Adam with torch.optim.Adam step for step.")
            else:
                i = adam_like[0]
                result = lockstep(request, i)
                if not result.available:
                    st.info(result.reason)
                else:
                    st.metric("max |Δθ| between optviz's Adam and torch.optim.Adam",
                              f"{result.max_abs_diff:.1e}",
                              help=f"over {result.steps} steps; torch in float32, optviz in "
                                   "float64, both from the same start")

    if download.open:
        with download:
            # The files themselves, not callables: a callable is made on click and stored
            # for one rerun, so a second click right after the first found it gone.
            st.download_button("Trajectories and states (CSV)", export.trajectories_csv(shown),
                               file_name=f"optviz-{name}.csv", mime="text/csv")
            st.download_button("Figure (standalone HTML: opens and plays offline)",
                               standalone_html(blob, preset.title if preset else name),
                               file_name=f"optviz-{name}.html", mime="text/html")


explorer(sidebar_controls, link_problems)
