"""Widgets and page set-up shared by the pages."""

import math

import streamlit as st
from streamlit.errors import StreamlitAPIException

from optviz import rules, settings
from ui import links

URL = "query-params"
LINKED = "link_as_given"  # session state: a page's link, across one rerun
# The hyperparameters worth a field of their own, in this order; the rest keep defaults.
FIELDS = ("lr", "beta1", "beta2", "eps", "momentum", "alpha", "rho", "weight_decay",
          "amsgrad", "centered")
# The "+"/"−" step of a number field, where a fixed one suits every default.
STEP_OF = {"beta1": 0.01, "beta2": 0.001, "momentum": 0.05, "alpha": 0.01, "rho": 0.01,
           "weight_decay": 0.01}


def step_of(field: str, default: float) -> float:
    """The field's step: STEP_OF's, else half the default's leading power of ten (0.4 → 0.05,
    0.01 → 0.005, 1e-6 → 5e-7), as the learning rate and ε span decades."""
    if field in STEP_OF:
        return STEP_OF[field]
    if default > 0 and math.isfinite(default):
        return 10.0 ** math.floor(math.log10(default)) / 2
    return 0.1


def _infinite(text: str) -> bool:
    try:
        return math.isinf(float(text))
    except ValueError:
        return False


def link_as_given(whole_number_keys: list[str]) -> dict[str, list[str]]:
    """The link's query, key by key, as the visitor gave it.

    Streamlit 1.67 raises OverflowError when it seeds a whole-number field from the URL
    with an infinite value (?steps=inf, or 400 nines): such values are taken out of
    the URL first and the page reruns without them; the link as given is kept, so its
    message still shows.
    """
    linked = {k: st.query_params.get_all(k) for k in st.query_params}
    overflowing = [k for k in whole_number_keys
                   if k in linked and any(map(_infinite, linked[k]))]
    if overflowing:
        try:
            for key in overflowing:
                del st.query_params[key]
        except StreamlitAPIException:  # bound by an earlier run: only a fresh tab gets here
            pass
        else:
            st.session_state[LINKED] = linked
            st.rerun()
    return st.session_state.pop(LINKED, linked)


def hyper_fields(name: str, defaults, prefix: str = "", bias_correction: bool | None = None,
                 bind: str | None = URL, run: str | None = None,
                 ) -> tuple[settings.OptimizerSettings, list[str]]:
    """Fields for one optimizer's hyperparameters, labelled as in the chapter (β1, ε, ...).

    `defaults` is the rule's hyperparameter NamedTuple to start from; `run` the run key
    the fields are keyed by (`links.RUNS`; default: `name`, its first run). Bad values
    fall back to the default: returns the settings and one message per value dropped.
    """
    rule = rules.get_rule(name)
    values = {}
    for field in FIELDS:
        if field not in rule.tunable:
            continue
        key = prefix + links.hyper_key(run or name, field)
        label, default = rules.LABELS[field], getattr(defaults, field)
        if isinstance(default, bool):
            values[field] = st.checkbox(label, value=default, key=key, bind=bind)
        else:
            values[field] = st.number_input(
                label, value=float(default), step=step_of(field, float(default)),
                format="%g", key=key, bind=bind,
                help=f"allowed: {rules.describe_range(field)}")
    if bias_correction is not None and "bias_correction" in rule.tunable:
        values["bias_correction"] = bias_correction
    return links.lenient_optimizer(name, values)


# Lecture mode: no sidebar, no header or toolbar, larger type (the chart sizes its own:
# ui/components/explorer). Title and lesson compact, so that the chart, which fits the
# rest of the window, starts high: on a 1080-line projector all of it shows at once.
_LECTURE_CSS = """<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], header[data-testid="stHeader"] { display: none; }
.block-container, [data-testid="stMainBlockContainer"] { max-width: 100%;
  padding-top: 1.5rem; }
@media (min-width: 700px) {  /* projector sizes; a phone keeps its own */
  html { font-size: 24px; }
  h1 { font-size: 1.5rem !important; padding: 0 0 0.25rem !important;
       line-height: 1.2 !important; }
  [data-testid="stMarkdownContainer"] p { line-height: 1.35; }
  .block-container, [data-testid="stMainBlockContainer"] { padding: 0.75rem 1.5rem 2rem; }
  [data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] { gap: 0.5rem; }
}
@media (max-width: 699px) {  /* a phone: the title a heading, not a poster; the chart near */
  h1 { font-size: 1.75rem !important; padding: 0 0 0.25rem !important; }
  .block-container, [data-testid="stMainBlockContainer"] { padding: 1rem 1rem 2rem; }
}
</style>"""


def lecture_style() -> None:
    """Restyle the page for a projector (see `_LECTURE_CSS`)."""
    st.html(_LECTURE_CSS)
