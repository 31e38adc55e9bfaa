"""A floor for benchmarks/ui_latency.py: a page holding nothing but a components-v2 element.

    streamlit run benchmarks/apps/component_app.py   (from the repository root)

The smallest page built as the explorer's chart is (ui/chart.py): st.components.v2 with
inline JavaScript, mounted in its shadow root, here writing one text node,
"Value: <data>". Its first load is what any page with such a component pays (Streamlit's
component runtime, the script's import) before drawing anything.
"""

import streamlit as st

JS = """export default function ({ parentElement, data }) {
  parentElement.textContent = `Value: ${data}`;
}"""

st.components.v2.component("floor", js=JS)(data="component", key="floor")
