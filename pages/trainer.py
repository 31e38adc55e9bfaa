"""Linear regression, live: the chapter's airfoil run, from scratch and with torch.optim.

Training runs as a server-wide job (ui.jobs: at most N at once); a fragment polls
it twice a second, which draws the growing loss curve and keeps the job alive. Stop,
or closing the tab, ends the job and frees its slot.
"""

import threading

import streamlit as st

from optviz import data, defaults, records, rules, trainer
from optviz.devices import available_devices, limit_torch_threads
from optviz.export import run_log_csv
from optviz.plots.loss import Curve, loss_figure
from optviz.validate import SettingsError
from ui.jobs import JOBS, train_work, watch
from ui.navigation import page_setup
from ui.session import connection_probe
from ui.widgets import hyper_fields

page_setup()

IMPLS = {"From scratch (optviz)": ("scratch",), "torch.optim": ("torch",),
         "Both, overlaid": ("scratch", "torch")}
IMPL_LABEL = {"scratch": "from scratch", "torch": "torch.optim"}


@st.cache_resource(show_spinner="Loading the airfoil data…")
def airfoil() -> data.Dataset:
    return data.load_airfoil()


@st.cache_resource(show_spinner=False)
def compile_in_background() -> None:
    """Compile the default optimizer's fast engine once per server, off the page's path.

    Until it is ready runs use the tensor engine; the numbers are the same.
    """
    threading.Thread(target=trainer.warm_up, args=((defaults.DEFAULT_OPTIMIZER,),),
                     daemon=True, name="optviz-warm-up").start()


def load_dataset(choice: str) -> data.Dataset | None:
    """The chosen data set, or None after telling the user why it can't be had."""
    if choice == "Airfoil (NASA, the chapter's)":
        try:
            return airfoil()
        except data.DataUnavailable as e:
            st.warning(f"{e}. Choose the synthetic set meanwhile.", icon=":material/wifi_off:")
            return None
    if choice == "Synthetic":
        return data.synthetic(n=1500, d=5, noise=0.1, seed=0)
    upload = st.sidebar.file_uploader("CSV file (numeric columns, header row)", type=["csv"])
    if upload is None:
        st.info("Upload a CSV file in the sidebar, or choose another data set.")
        return None
    raw = upload.getvalue()
    try:
        columns = data.csv_columns(raw)
        target = st.sidebar.selectbox("Target column", columns, index=len(columns) - 1)
        return data.parse_csv(raw, upload.name, target=target)
    except data.DataError as e:
        st.error(f"{upload.name}: {e}", icon=":material/error:")
        return None


def curves_of(job, labels: list[str]) -> list[Curve]:
    """The curves a job has reported so far, one per trainer."""
    points: dict[int, list] = {}
    for i, progress in list(job.items):
        points.setdefault(i, []).append(progress)
    return [Curve(labels[i], [p.epoch for p in ps], [p.loss for p in ps], live=True,
                  dashed=IMPL_LABEL["torch"] in labels[i])
            for i, ps in sorted(points.items())]


def collect(job) -> None:
    """Keep a finished job's runs in the session (overlaid until cleared); drop the job."""
    st.session_state.runs.extend(records.records(st.session_state.get("labels", []),
                                                 job.result or []))
    del st.session_state["job"]


def training_caption(job) -> None:
    st.caption(f"Training… {len(job.items)} log points so far")


def loss_chart(job) -> None:
    """Earlier runs and the job's, as far as it got."""
    earlier = [Curve(r.label, r.epochs, r.losses, dashed=IMPL_LABEL["torch"] in r.label)
               for r in st.session_state.runs]
    current = [] if job is None else curves_of(job, st.session_state.get("labels", []))
    if earlier or current:
        st.plotly_chart(loss_figure(earlier + current, chapter_view), key="loss",
                        config={"displaylogo": False})
    else:
        st.caption("Press Start to train; the loss curve grows while it runs.")


st.session_state.setdefault("runs", [])
limit_torch_threads()
compile_in_background()
st.title("Linear regression, live")
st.caption("The chapter's second half: linear regression on the NASA airfoil data, "
           "loss = mean squared error / 2 over the whole set, logged every 100 examples. "
           "The chapter ends near 0.245 from scratch and 0.242 with torch.optim.Adam.")

with st.sidebar:
    choice = st.selectbox("Data set", ["Airfoil (NASA, the chapter's)", "Synthetic",
                                       "Upload CSV"], key="data")
    name = st.selectbox("Optimizer", list(rules.RULES), index=list(rules.RULES).index("adam"),
                        format_func=lambda n: rules.RULES[n].title, key="optimizer")
    chosen, bad = hyper_fields(name, trainer.hyperparams(name), prefix="train.", bind=None)
    batch_size = st.number_input("Batch size", 1, 100_000, defaults.TRAIN_BATCH_SIZE)
    epochs = st.number_input("Epochs", 1, trainer.MAX_EPOCHS, defaults.TRAIN_EPOCHS)
    devices = available_devices()
    usable = [d for d, why in devices.items() if why is None]
    device = st.radio("Device", usable, horizontal=True,
                      help="Data is moved to the device once; the model is tiny.")
    for d, why in devices.items():
        if why is not None:
            st.caption(f":gray[{d}: unavailable, {why}]")
    impl = st.radio("Implementation", list(IMPLS), index=2)
    seed = st.number_input("Seed", 0, 2**31 - 1, 0)

for message in bad:
    st.warning(f"Ignored, the default is used instead: {message}", icon=":material/warning:")

dataset = load_dataset(choice)
job = st.session_state.get("job")
active = job is not None and not job.finished

left, right, _ = st.columns([1, 1, 3])
start = left.button("Start", type="primary", disabled=dataset is None or active,
                    icon=":material/play_arrow:", key="train_start")
if right.button("Stop", disabled=not active, icon=":material/stop:", key="train_stop"):
    job.stop()
chapter_view = st.toggle("The chapter's plot (loss from 0.22 to 0.35)", value=False)

if start and dataset is not None:
    labels = [f"{rules.RULES[name].title}, {IMPL_LABEL[i]}, lr {chosen.hyperparams().lr:g}"
              for i in IMPLS[impl]]
    try:
        runs = [trainer.Trainer(dataset, impl=i, optimizer=name, hyper=dict(chosen.hyper),
                                batch_size=int(batch_size), epochs=int(epochs),
                                seed=int(seed), device=device) for i in IMPLS[impl]]
    except (SettingsError, ValueError) as e:
        st.error(str(e), icon=":material/error:")
    else:
        st.session_state.job = JOBS.submit(train_work(runs), connected=connection_probe())
        st.session_state.labels = labels
        st.rerun()  # redraw the buttons: Start off, Stop on


watch("job", progress=training_caption, view=loss_chart, finished=collect)

if st.session_state.runs:
    st.table([{"run": r.label, "final loss": f"{r.final_loss:.4f}",
               "seconds per epoch": ", ".join(f"{s:.4f}" for s in r.sec_per_epoch),
               "note": "stopped early" if r.stopped else ""}
              for r in st.session_state.runs])
    left, right = st.columns(2)
    if left.button("Clear earlier runs", icon=":material/delete:"):
        st.session_state.runs = []
        st.rerun()
    right.download_button("Run log (CSV)", run_log_csv(st.session_state.runs),
                          file_name="optviz-training-log.csv", mime="text/csv")
