"""The explorer's payload (docs/explorer-payload.md): what the chart gets, its shapes,
its sizes, and that it says what optviz computed."""

import dataclasses

import numpy as np
import pytest

from optviz import explorer_payload, families, noise, payload, presets, rules, surfaces
from optviz.plots import contours, inspector
from optviz.plots.theme import MARKERS, PALETTE
from optviz.settings import OptimizerSettings, TrajectorySettings

DEFAULT_LIMIT = 300_000  # bytes: the chapter's Adam, 20 steps
BIG_LIMIT = 6_000_000  # ten optimizers x 5,000 steps


def built(settings, **kwargs):
    return payload.unpack(explorer_payload.build(settings, **kwargs))


def check_contract(header, arrays):
    """Every array the header names exists, with the shape and dtype the document gives."""
    assert set(header["arrays"]) == set(arrays)
    assert arrays[header["contours"]["lines"]].shape[1:] == (4,)
    for run in header["runs"]:
        rows = run["steps"] + 1
        assert arrays[run["points"]].shape == (rows, 2)
        assert arrays[run["values"]].shape == (rows,)
        for s in run["series"]:
            assert set(s) == {"key", "label", "array"}
            assert arrays[s["array"]].shape == (rows, 2)
    fams = header["families"]
    assert [s["family"] for s in header["sliders"]] == [p for p in fams if p != "start"]
    for s in header["sliders"]:
        f = fams[s["family"]]
        values, steps = arrays[f["values"]], arrays[f["steps"]]
        assert values.ndim == 1 and len(values) >= 41 and (np.diff(values) > 0).all()
        assert values[0] == np.float32(s["min"]) and values[-1] == np.float32(s["max"])
        assert s["min"] <= s["value"] <= s["max"]
        assert steps.dtype == np.int32 and steps[0] == 0 and len(steps) <= 300
        assert arrays[f["points"]].shape == (len(values), len(steps), 2)
    start = fams["start"]
    x1, x2, steps = (arrays[start[k]] for k in ("x1", "x2", "steps"))
    assert arrays[start["points"]].shape == (len(x2), len(x1), len(steps), 2)
    assert all(a.dtype in (np.float32, np.int32) for a in arrays.values())


def test_the_default_view_follows_the_contract_and_is_small():
    blob = explorer_payload.build(TrajectorySettings())
    print(f"default view (Adam, 20 steps): {len(blob):,} bytes")
    assert len(blob) <= DEFAULT_LIMIT
    header, arrays = payload.unpack(blob)
    check_contract(header, arrays)
    assert header["title"] == "D2L quadratic" and header["formula"] == "f = 0.1 x₁² + 2 x₂²"
    assert header["surface"] == "d2l" and header["minima"] == [[0.0, 0.0]]
    assert header["start"] == [-5.0, -2.0] and header["focus"] == 0
    assert header["lecture"] is False
    (run,) = header["runs"]
    assert run["label"] == "Adam" and run["color"] == PALETTE[0] and run["dashed"] is False
    assert run["marker"] == MARKERS[0] and run["same_as"] is None
    assert run["layer"] == 0 and run["width"] == 1.0
    assert run["steps"] == 20 and run["diverged_at"] is None
    assert [s["key"] for s in run["series"]] == ["g", "m_hat", "v_hat", "step_size", "delta"]
    assert [s["label"] for s in run["series"]] == ["g", "m̂", "v̂", "η/(√v̂+ε)", "Δx"]
    assert [(s["param"], s["label"], s["scale"]) for s in header["sliders"]] == [
        ("lr", "Learning rate", "log"), ("eps", "ε", "log"), ("beta1", "β1", "linear"),
        ("beta2", "β2", "linear")]
    assert [s["value"] for s in header["sliders"]] == [0.4, 1e-6, 0.9, 0.999]
    fams = header["families"]
    np.testing.assert_array_equal(arrays[fams["lr"]["steps"]], np.arange(21))
    assert arrays[fams["start"]["points"]].shape == (21, 21, 21, 2)


def test_the_runs_are_the_engines_with_the_inspectors_readout():
    s = TrajectorySettings(surface="rosenbrock", steps=300, optimizers=(
        OptimizerSettings("adam", {"lr": 0.1}), "sgd", "momentum"))
    header, arrays = built(s, dashed=[2], title="Three on Rosenbrock", lecture=True)
    check_contract(header, arrays)
    assert header["title"] == "Three on Rosenbrock" and header["lecture"] is True
    assert [r["dashed"] for r in header["runs"]] == [False, False, True]
    assert [r["color"] for r in header["runs"]] == list(PALETTE[:3])
    for run, t in zip(header["runs"], s.compute(), strict=True):
        assert run["optimizer"] == t.run.optimizer and run["steps"] == 300
        if t.diverged_at is None:
            np.testing.assert_array_equal(arrays[run["points"]], t.points.astype(np.float32))
            np.testing.assert_array_equal(arrays[run["values"]], t.values.astype(np.float32))
        quantities = inspector.per_step(t)
        for series in run["series"]:
            want = quantities[series["key"]][: run["steps"] + 1].astype(np.float32)
            np.testing.assert_array_equal(arrays[series["array"]][: len(want)], want)
        g = arrays[run["series"][0]["array"]]
        assert np.isnan(g[0]).all() and (arrays[run["series"][-1]["array"]][0] == 0).all()


