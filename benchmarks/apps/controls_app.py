"""A floor for benchmarks/ui_latency.py: the explorer's own controls, a line of text for a chart.

    streamlit run benchmarks/apps/controls_app.py   (from the repository root)

The same controls as the explorer (ui.controls: the sidebar, and the first run's fields
in a fragment, every widget bound to the URL) and the same cached trajectory, but the
result is one line, "Value: <final point>": what a β1 change costs before any chart is
drawn (a rerun of the fragment, as in the explorer).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # streamlit adds only this folder

import streamlit as st  # noqa: E402

from ui.controls import compute, focused_fields, sidebar  # noqa: E402


@st.fragment
def value(sidebar_controls) -> None:
    controls, _ = focused_fields(sidebar_controls)
    final = compute(controls.request())[0].points[-1]
    st.write(f"Value: {final[0]:.6f}, {final[1]:.6f}")


st.set_page_config(layout="wide")
value(sidebar())
