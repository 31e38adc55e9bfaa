"""Adam in weight space: the linear-regression run drawn on the loss it descends.

Thin: widgets -> optviz.weightspace (both runs, the plane, the loss on it) -> the
explorer's chart component. The bridge between the chapter's two halves.
"""

import streamlit as st

from optviz import data, defaults, rules, trainer, weightspace
from optviz.validate import SettingsError
from ui import links
from ui.chart import explorer_chart
from ui.navigation import page_setup
from ui.widgets import URL, hyper_fields, lecture_style, link_as_given

page_setup()

DATA = {"airfoil": "Airfoil (NASA, the chapter's)", "synthetic": "Synthetic"}


@st.cache_resource(show_spinner="Loading the airfoil data…")
def dataset(name: str) -> data.Dataset:
    if name == "airfoil":
        return data.load_airfoil()
    return data.synthetic(**data.SYNTHETIC_LIVE)  # as the trainer page's: it converges


@st.cache_data(max_entries=32, show_spinner="Training from scratch and with torch.optim…")
def blob(name: str, optimizer: str, hyper: tuple, batch_size: int, epochs: int,
         lecture: bool) -> tuple[bytes, float, list[float]]:
    """The chart's payload, the path's farthest distance from the plane, the final losses."""
    view = weightspace.compute(dataset(name), optimizer, dict(hyper), batch_size=batch_size,
                               epochs=epochs, data_name=name)
    return (weightspace.payload(view, lecture), view.off_plane,
            [float(r.values[-1]) for r in view.runs])


def link_fields() -> dict[str, links.Field]:
    """Every query key this page's widgets read, and how each judges its value."""
    fields = {
        "w.data": links.choice("Data set", DATA.values()),
        "w.optimizer": links.choice("Optimizer", [r.title for r in rules.RULES.values()]),
        "w.batch": links.number("Batch size", 1, 1500, whole=True),
        "w.epochs": links.number("Epochs", 1, 10, whole=True),
    }
    fields.update(links.hyper_link_fields("w."))
    return fields


linked = link_as_given(["w.batch", "w.epochs"])
lecture = links.lecture_mode(linked)
if lecture:
    lecture_style()
st.title("Adam in weight space")
st.markdown(
    "The chapter's linear regression, θ = (w, b): six numbers, trained on minibatches. "
    "Drawn here on a plane of weight space through the start θ₀, the least-squares "
    "optimum θ* (★) and the run's end, over the contours of the exact loss "
    "L(θ) = ‖Xθ − y‖² / 2n: the same Adam as on the 2D functions, now on real data. "
    "Dashed: torch.optim on the same batches.")

with st.sidebar:
    name = st.selectbox("Data set", list(DATA), format_func=DATA.get, key="w.data", bind=URL)
    optimizer = st.selectbox("Optimizer", list(rules.RULES), index=list(rules.RULES).index("adam"),
                             format_func=lambda n: rules.RULES[n].title, key="w.optimizer",
                             bind=URL)
    chosen, bad = hyper_fields(optimizer, trainer.hyperparams(optimizer), prefix="w.")
    batch_size = st.number_input("Batch size", 1, 1500, defaults.TRAIN_BATCH_SIZE,
                                 key="w.batch", bind=URL)
    epochs = st.number_input("Epochs", 1, 10, defaults.TRAIN_EPOCHS, key="w.epochs", bind=URL,
                             help="Up to 10 here: every step's θ is kept and drawn")
from_link = links.check_fields(linked, link_fields())
bad = from_link + [b for b in bad if not any(m.startswith(b) for m in from_link)]
if bad:
    st.warning("Ignored, the default is used instead:\n" + "\n".join(f"- {p}" for p in bad),
               icon=":material/warning:")
try:
    chart, off_plane, finals = blob(name, optimizer, tuple(sorted(chosen.hyper.items())),
                                    int(batch_size), int(epochs), lecture)
except data.DataUnavailable as e:
    st.warning(f"{e}. Choose the synthetic set in the sidebar meanwhile.",
               icon=":material/wifi_off:")
    st.stop()
except SettingsError as e:
    st.error(str(e), icon=":material/error:")
    st.stop()
explorer_chart(chart, key="weights", on_commit=lambda: None, on_step=lambda: None)
title = rules.RULES[optimizer].title
st.caption(f"Final loss: {finals[0]:.4f} from scratch, {finals[1]:.4f} with torch.optim. "
           f"The paths leave the plane by at most {off_plane:.3g} (θ has six numbers; the "
           "plane holds θ₀, θ* and the end exactly), and each point's loss is the true "
           f"L(θ), not the plane's. {title}'s steps cross the contours at an angle: it "
           "scales each coordinate by its own √v̂, not along the steepest descent.")