def test_runs_that_would_hide_one_another_say_how_to_stay_visible():
    # ε large: momentum SGD repeats Adam's path; the page adds Adam with bias correction
    # on, dashed, which parts from them and hides nothing.
    s = presets.get("eps-large").settings()
    adam = s.optimizers[0]
    corrected = OptimizerSettings("adam", {**adam.hyper, "bias_correction": True},
                                  "Adam, corrected")
    s = dataclasses.replace(s, optimizers=(*s.optimizers, corrected))
    header, _ = built(s, dashed=[2])
    runs = header["runs"]
    assert [r["marker"] for r in runs] == list(MARKERS[:3])
    assert [r["same_as"] for r in runs] == [None, 0, None]
    assert [r["layer"] for r in runs] == [0, 1, 0]
    assert [r["width"] for r in runs] == [1.3, 0.7, 1.0]  # Adam a rim around momentum


def test_a_diverged_run_is_nan_after_it_diverged():
    header, arrays = built(presets.get("lr-too-large").settings())
    sgd, adam = header["runs"]
    k = sgd["diverged_at"]
    assert k is not None and f"diverged at step {k}" in sgd["label"]
    assert adam["diverged_at"] is None
    for name in [sgd["points"], sgd["values"], *(s["array"] for s in sgd["series"])]:
        a = arrays[name]
        assert len(a) == 21 and np.isnan(a[k:]).all()
        assert np.isfinite(a[1:k]).all()
    # The focused SGD's previews are NaN after their own divergence too.
    lr = header["families"]["lr"]
    values, points = arrays[lr["values"]], arrays[lr["points"]]
    assert np.isnan(points[values > 1.0][:, -1]).all()
    assert np.isfinite(points[values < 0.1]).all()


def test_a_far_start_widens_the_view_to_it():
    header, arrays = built(TrajectorySettings(start=(100.0, -2.0)))
    (x0, x1), (y0, y1) = header["view"]
    assert x0 <= -5.5 and x1 > 100 and y0 <= -3 and y1 >= 1.5
    points = arrays[header["runs"][0]["points"]]
    assert (points[:, 0] > x0).all() and (points[:, 0] < x1).all()
    lattice = arrays[header["families"]["start"]["x1"]]
    assert lattice[0] == np.float32(x0) and lattice[-1] == np.float32(x1)


def test_contours_are_the_figures():
    s = TrajectorySettings(surface="rosenbrock", steps=30)
    header, arrays = built(s)
    view = tuple(tuple(v) for v in header["view"])
    x1s, x2s, _, levels = contours.contour_grid("rosenbrock", view, explorer_payload.CONTOUR_GRID)
    c = header["contours"]
    assert c["image"] == levels.image and c["image"].startswith("data:image/png;base64,")
    assert c["extent"] == list(contours.image_extent(x1s, x2s))
    lines = arrays[c["lines"]]
    np.testing.assert_array_equal(lines[:, 0], levels.lines_x[0::3])
    np.testing.assert_array_equal(lines[:, 3], levels.lines_y[1::3])
    ticks = c["colorbar"]["ticks"]
    assert {"0.1", "1", "10", "100"} <= {t["label"] for t in ticks}
    assert all(0 <= t["at"] <= 1 for t in ticks)
    assert [at for at, _ in c["colorbar"]["stops"]] == [0.0, 0.35, 0.7, 1.0]


@pytest.mark.parametrize("surface", list(surfaces.SURFACES))
def test_every_surface_and_optimizer_builds(surface):
    s = TrajectorySettings(surface=surface, steps=12, optimizers=tuple(rules.RULES))
    for focus, name in enumerate(rules.RULES):
        header, arrays = built(s, focus=focus)
        check_contract(header, arrays)
        assert [x["param"] for x in header["sliders"]] == list(families.slider_params(name))


def test_bias_correction_off_reads_m_and_v():
    s = TrajectorySettings(optimizers=(OptimizerSettings("adam", {"bias_correction": False}),
                                       OptimizerSettings("amsgrad")))
    header, _ = built(s)
    off, ams = header["runs"]
    assert [x["key"] for x in off["series"]] == ["g", "m", "v", "step_size", "delta"]
    assert off["series"][3]["label"] == "η/(√v+ε)"
    assert [x["key"] for x in ams["series"]] == ["g", "m_hat", "v_hat", "step_size", "delta"]


def test_a_value_beyond_a_slider_widens_it():
    s = TrajectorySettings(optimizers=(OptimizerSettings("adam", {"beta2": 0.9999}),))
    header, arrays = built(s)
    beta2 = header["sliders"][3]
    assert beta2["max"] == beta2["value"] == 0.9999
    assert arrays[header["families"]["beta2"]["values"]][-1] == np.float32(0.9999)
    assert beta2["values"][-1] == 0.9999 and 0.999 in beta2["values"]


