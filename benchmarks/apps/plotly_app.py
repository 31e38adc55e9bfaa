"""A floor for benchmarks/ui_latency.py: the bare page plus the smallest plotly chart.

    streamlit run benchmarks/apps/plotly_app.py   (from the repository root)

One slider, one line of text, and st.plotly_chart of one three-point line whose last
point follows the slider: what any page with a plotly chart pays for loading plotly.js
and, on each change, for Streamlit mounting a new chart.
"""

import plotly.graph_objects as go
import streamlit as st

value = st.slider("Value", 0, 100, 50)
st.write(f"Value: {value}")
line = go.Scatter(x=[0, 50, value], y=[0, 1, 0], mode="lines", legendgroup="run0")
st.plotly_chart(go.Figure(line), key="plot")
