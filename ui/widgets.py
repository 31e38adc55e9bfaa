"""Widgets and page set-up shared by the pages."""

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from optviz import links, rules, settings

URL = "query-params"
# The hyperparameters worth a field of their own, in this order; the rest keep defaults.
FIELDS = ("lr", "beta1", "beta2", "eps", "momentum", "alpha", "rho", "weight_decay",
          "amsgrad", "centered")
STEP_OF = {"lr": 0.05, "beta1": 0.01, "beta2": 0.001, "momentum": 0.05, "alpha": 0.01,
           "rho": 0.01, "weight_decay": 0.01}


def page_setup() -> None:
    """Call first in every page.

    A deep link as the first visit after the server starts finds Streamlit still in
    its legacy mode for a folder named pages/ (it runs the page without app.py). Leave
    that mode and rerun: app.py's st.navigation then routes to the page properly.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def hyper_fields(name: str, defaults, prefix: str = "", bias_correction: bool | None = None,
                 bind: str | None = URL) -> tuple[settings.OptimizerSettings, list[str]]:
    """Fields for one optimizer's hyperparameters, labelled as in the chapter (β1, ε, ...).

    `defaults` is the rule's hyperparameter NamedTuple to start from. Bad values fall
    back to the default: returns the settings and one message per value dropped.
    """
    rule = rules.get_rule(name)
    values = {}
    for field in FIELDS:
        if field not in rule.tunable:
            continue
        key = prefix + links.hyper_key(name, field)
        label, default = rules.LABELS[field], getattr(defaults, field)
        if isinstance(default, bool):
            values[field] = st.checkbox(label, value=default, key=key, bind=bind)
        else:
            values[field] = st.number_input(
                label, value=float(default), step=STEP_OF.get(field, float(default) or 0.1),
                format="%g", key=key, bind=bind,
                help=f"allowed: {rules.describe_range(field)}")
    if bias_correction is not None and "bias_correction" in rule.tunable:
        values["bias_correction"] = bias_correction
    return links.lenient_optimizer(name, values)


# Lecture mode: no sidebar, no header or toolbar, larger type; the chart's own sizes are
# scaled by optviz.figures (its `scale`).
_LECTURE_CSS = """<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], header[data-testid="stHeader"] { display: none; }
html { font-size: 24px; }
h1 { font-size: 1.8rem !important; }
.block-container, [data-testid="stMainBlockContainer"] { max-width: 100%;
  padding-top: 1.5rem; }
</style>"""


def lecture_style() -> None:
    """Restyle the page for a projector (see `_LECTURE_CSS`)."""
    st.html(_LECTURE_CSS)
