"""A bare Streamlit page, the baseline of benchmarks/ui_latency.py: one slider, one line.

    streamlit run benchmarks/apps/bare_app.py   (from the repository root, so that
                                                 .streamlit/config.toml applies as for app.py)

In a folder of its own so that `make bench`, which runs benchmarks/*.py, leaves it alone.
"""

import streamlit as st

value = st.slider("Value", 0, 100, 50)
st.write(f"Value: {value}")
