"""The explorer's payload: everything its chart draws, computed here, as one blob.

"Python computes, the browser draws": the chart (a JavaScript component) only looks
up and draws what this module sends, per docs/explorer-payload.md:

    blob = build(TrajectorySettings())       # bytes, for the chart
    header, arrays = payload.unpack(blob)    # what the chart decodes

The committed runs go in whole, every step and every readout quantity (the
inspector's, `optviz.plots.inspector.per_step`); the previews of the focused run
while a slider or the start is dragged (`optviz.families`) at <= 300 kept steps.

Size (benchmarks/explorer_payload.py): the default view (Adam, 20 steps) 137 KB,
half of it the start lattice's previews; the Rosenbrock preset (3 x 300 steps) 1.6 MB,
1.1 MB of it the 441 start previews at 300 kept steps; ten optimizers x 5,000 steps
3.4 MB, two thirds of it the committed runs. tests/test_explorer_payload.py holds the
first to 300 KB and the last to 6 MB.

Time (the same benchmark, 2 busy CPUs), compiled loop warm / NumPy loop: the default
view ~2 / ~3 ms, Rosenbrock ~13 / ~40 ms, ten optimizers x 5,000 steps ~60 ms / ~1.2 s
(the NumPy loop's time there is the committed runs'; ~25 ms of the compiled loop's is
`optviz.overlap` comparing the runs' paths). The compiled loop is what a
long-lived server runs once `optviz.trajectory` has compiled it in the background.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np

from optviz import basins, families, overlap, payload, rules
from optviz import noise as noise_model
from optviz.plots import contours
from optviz.plots.inspector import per_step, symbol
from optviz.plots.theme import CONTOUR_COLORSCALE, MARKERS, PALETTE
from optviz.plots.trajectory import formula, run_name, view_window
from optviz.settings import CUSTOM, TrajectorySettings
from optviz.surfaces import Surface, Window
from optviz.trajectory import Trajectory

CONTOUR_GRID = 120  # nodes per axis of the contour image and lines, as the plotly figure
MAX_ENSEMBLE = 50  # extra noisy paths per run at most (each is a run's work again)

# Adam's raw m and v (AMSGrad's v_max) are read through m̂ and v̂ where those are
# shown: the readout is the chapter's g, m̂, v̂, η/(√v̂+ε), Δx. With bias correction off
# `per_step` has no m̂ and v̂, and m and v are the readout themselves.
_READ_THROUGH = {"m_hat": ("m",), "v_hat": ("v", "v_max")}

Arrays = dict[str, np.ndarray]


def build(settings: TrajectorySettings, *, focus: int = 0, dashed: Sequence[int] = (),
          title: str | None = None, lecture: bool = False,
          window: Window | None = None,
          trajectories: Sequence[Trajectory] | None = None, ensemble: int = 0,
          basin_map: bool = False, predict: bool = False) -> bytes:
    """The whole blob for the explorer: the runs of `settings`, the surface under them,
    the sliders of run `focus` and its families.

    dashed: indices of runs drawn dashed, as references (e.g. Adam with bias
        correction on, beside the same run with it off).
    title: instead of the surface's title.
    lecture: the chart draws larger type and lines, for a projector.
    window: the view before it is widened to fit the runs (default: the surface's).
    trajectories: `settings.compute()` where the caller has it already (one per run,
        in order), so that long runs are not computed twice.
    ensemble: with gradient noise (settings.noise > 0), this many more paths of each
        run under other draws of the noise (`ensemble_part`), 0 to MAX_ENSEMBLE; none
        by default, and none without noise (each would be the run itself).
    basin_map: add the minimum run `focus` reaches from each start of a lattice over
        the view (`basin_part`).
    predict: the chart opens on "predict, then play" (the paths hidden until revealed).
    """
    count = len(settings.optimizers)
    if isinstance(ensemble, bool) or not isinstance(ensemble, int | np.integer) \
            or not 0 <= ensemble <= MAX_ENSEMBLE:
        raise ValueError(f"ensemble must be a whole number from 0 to {MAX_ENSEMBLE}; "
                         f"got {ensemble!r}")
    if not 0 <= focus < count:
        raise ValueError(f"focus must be a run's index, 0 to {count - 1}; got {focus}")
    bad = [i for i in dashed if not 0 <= i < count]
    if bad:
        raise ValueError(f"dashed must hold runs' indices, 0 to {count - 1}; got {bad}")
    surface = settings.get_surface()
    if trajectories is None:
        trajectories = settings.compute()
    elif len(trajectories) != count:
        raise ValueError(f"trajectories must be one per run ({count}), got {len(trajectories)}")
    view = view_window(surface, trajectories, window)
    header = heading(surface, title)
    header["view"] = [list(view[0]), list(view[1])]
    header["contours"], arrays = contour_part(settings, view)
    header["runs"], run_data = run_part(trajectories, settings.steps, dashed, view)
    arrays.update(run_data)
    if settings.noise > 0:
        header["noise"] = {"sigma": settings.noise, "seed": settings.seed}
        if ensemble:
            for i, entry in enumerate(header["runs"]):
                entry["ensemble"], ensemble_data = ensemble_part(settings, i, ensemble)
                arrays.update(ensemble_data)
    header["focus"] = focus
    header["sliders"] = sliders(settings, focus)
    header["families"], family_data = family_part(families.compute(settings, view, focus))
    arrays.update(family_data)
    if basin_map:
        header["basins"], basin_data = basin_part(settings, view, focus)
        arrays.update(basin_data)
    header["start"] = list(settings.start_point())
    header["lecture"] = bool(lecture)
    if predict:
        header["predict"] = True
    return payload.pack(header, arrays)


def heading(surface: Surface, title: str | None = None) -> dict:
    """Title, formula, surface name and minima: the header's fixed part."""
    return {"title": title or surface.title, "formula": formula(surface),
            "surface": surface.name, "minima": [list(m) for m in surface.minima]}


def contour_part(settings: TrajectorySettings, view: Window) -> tuple[dict, Arrays]:
    """The header's "contours" and its array of level segments, over `view`."""
    # A built-in by name (hashable for the cache); a typed function as its Surface, the
    # same object for the same text and window (custom_surface's own cache).
    surface = settings.get_surface() if settings.surface == CUSTOM else settings.surface
    return surface_contours(surface, view, settings.condition)


def surface_contours(surface: Surface | str, view: Window, condition: float | None = None,
                     ) -> tuple[dict, Arrays]:
    """`contour_part` of any surface (a Surface, or a built-in's name)."""
    x1s, x2s, _, levels = _contour_grid(surface, _rounded(view), CONTOUR_GRID, condition)
    # lines_x / lines_y hold each segment as "x0, x1, NaN": rows of (x0, y0, x1, y1).
    lx, ly = levels.lines_x.reshape(-1, 3), levels.lines_y.reshape(-1, 3)
    lines = np.stack([lx[:, 0], ly[:, 0], lx[:, 1], ly[:, 1]], axis=1).astype(np.float32)
    part = {
        "image": levels.image,
        "extent": list(contours.image_extent(x1s, x2s)),
        "lines": "contours/lines",
        "colorbar": {
            "stops": [[float(at), colour] for at, colour in CONTOUR_COLORSCALE],
            "ticks": [{"at": float(at), "label": text}
                      for at, text in contours.colorbar_ticks(levels)],
        },
    }
    return part, {"contours/lines": lines}


# A change of β1 or of the start moves the runs, rarely the view: the contours of a
# surface and view are kept (a few to 25 ms each), by name, as contour_grid allows.
_contour_grid = functools.lru_cache(maxsize=64)(contours.contour_grid)


def _rounded(view: Window) -> Window:
    """`view` at float32 precision, so that views equal to the eye share a cache entry."""
    (a, b), (c, d) = view
    return tuple((float(np.float32(lo)), float(np.float32(hi))) for lo, hi in ((a, b), (c, d)))


def readout(trajectory: Trajectory) -> dict[str, tuple[str, np.ndarray]]:
    """The quantities shown for each step of a run: key -> (label, (k+1, 2) array)."""
    quantities = per_step(trajectory)
    hidden = {raw for key, raws in _READ_THROUGH.items() if key in quantities for raw in raws}
    return {key: (symbol(key, trajectory), a) for key, a in quantities.items()
            if key not in hidden}


def run_part(trajectories: Sequence[Trajectory], steps: int, dashed: Sequence[int],
             view: Window) -> tuple[list[dict], Arrays]:
    """The header's "runs" and their arrays: the runs alone, in legend order.

    Every array has steps + 1 rows, NaN after a run diverged (the engine cuts it).
    Where runs share a path, or one lies along another's track (`optviz.overlap`,
    compared in `view`, the one the chart opens on), "same_as", "layer" and "width" say
    how the chart keeps each visible.
    """
    points = [t.points for t in trajectories]
    same = overlap.same_as(points, view)
    under = overlap.lies_along(points, view, dashed)
    layers, widths = overlap.layers(under), overlap.widths(under)
    entries, arrays = [], {}
    for i, t in enumerate(trajectories):
        name = f"runs/{i}"
        arrays[f"{name}/points"] = _padded(t.points, steps + 1)
        arrays[f"{name}/values"] = _padded(t.values, steps + 1)
        series = []
        for key, (label, values) in readout(t).items():
            arrays[f"{name}/{key}"] = _padded(values, steps + 1)
            series.append({"key": key, "label": label, "array": f"{name}/{key}"})
        entries.append({
            "label": run_name(t), "optimizer": t.run.optimizer,
            "color": PALETTE[i % len(PALETTE)], "marker": MARKERS[i % len(MARKERS)],
            "dashed": i in dashed, "same_as": same[i], "layer": layers[i], "width": widths[i],
            "steps": int(steps), "diverged_at": t.diverged_at, "points": f"{name}/points",
            "values": f"{name}/values", "series": series,
        })
    return entries, arrays


def ensemble_part(settings: TrajectorySettings, run: int, count: int,
                  engine: str = "auto") -> tuple[dict, Arrays]:
    """Run `run`'s "ensemble" entry and its arrays: `count` more paths of it under other
    draws of the noise (`TrajectorySettings.ensemble`; member k's seed is the entry's seeds[k],
    the same for every run), points only, at the families' kept steps (<= 300)."""
    name = f"runs/{run}/ensemble"
    kept = families.preview_steps(settings.steps)
    points = settings.ensemble(run, count, kept, engine)
    part = {"seeds": noise_model.ensemble_seeds(settings.seed, count), "steps": f"{name}/steps",
            "points": f"{name}/points"}
    return part, {f"{name}/steps": kept, f"{name}/points": points}


def _padded(array: np.ndarray, rows: int) -> np.ndarray:
    """`array`'s first `rows` rows as float32, NaN after its end (a run the engine cut
    where it diverged), as one cast copy."""
    out = np.empty((rows, *array.shape[1:]), np.float32)
    have = min(len(array), rows)
    out[:have] = array[:have]
    out[have:] = np.nan
    return out


def sliders(settings: TrajectorySettings, focus: int = 0) -> list[dict]:
    """The focused run's sliders: those of lr, ε, β1, β2 that its optimizer takes; each
    slider's positions are its `values`, the family's (float64, as committed)."""
    optimizer = settings.optimizers[focus]
    hyper = settings.hyperparams(focus)
    out = []
    for param in families.slider_params(optimizer.name):
        value = float(getattr(hyper, param))
        low, high = families.SLIDERS[param].bounds(value)
        out.append({"param": param, "label": rules.LABELS[param],
                    "scale": families.SLIDERS[param].scale, "min": low, "max": high,
                    "value": value, "family": param,
                    "values": families.SLIDERS[param].grid(value=value).tolist()})
    return out


def family_part(fam: families.Families) -> tuple[dict, Arrays]:
    """The header's "families" and their arrays."""
    part, arrays = {}, {}
    for param, f in fam.sliders.items():
        name = f"families/{param}"
        arrays[f"{name}/values"] = f.values.astype(np.float32)
        arrays[f"{name}/steps"] = fam.steps
        arrays[f"{name}/points"] = f.points
        part[param] = {"values": f"{name}/values", "steps": f"{name}/steps",
                       "points": f"{name}/points"}
    arrays["families/start/x1"] = fam.x1.astype(np.float32)
    arrays["families/start/x2"] = fam.x2.astype(np.float32)
    arrays["families/start/steps"] = fam.steps
    arrays["families/start/points"] = fam.starts
    part["start"] = {k: f"families/start/{k}" for k in ("x1", "x2", "steps", "points")}
    return part, arrays


def basin_part(settings: TrajectorySettings, view: Window, focus: int = 0) -> tuple[dict, Arrays]:
    """The header's "basins" and its arrays: from each start of a lattice over `view`,
    the minimum run `focus` reaches (`optviz.basins`), and a note saying so."""
    found = basins.compute(settings, focus, view)
    optimizer = settings.optimizers[focus]
    count = len(found.minima)
    steps = max(settings.steps, basins.STEPS)
    note = (f"Basins: each start coloured by the minimum {optimizer.rule.title} reaches from "
            f"it in {steps:,} steps ({count} minim{'um' if count == 1 else 'a'}, ● marks "
            "them)")
    if found.share(basins.STILL_MOVING) > 0:
        note += "; grey: still moving"
    if found.share(basins.DIVERGED) > 0:
        note += "; clear: diverged"
    part = {"x1": "basins/x1", "x2": "basins/x2", "labels": "basins/labels",
            "minima": found.minima.tolist(), "note": note + "."}
    return part, {"basins/x1": found.x1.astype(np.float32),
                  "basins/x2": found.x2.astype(np.float32),
                  "basins/labels": found.labels.astype(np.int32)}
