"""Linear regression, live: the chapter's airfoil run (or a synthetic set, or your CSV),
from scratch and with torch.optim.

Training runs as a server-wide job (ui.jobs: at most N at once); a fragment polls
it twice a second, which draws the growing loss curve and keeps the job alive. Stop,
or closing the tab, ends the job and frees its slot. The job computes at full speed;
the chart reveals its points at the chosen pace (ui.pace says why and how).
"""

import os
import re
import threading
from pathlib import Path

import pandas as pd
import streamlit as st

from optviz import data, defaults, records, rules, settings, trainer, validate
from optviz.devices import available_devices, limit_torch_threads
from optviz.export import run_log_csv
from optviz.plots.loss import Curve, loss_figure
from optviz.validate import SettingsError
from ui import links
from ui.jobs import DONE, FAILED, JOBS, train_work, watch
from ui.navigation import page_setup
from ui.pace import DEFAULT_PACE, PACES, Reveal, pace_seconds
from ui.session import connection_probe
from ui.widgets import URL, hyper_fields, link_as_given

page_setup()

AIRFOIL, SYNTHETIC, UPLOAD = "Airfoil (NASA, the chapter's)", "Synthetic", "Upload CSV"
IMPLS = {"From scratch (optviz)": ("scratch",), "torch.optim": ("torch",),
         "Both, overlaid": ("scratch", "torch")}
IMPL_LABEL = {"scratch": "from scratch", "torch": "torch.optim"}
PREVIEW_ROWS = 5


@st.cache_resource(ttl=60, show_spinner="Loading the airfoil data…")
def airfoil(path: str, present: bool) -> tuple[data.Dataset | None, str]:
    """The airfoil set, or None and why not. Keyed by where the file is looked for and
    whether it is there: a failure (offline) is remembered for a minute, so that each
    rerun does not try the downloads again, but a file put in place is found at once."""
    try:
        return data.load_airfoil(timeout=5.0), ""
    except data.DataUnavailable as e:
        return None, str(e)


@st.cache_resource(show_spinner=False)
def synthetic() -> data.Dataset:
    return data.synthetic(**data.SYNTHETIC_LIVE)


@st.cache_resource(show_spinner=False)
def floor_of(dataset: data.Dataset) -> float:
    return data.noise_floor(dataset)


@st.cache_resource(show_spinner=False)
def compile_in_background() -> None:
    """Compile the default optimizer's fast engine once per server, off the page's path.

    Until it is ready runs use the tensor engine; the numbers are the same.
    """
    threading.Thread(target=trainer.warm_up, args=((defaults.DEFAULT_OPTIMIZER,),),
                     daemon=True, name="optviz-warm-up").start()


def use_synthetic() -> None:
    st.session_state["data"] = SYNTHETIC


def where_to_put_the_file() -> str:
    """Exactly where optviz.data looks for the airfoil file, in words."""
    path = data.airfoil_path()
    folder = os.environ.get("OPTVIZ_DATA_DIR")
    if folder:
        return (f"put **{data.AIRFOIL_FILE}** in the folder named by the environment "
                f"variable **OPTVIZ_DATA_DIR** (here `{path.parent}`)")
    return (f"put **{data.AIRFOIL_FILE}** in the folder named by the environment variable "
            f"**OPTVIZ_DATA_DIR** (not set here, so the folder is `{path.parent}`)")


def no_airfoil(why: str) -> None:
    """The no-data state: say what is missing, how to provide it offline, offer the
    synthetic set with one click."""
    st.warning("The airfoil data set is not on this server and could not be downloaded "
               f"(offline?). To use it offline, {where_to_put_the_file()}, then reload "
               "the page. Meanwhile, train on the synthetic set.",
               icon=":material/wifi_off:")
    st.button("Use the synthetic set", on_click=use_synthetic, type="primary",
              icon=":material/dataset:", key="use_synthetic")
    st.caption(f"Details: {why}")