def test_each_sliders_positions_are_its_familys_values_in_float64():
    s = TrajectorySettings(optimizers=(OptimizerSettings("adam", {"lr": 0.41}),))
    header, arrays = built(s)
    for slider in header["sliders"]:
        values = slider["values"]
        assert slider["value"] in values and values == sorted(values)
        assert (values[0], values[-1]) == (slider["min"], slider["max"])
        family = arrays[header["families"][slider["family"]]["values"]]
        np.testing.assert_array_equal(family, np.float32(values))
    assert 0.41 in header["sliders"][0]["values"] and 0.4 in header["sliders"][0]["values"]


def test_bad_focus_or_dashed_are_refused():
    s = TrajectorySettings()
    with pytest.raises(ValueError, match="focus"):
        explorer_payload.build(s, focus=1)
    with pytest.raises(ValueError, match="dashed"):
        explorer_payload.build(s, dashed=[3])


def test_ten_optimizers_for_5000_steps_stay_within_the_size_limit():
    s = TrajectorySettings(steps=5000, optimizers=tuple(rules.RULES))
    blob = explorer_payload.build(s)
    print(f"ten optimizers x 5,000 steps: {len(blob):,} bytes")
    assert len(blob) <= BIG_LIMIT
    header, arrays = payload.unpack(blob)
    check_contract(header, arrays)
    assert all(r["steps"] == 5000 for r in header["runs"])
    assert len(arrays[header["families"]["lr"]["steps"]]) == 300


def test_given_trajectories_are_used_as_computed():
    settings = TrajectorySettings(optimizers=("adam", "sgd"))
    computed = settings.compute()
    assert explorer_payload.build(settings, trajectories=computed) == \
        explorer_payload.build(settings)
    with pytest.raises(ValueError, match="one per run"):
        explorer_payload.build(settings, trajectories=computed[:1])


def test_the_basin_part_says_which_minimum_each_start_reaches():
    request = TrajectorySettings(surface="himmelblau")
    part, arrays = explorer_payload.basin_part(request, request.get_surface().window)
    labels = arrays[part["labels"]]
    assert labels.dtype == np.int32 and labels.shape == (len(arrays[part["x2"]]),
                                                         len(arrays[part["x1"]]))
    assert len(part["minima"]) == 4 and set(np.unique(labels)) == {0, 1, 2, 3}
    assert part["note"].startswith("Basins: each start coloured by the minimum Adam reaches")
    assert "4 minima" in part["note"] and "grey" not in part["note"]
    # The packed blob keeps the labels exactly.
    header, unpacked = payload.unpack(payload.pack({"basins": part}, arrays))
    np.testing.assert_array_equal(unpacked["basins/labels"], labels)


def test_with_noise_the_readout_adds_the_noisy_gradient_after_g():
    s = TrajectorySettings(noise=0.5, seed=3, optimizers=("adam", "sgd"))
    header, arrays = built(s)
    check_contract(header, arrays)
    assert header["noise"] == {"sigma": 0.5, "seed": 3}
    for run, t in zip(header["runs"], s.compute(), strict=True):
        keys = [x["key"] for x in run["series"]]
        assert keys[:2] == ["g", "g_noisy"] and keys.count("g_noisy") == 1
        assert run["series"][1]["label"] == "g̃"
        g, noisy = (arrays[x["array"]] for x in run["series"][:2])
        np.testing.assert_array_equal(g[1:], t.grads[:-1].astype(np.float32))
        np.testing.assert_array_equal(noisy[1:], t.noisy_grads[:-1].astype(np.float32))
        assert np.isnan(noisy[0]).all() and not np.allclose(noisy[1:], g[1:])
        assert "ensemble" not in run  # off unless asked for
    quiet, _ = built(TrajectorySettings(optimizers=("adam", "sgd")))
    assert "noise" not in quiet
    assert all("g_noisy" not in [x["key"] for x in r["series"]] for r in quiet["runs"])


def test_without_noise_the_seed_and_an_ensemble_change_nothing():
    blob = explorer_payload.build(TrajectorySettings())
    assert explorer_payload.build(TrajectorySettings(seed=12, noise=0.0), ensemble=10) == blob


def test_an_ensemble_is_sent_only_when_asked_for_with_noise():
    s = TrajectorySettings(noise=1.0, seed=5, steps=400, optimizers=("adam", "momentum"))
    header, arrays = built(s, ensemble=4)
    check_contract(header, arrays)
    for i, run in enumerate(header["runs"]):
        e = run["ensemble"]
        steps, points = arrays[e["steps"]], arrays[e["points"]]
        assert e["seeds"] == noise.ensemble_seeds(5, 4)
        np.testing.assert_array_equal(steps, families.preview_steps(400))
        assert points.shape == (4, len(steps), 2) and points.dtype == np.float32
        np.testing.assert_array_equal(points, s.ensemble(i, 4, steps))
    for bad in (-1, 51, 2.0, True):
        with pytest.raises(ValueError, match="ensemble"):
            explorer_payload.build(s, ensemble=bad)
