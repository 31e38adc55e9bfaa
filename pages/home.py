"""Home page: what Adam does, in equations and plain words."""

import streamlit as st

from optviz import presets
from ui.navigation import page_setup
from ui.presets import url

page_setup()

# The other pages, each with one line on what it shows.
PAGES = [
    ("pages/explorer.py", "Trajectory explorer", ":material/route:",
     "Watch Adam, momentum, RMSProp and friends walk across 2D test functions."),
    ("pages/trainer.py", "Linear regression, live", ":material/model_training:",
     "Train the chapter's linear regression on the airfoil data and watch the loss."),
    ("pages/sweep.py", "Hyperparameter sweep", ":material/grid_on:",
     "Train a grid of two hyperparameters at once and see where each pair ends up."),
]

st.title("Adam, explained")

st.markdown(
    """
**Adam** (adaptive moment estimation) combines two ideas you have already met:

- **momentum**: it follows a running average of the gradients, not just the latest one;
- **RMSProp-style scaling**: it divides each coordinate's step by a running average of
  that coordinate's squared gradients, so every parameter gets its own step size.

The result is robust across many problems and needs little tuning, which is why it is
the default optimizer in so much of deep learning.
"""
)

st.header("The update, step by step")

st.markdown("At step $t$, with gradient $g_t$, Adam updates two running averages:")
st.latex(r"m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g_t")
st.latex(r"v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2")

st.markdown("corrects them for their start at zero:")
st.latex(r"\hat{m}_t = \frac{m_t}{1 - \beta_1^t}")
st.latex(r"\hat{v}_t = \frac{v_t}{1 - \beta_2^t}")

st.markdown("and takes a step (all operations per coordinate):")
st.latex(r"x_t = x_{t-1} - \eta\, \frac{\hat{m}_t}{\sqrt{\hat{v}_t} + \epsilon}")

st.header("What the knobs do")

st.markdown(
    r"""
- $\beta_1$ — how long the gradient average remembers: higher means smoother, slower
  to turn. The chapter uses **0.9**.
- $\beta_2$ — how long the squared-gradient average remembers: higher means a steadier
  per-coordinate scale. The chapter uses **0.999**.
- $\epsilon$ — a small number that keeps the division safe when $\hat{v}_t$ is near 0.
  The chapter's from-scratch code uses **1e-6**.
- $\eta$ — the learning rate, the overall step size. The chapter trains on the airfoil
  data with **0.01**.
"""
)

st.header("Why bias correction matters")

st.markdown(
    r"""
Both averages start at $m_0 = v_0 = 0$. Early on they are dragged towards that zero
start: with a constant gradient $g$, after $t$ steps $m_t = (1 - \beta_1^t)\, g$, too
small by a factor $1 - \beta_1^t$ (only 0.1 at the first step with $\beta_1 = 0.9$).
$v_t$ is dragged down far more, by $1 - \beta_2^t$ (0.001 at the first step with
$\beta_2 = 0.999$), and it sits under a square root: without correction the first step
is $\eta\,(1-\beta_1)/\sqrt{1-\beta_2} \approx 3.2\,\eta$ instead of $\eta$, and steps stay
too long for hundreds of steps. Dividing by $1 - \beta_1^t$ and $1 - \beta_2^t$ removes
both biases, so the first steps have the intended size $\approx \eta$ per coordinate.
"""
)

st.header("What you can do here")

for path, label, icon, blurb in PAGES:
    st.page_link(path, label=label, icon=icon)
    st.caption(blurb)

st.header("For a lecture")

st.markdown(
    "Each preset opens the explorer on one lesson. **Lecture mode** shows only the chart, "
    "large, for a projector (add `lecture=1` to any explorer link); **settings** opens the "
    "same view with every control, to change it live."
)
for p in presets.PRESETS.values():
    st.markdown(
        f'**{p.title}** · <a href="{url(p, lecture=True)}" target="_self">lecture mode</a> · '
        f'<a href="{url(p, lecture=False)}" target="_self">settings</a>',
        unsafe_allow_html=True)

st.markdown("Without the dashboard, the command line computes a trajectory and prints it:")
st.code(
    "python -m optviz trajectory --surface d2l --optimizer adam --lr 0.4 --json",
    language="bash",
)