def preview(dataset: data.Dataset) -> None:
    """What an uploaded file became: its size, its target, the first rows as trained on."""
    n, d = dataset.features.shape
    with st.expander(f"Your data: {dataset.name}", expanded=True, icon=":material/table:"):
        st.markdown(
            f"**{n:,} rows**, **{d + 1} columns**: {d} feature{'' if d == 1 else 's'} and "
            f"the target **{dataset.target_name}**, the column the model predicts (choose "
            f"another in the sidebar). Every column is **standardized** (mean 0, standard "
            f"deviation 1) before training, as in the chapter. The first "
            f"{min(PREVIEW_ROWS, n)} rows, as the model sees them:")
        table = pd.DataFrame(dataset.features[:PREVIEW_ROWS], columns=dataset.feature_names)
        table[f"{dataset.target_name} (target)"] = dataset.labels[:PREVIEW_ROWS]
        st.dataframe(table.round(3), hide_index=True)


def load_dataset(choice: str) -> data.Dataset | None:
    """The chosen data set, or None after telling the user why it can't be had."""
    if choice == AIRFOIL:
        path = data.airfoil_path()
        dataset, why = airfoil(str(path), path.is_file())
        if dataset is None:
            no_airfoil(why)
        return dataset
    if choice == SYNTHETIC:
        return synthetic()
    upload = st.sidebar.file_uploader("CSV file (numeric columns, header row)", type=["csv"])
    if upload is None:
        st.info("Upload a CSV file in the sidebar, or choose another data set.")
        return None
    raw = upload.getvalue()
    try:
        columns = data.csv_columns(raw)
        target = st.sidebar.selectbox("Target column", columns, index=len(columns) - 1)
        dataset = data.parse_csv(raw, upload.name, target=target)
    except data.DataError as e:
        st.error(f"{upload.name}: {e}", icon=":material/error:")
        return None
    preview(dataset)
    return dataset


def short_name(dataset: data.Dataset | None) -> str:
    """The data set in labels and file names: airfoil, synthetic, or the file's stem."""
    if dataset is None:
        return "data"
    if choice != UPLOAD:
        return dataset.name
    return re.sub(r"[^A-Za-z0-9_-]+", "-", Path(dataset.name).stem).strip("-")[:40] or "upload"


def data_caption(dataset: data.Dataset | None) -> str:
    loss = "loss = mean squared error / 2 over the whole set, logged every 100 examples"
    if dataset is None:
        return f"Linear regression on the data set chosen in the sidebar; {loss}."
    if choice == AIRFOIL:
        return ("The chapter's second half: linear regression on the NASA airfoil data, "
                f"{loss}. The chapter ends near 0.245 from scratch and 0.242 with "
                "torch.optim.Adam.")
    n, d = dataset.features.shape
    floor = f"The best any line can do here, its noise floor, is {floor_of(dataset):.4f}."
    if choice == SYNTHETIC:
        w = ", ".join(f"{v:g}" for v in dataset.true_weights)
        return (f"Linear regression on a synthetic set: {n:,} rows of {d} features drawn from "
                f"N(0, 1), y = x·w + b + noise with w = ({w}), b = {dataset.true_bias:g} and "
                f"noise σ = {data.SYNTHETIC_LIVE['noise']:g}; {loss}. {floor}")
    return (f"Linear regression on {dataset.name}: {n:,} rows, {d} features, target "
            f"{dataset.target_name}, every column standardized; {loss}. {floor}")


def run_settings(impl: str) -> dict[str, str]:
    """This run's settings as a label names them (see records.run_label)."""
    hp = trainer.hyperparams(name, dict(chosen.hyper))
    named = {"optimizer": rules.RULES[name].title}
    if "lr" in hp._fields:
        named["lr"] = f"lr {hp.lr:g}"
    named["implementation"] = IMPL_LABEL[impl]
    for field, value in hp._asdict().items():
        if field != "lr":
            named[field] = f"{validate.label(field)} {settings.value_text(value)}"
    named |= {"batch": f"batch {int(batch_size)}", "epochs": f"{int(epochs)} epochs",
              "seed": f"seed {int(seed)}", "device": device, "data": f"{short_name(dataset)} data"}
    return named


def baseline() -> dict[str, str] | None:
    """The settings new labels are compared with: the first run still on the chart."""
    if not st.session_state.runs:
        return None
    first = min(r.run for r in st.session_state.runs)
    return st.session_state.run_settings.get(first)


# ------------------------------------------------------------------ the job, shown


def reveal_of(job=None) -> Reveal:
    """The job's reveal; its clock starts with the job's first point."""
    reveal = st.session_state.get("reveal") or Reveal(epochs=0, seconds=0)
    if job is not None and job.items:
        reveal.start()
    return reveal


