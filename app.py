"""optviz: Streamlit entry point (``streamlit run app.py``).

This file only configures the app and routes to pages; each page is a thin file in
``pages/``. Adding a page is one line in ``PAGES``.
"""

import streamlit as st

st.set_page_config(page_title="optviz", page_icon=":material/insights:", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Adam, explained", icon=":material/school:", default=True),
    st.Page("pages/explorer.py", title="Trajectory explorer", icon=":material/route:"),
    st.Page("pages/trainer.py", title="Linear regression, live",
            icon=":material/model_training:"),
    st.Page("pages/weights.py", title="Adam in weight space", icon=":material/scatter_plot:"),
    st.Page("pages/sweep.py", title="Hyperparameter sweep", icon=":material/grid_on:"),
]

st.navigation(PAGES).run()
