"""The state inspector: an optimizer's quantities at one step, and over all steps.

`state_table(traj, step)` lists them at one step; `state_figure(traj, step)` draws
them over all steps, one small row each (Adam: g, m̂, √v̂, η/(√v̂+ε), Δx), in ~3 ms
for 200 steps (plain dicts, unvalidated: see `optviz.plots.plotly_internals`).
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from optviz.plots.plotly_internals import scatter, unvalidated_figure
from optviz.plots.theme import FONT, PALETTE, TEMPLATE
from optviz.plots.trajectory import run_name
from optviz.trajectory import Trajectory

X1_COLOR, X2_COLOR = PALETTE[1], PALETTE[0]
_ROW_PX = 120  # height of one row of the state figure
# Names of a rule's state and derived fields as the chapter writes them.
# The state's torch names (rules.py keeps them, for state_dict parity) as a student reads
# them: running averages as E[·], AdaGrad's sum of squares as Σg².
SYMBOLS = {"g_noisy": "g̃", "m_hat": "m̂", "v_hat": "v̂", "step_size": "η/(√v̂+ε)", "delta": "Δx",
           "momentum_buffer": "momentum b", "sum": "Σg²", "square_avg": "E[g²]",
           "grad_avg": "E[g]", "acc_delta": "E[Δx²]", "mu_product": "Πμ", "v_max": "max v"}


def state_table(traj: Trajectory, step: int) -> list[dict]:
    """The optimizer's quantities at `step` (clamped to 0..traj.steps), one row each:
    {"quantity": "g", "x1": g₁, "x2": g₂}. Adam: g, m, v, m̂, v̂, η/(√v̂+ε), Δx; other
    rules: g, their own state fields by name, Δx. None where nothing is defined yet
    (g and the derived quantities at step 0). See `per_step` for what row t holds."""
    t = min(max(int(step), 0), traj.steps)
    return [{"quantity": symbol(k, traj), "x1": _number(a[t, 0]), "x2": _number(a[t, 1])}
            for k, a in per_step(traj).items()]


def state_figure(traj: Trajectory, step: int, overlay: Trajectory | None = None) -> go.Figure:
    """Small multiples of the optimizer's quantities over the steps, one row each, x₁
    and x₂ as two lines, and a vertical line at `step`.

    Adam family: g, m̂, √v̂, the effective step size η/(√v̂ + ε) and Δx = −η m̂/(√v̂ + ε);
    on the chapter's f = 0.1 x1² + 2 x2² the gradients differ 20-fold between the
    coordinates, the step sizes by the inverse factor, and Δx is about η in both.
    Other rules: g, their state fields, Δx. `overlay`, another run of the same rule
    (e.g. with bias correction off), is drawn dashed on the same rows, its legend entry
    saying which. Rows are matched by name; a row the overlay lacks is left out of it.
    """
    rows = _state_rows(traj)
    extra = {k: a for k, _, a in _state_rows(overlay)} if overlay is not None else {}
    n = len(rows)
    top, bottom, gap_px = 36, 44, 30  # gap_px: room for each row's title above it
    height = _ROW_PX * n + top + bottom
    plot_px = height - top - bottom
    gap = gap_px / plot_px
    row_h = (1 - n * gap) / n
    traces: list = []
    layout: dict = {
        "template": TEMPLATE,
        "height": height,
        "font": {**FONT, "size": 14},
        "margin": {"l": 70, "r": 20, "t": top, "b": bottom},
        "hovermode": "x unified",
        "legend": {"orientation": "h", "x": 1, "xanchor": "right", "y": 1, "yanchor": "top",
                   "yref": "container", "font": {"size": 14}, "bgcolor": "rgba(0,0,0,0)"},
        "showlegend": True,
        "uirevision": "optviz-state",
        "annotations": [],
        "shapes": [{"type": "line", "xref": "x", "yref": "paper", "x0": step, "x1": step,
                    "y0": 0, "y1": 1, "line": {"color": "#444", "width": 1.5, "dash": "dot"}}],
    }
    steps = np.arange(traj.steps + 1)[1:]
    for r, (key, title, values) in enumerate(rows):
        suffix = "" if r == 0 else str(r + 1)
        y_top = 1 - r * (row_h + gap) - gap
        last = r == n - 1
        layout[f"xaxis{suffix}"] = {
            "anchor": f"y{suffix}", "domain": [0, 1], "showticklabels": last,
            "ticks": "outside" if last else "", "showgrid": True, "zeroline": False,
            **({"title": {"text": "step", "standoff": 4}} if last else {}),
            **({"matches": "x"} if r else {}),
        }
        layout[f"yaxis{suffix}"] = {
            "anchor": f"x{suffix}", "nticks": 5,
            "domain": [max(y_top - row_h, 0.0), min(max(y_top, 0.0), 1.0)],
            "zeroline": True, "zerolinecolor": "#bbb",
        }
        layout["annotations"].append({
            "text": f"<b>{title}</b>", "xref": "paper", "yref": "paper", "x": 0,
            "y": y_top, "xanchor": "left", "yanchor": "bottom", "showarrow": False,
            "font": {"size": 14},
        })
        axes = {"xaxis": f"x{suffix}", "yaxis": f"y{suffix}"}
        for c, (name, color) in enumerate((("x₁", X1_COLOR), ("x₂", X2_COLOR))):
            traces.append(scatter(
                x=steps, y=values[1:, c], mode="lines", name=name, legendgroup=name,
                showlegend=r == 0, line={"color": color, "width": 2.2},
                hovertemplate=f"{name}: %{{y:.4g}}<extra></extra>", **axes))
            if key in extra:
                other = extra[key]
                traces.append(scatter(
                    x=np.arange(len(other))[1:], y=other[1:, c], mode="lines",
                    name=f"{name}, {_overlay_name(overlay)}", legendgroup="overlay",
                    showlegend=False, line={"color": color, "width": 1.8, "dash": "dash"},
                    opacity=0.7, hovertemplate=f"{name} (dashed): %{{y:.4g}}<extra></extra>",
                    **axes))
    if overlay is not None:
        # One legend entry for all the dashed lines, in neutral grey.
        traces.append(scatter(x=[None], y=[None], mode="lines", name=_overlay_name(overlay),
                              legendgroup="overlay",
                              line={"color": "#555", "width": 1.8, "dash": "dash"}))
    # Built from plain numbers, as the trajectory figure; later edits are validated.
    return unvalidated_figure(go.Figure, traces, layout)


def _bias_off(traj: Trajectory) -> bool:
    return getattr(traj.run.hyper, "bias_correction", True) is False


def per_step(traj: Trajectory) -> dict[str, np.ndarray]:
    """Every inspected quantity as a (k+1, 2) array whose row t belongs to step t, by
    key (`symbol` names each as the chapter writes it); the state table and figure here,
    and the explorer's payload (`optviz.explorer_payload`), read them.

    g is the gradient of step t, g_t = ∇f(x_{t−1}) (row 0 NaN); with gradient noise
    "g_noisy" follows it, g̃_t = g_t + σ ξ_t, what the optimizer was given; then the rule's
    state after step t (fields that stay zero throughout, e.g. Adam's v_max without
    AMSGrad, left out), its derived quantities (Adam: m̂, v̂, η/(√v̂+ε); with bias
    correction off m̂ = m and v̂ = v, so only the step size) and "delta", Δx_t = x_t − x_{t−1}.
    """
    g = np.full_like(traj.grads, np.nan)
    g[1:] = traj.grads[:-1]
    out = {"g": g}
    if traj.noisy_grads is not None:
        out["g_noisy"] = np.full_like(traj.noisy_grads, np.nan)
        out["g_noisy"][1:] = traj.noisy_grads[:-1]
    out.update((k, a) for k, a in traj.state.items() if np.any(a != 0))
    for k, a in traj.explained.items():
        if not (_bias_off(traj) and k in ("m_hat", "v_hat")):
            out[k] = a
    out["delta"] = traj.deltas
    return out


def symbol(key: str, traj: Trajectory) -> str:
    """How the chapter writes quantity `key` of `per_step` (its own name if unlisted)."""
    if key == "step_size" and _bias_off(traj):
        return "η/(√v+ε)"
    return SYMBOLS.get(key, key)


def _number(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _state_rows(traj: Trajectory) -> list[tuple[str, str, np.ndarray]]:
    """(key, title, (k+1, 2) values) of each row of `state_figure`."""
    q = per_step(traj)
    if traj.explained:  # the Adam family: the chapter's view of one step
        off = _bias_off(traj)
        with np.errstate(invalid="ignore"):
            root_v = np.sqrt(traj.explained["v_hat"])
        noisy = [("g_noisy", "g̃ — the noisy gradient the optimizer was given", q["g_noisy"])
                 ] if "g_noisy" in q else []
        return [
            ("g", "g — the gradient", q["g"]),
            *noisy,
            ("m_hat", "m (no bias correction)" if off else "m̂ — momentum, bias-corrected",
             traj.explained["m_hat"]),
            ("sqrt_v_hat", "√v (no bias correction)" if off else "√v̂ — RMS of the gradient",
             root_v),
            ("step_size", f"{symbol('step_size', traj)} — effective step size per coordinate",
             traj.explained["step_size"]),
            ("delta", "Δx = −η m̂ / (√v̂ + ε) — the step taken" if not off else
             "Δx = −η m / (√v + ε) — the step taken", q["delta"]),
        ]
    titles = {"g": "g — the gradient", "g_noisy": "g̃ — the noisy gradient",
              "delta": "Δx — the step taken"}
    return [(k, titles.get(k, k), a) for k, a in q.items()]


def _overlay_name(overlay: Trajectory) -> str:
    flag = getattr(overlay.run.hyper, "bias_correction", None)
    if flag is None:
        return run_name(overlay)
    return "bias correction off" if flag is False else "bias correction on"