def computed_epoch(job) -> float:
    return max((p.epoch for _, p in list(job.items)), default=0.0)


def shown(job) -> bool:
    """Whether the page has shown all of the job (ui.jobs.watch): a run that ended
    normally is shown once its reveal is over; one stopped or failed, at once."""
    return job.status != DONE or reveal_of().done()


def curves_of(job, labels: list[str]) -> list[Curve]:
    """The curves of the job as far as the reveal shows them, one per trainer."""
    items = list(job.items)
    cutoff = reveal_of(job).cutoff()
    points: dict[int, list] = {}
    for i, progress in items:
        if progress.epoch <= cutoff:
            points.setdefault(i, []).append(progress)
    return [Curve(labels[i], [p.epoch for p in ps], [p.loss for p in ps], live=True,
                  dashed=IMPL_LABEL["torch"] in labels[i])
            for i, ps in sorted(points.items())]


def collect(job) -> None:
    """Keep a finished job's runs in the session (overlaid until cleared), as far as they
    were shown; drop the job."""
    reveal = st.session_state.pop("reveal", None)
    kept = records.records(st.session_state.get("labels", []), job.result or [],
                           run=st.session_state.get("run_number", 0))
    if reveal is not None and reveal.stopped_at is not None:
        kept = [r.until(reveal.stopped_at) for r in kept]
    st.session_state.runs.extend(kept)
    if job.status == FAILED:
        st.session_state.train_error = job.error
    del st.session_state["job"]


def training_caption(job) -> None:
    reveal = reveal_of(job)
    total = int(reveal.epochs)
    if job.finished:
        last = {i: p.elapsed for i, p in list(job.items)}  # each trainer's training time
        seconds = sum(last.values())
        st.caption(f"Showing the run at about {reveal.seconds:g} s: epoch "
                   f"{min(reveal.cutoff(), total):.2f} of {total} (computed in {seconds:.2f} s)")
    else:
        st.caption(f"Training… epoch {computed_epoch(job):.2f} of {total}, "
                   f"{len(job.items)} log points so far")


def loss_chart(job) -> None:
    """Earlier runs and the job's, as far as it is shown."""
    earlier = [Curve(r.label, r.epochs, r.losses, dashed=IMPL_LABEL["torch"] in r.label)
               for r in st.session_state.runs]
    current = [] if job is None else curves_of(job, st.session_state.get("labels", []))
    if earlier or current:
        st.plotly_chart(loss_figure(earlier + current, chapter_view), key="loss",
                        config={"displaylogo": False})
    else:
        st.caption("Press Start to train; the loss curve grows while it runs.")


def runs_table() -> None:
    runs = st.session_state.runs
    rows = []
    for r in runs:
        median = r.median_sec_per_epoch
        rows.append({"run": r.label, "final loss": f"{r.final_loss:.4f}",
                     "seconds per epoch (median)": "–" if median is None else f"{median:.4f}",
                     "note": "stopped early" if r.stopped else ""})
    st.table(rows)
    with st.expander("Seconds per epoch, every epoch"):
        st.caption("Computing time of each finished epoch (the pace only changes how fast "
                   "the chart shows a run, not how fast it is computed).")
        st.dataframe(pd.DataFrame([
            {"run": r.label, **{f"epoch {k}": round(s, 4)
                                for k, s in enumerate(r.sec_per_epoch, 1)}} for r in runs]),
            hide_index=True)
    latest = max(r.run for r in runs)
    left, right = st.columns(2)
    if left.button("Clear earlier runs", icon=":material/delete:", key="clear",
                   disabled=all(r.run == latest for r in runs),
                   help="Keeps the latest run"):
        st.session_state.runs = [r for r in runs if r.run == latest]
        st.rerun()
    right.download_button("Run log (CSV)", run_log_csv(runs),
                          file_name=f"optviz-{short_name(dataset)}-training-log.csv",
                          mime="text/csv")


# ------------------------------------------------------------------------ the page

def link_fields() -> dict[str, links.Field]:
    """Every query key this page's widgets read, and how each judges its value."""
    fields = {
        "data": links.choice("Data set", [AIRFOIL, SYNTHETIC, UPLOAD]),
        "optimizer": links.choice("Optimizer", [r.title for r in rules.RULES.values()]),
        "batch": links.number("Batch size", 1, 100_000, whole=True),
        "epochs": links.number("Epochs", 1, trainer.MAX_EPOCHS, whole=True),
    }
    fields.update(links.hyper_link_fields("train."))
    return fields


linked = link_as_given(["batch", "epochs"])
st.session_state.setdefault("runs", [])
st.session_state.setdefault("run_settings", {})
limit_torch_threads()
compile_in_background()
st.title("Linear regression, live")
caption = st.empty()  # filled once the data set is known

with st.sidebar:
    # Bound to the URL, so a link (a sweep's cell, say) opens a setting ready to run.
    choice = st.selectbox("Data set", [AIRFOIL, SYNTHETIC, UPLOAD], key="data", bind=URL)
    name = st.selectbox("Optimizer", list(rules.RULES), index=list(rules.RULES).index("adam"),
                        format_func=lambda n: rules.RULES[n].title, key="optimizer", bind=URL)
    chosen, bad = hyper_fields(name, trainer.hyperparams(name), prefix="train.")
    batch_size = st.number_input("Batch size", 1, 100_000, defaults.TRAIN_BATCH_SIZE,
                                 key="batch", bind=URL)
    epochs = st.number_input("Epochs", 1, trainer.MAX_EPOCHS, defaults.TRAIN_EPOCHS,
                             key="epochs", bind=URL)
    devices = available_devices()
    usable = [d for d, why in devices.items() if why is None]
    device = st.radio("Device", usable, horizontal=True,
                      help="Data is moved to the device once; the model is tiny.")
    for d, why in devices.items():
        if why is not None:
            st.caption(f":gray[{d}: unavailable, {why}]")
    impl = st.radio("Implementation", list(IMPLS), index=2)
    seed = st.number_input("Seed", 0, 2**31 - 1, 0)

from_link = links.check_fields(linked, link_fields())
for message in from_link + [b for b in bad if not any(m.startswith(b) for m in from_link)]:
    st.warning(f"Ignored, the default is used instead: {message}", icon=":material/warning:")
if "train_error" in st.session_state:
    st.error(f"Training failed: {st.session_state.pop('train_error')}", icon=":material/error:")

dataset = load_dataset(choice)
caption.caption(data_caption(dataset))
job = st.session_state.get("job")
active = job is not None and not (job.finished and shown(job))

left, right, pace_column = st.columns([1, 1, 3], vertical_alignment="bottom")
pace_choice = pace_column.radio(
    "Pace", list(PACES), index=list(PACES).index(DEFAULT_PACE), horizontal=True, key="pace",
    help="How fast the chart shows a run. The run is computed at full speed either way; "
         "a slower pace reveals its logged points over about that many seconds, so the "
         "curve grows visibly (in a lecture, say).")
try:
    pace = pace_seconds(pace_choice)
except SettingsError as e:
    st.error(str(e), icon=":material/error:")
    pace = None
start = left.button("Start", type="primary", disabled=dataset is None or active or pace is None,
                    icon=":material/play_arrow:", key="train_start")
if right.button("Stop", disabled=not active, icon=":material/stop:", key="train_stop"):
    job.stop()
    reveal_of().stop()
chapter_view = choice == AIRFOIL and dataset is not None and st.toggle(
    "The chapter's plot (loss from 0.22 to 0.35)", value=False)

if start and dataset is not None and pace is not None:
    number = st.session_state.get("run_number", 0) + 1
    try:
        runs = [trainer.Trainer(dataset, impl=i, optimizer=name, hyper=dict(chosen.hyper),
                                batch_size=int(batch_size), epochs=int(epochs),
                                seed=int(seed), device=device) for i in IMPLS[impl]]
    except (SettingsError, ValueError) as e:
        st.error(str(e), icon=":material/error:")
    else:
        first = baseline()
        labels = [records.run_label(number, run_settings(i), first) for i in IMPLS[impl]]
        st.session_state.run_settings[number] = run_settings(IMPLS[impl][0])
        st.session_state.run_number = number
        st.session_state.labels = labels
        st.session_state.reveal = Reveal(epochs=int(epochs), seconds=pace)
        st.session_state.job = JOBS.submit(train_work(runs), connected=connection_probe())
        st.rerun()  # redraw the buttons: Start off, Stop on


watch("job", progress=training_caption, view=loss_chart, finished=collect, shown=shown)

if st.session_state.runs:
    runs_table()
