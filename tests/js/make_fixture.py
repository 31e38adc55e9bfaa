"""Writes explorer payload blobs for the chart's tests, per docs/explorer-payload.md.

Deliberately independent of optviz (which builds the real payload): only struct, json,
zlib/base64 (for the PNG) and numpy, so that the JavaScript decoder is tested against
bytes that the document, not the chart's author, defines.

    python tests/js/make_fixture.py                      # tests/js/fixtures/small.optv
    python tests/js/make_fixture.py --runs 10 --steps 5000 --out /tmp/big.optv
    python tests/js/make_fixture.py --beta1 0.5 --lecture --out /tmp/b.optv

The numbers are a plausible lecture: Adam and friends on f = 0.1·x₁² + 2·x₂² (the D2L
quadratic), one run diverging, the focused Adam run's families for every slider (at
each of the slider's values, as optviz's) and a lattice of starts. Up to 299 steps a
family keeps every step, so its row at a value is that value's run, bit for bit.
"""

from __future__ import annotations

import argparse
import base64
import json
import struct
import zlib
from pathlib import Path

import numpy as np

VIEW = ((-6.0, 6.0), (-3.0, 3.0))
START = (-5.0, -2.0)
PALETTE = ["#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00",
           "#56B4E9", "#222222", "#8C564B", "#7F3C8D", "#F0E442"]
MARKERS = ["circle", "diamond", "triangle-up", "square", "triangle-down", "hexagon"]
STOPS = [[0.0, "#fdfcf6"], [0.35, "#eceee8"], [0.7, "#d6dee2"], [1.0, "#b7c4cd"]]
DIVERGE = 1e3  # |x| beyond this: diverged, NaN from there on


def decades(first, last, mantissas):
    """m·10^e for e in first..last-1 and each mantissa, then 10^last, as typed."""
    return [float(f"{m}e{e}") for e in range(first, last) for m in mantissas] + [float(f"1e{last}")]


# Each slider's positions: its values, ascending (the payload document's `values`).
BETAS = [round(0.025 * k, 3) for k in range(40)] + [0.99, 0.995, 0.999]
SLIDERS = [
    ("lr", "Learning rate", "log", decades(-5, 2, (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8))),
    ("eps", "ε", "log", decades(-10, 3, (1, 2, 3, 5))),
    ("beta1", "β1", "linear", BETAS),
    ("beta2", "β2", "linear", BETAS),
]


def f(x):
    return 0.1 * x[..., 0] ** 2 + 2.0 * x[..., 1] ** 2


def grad(x):
    return np.stack([0.2 * x[..., 0], 4.0 * x[..., 1]], axis=-1)


def run(opt, start, steps, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """Runs an optimizer from every start in `start` (shape (..., 2)) at once.

    The hyperparameters may be arrays broadcasting against `start`'s leading axes (a
    family: one run per value, all at once). Returns points (steps + 1, ..., 2), the
    series rows (same shape, row 0 NaN for the per-step quantities, zero for Δx) and
    the step each diverged at (-1: never).
    """
    lr, beta1, beta2, eps = (np.asarray(h, dtype=np.float64)[..., None]
                             for h in (lr, beta1, beta2, eps))
    shape = np.broadcast_shapes(np.shape(start), *(h.shape[:-1] + (2,)
                                                   for h in (lr, beta1, beta2, eps)))
    x = np.array(np.broadcast_to(start, shape), dtype=np.float64)
    m = np.zeros_like(x)
    v = np.zeros_like(x)
    pts = [x.copy()]
    ser = {k: [np.full_like(x, np.nan)] for k in ("g", "m_hat", "v_hat", "step_size")}
    ser["delta"] = [np.zeros_like(x)]
    diverged = np.full(x.shape[:-1], -1)
    for t in range(1, steps + 1):
        g = grad(x)
        if opt == "adam":
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
            size = lr / (np.sqrt(v_hat) + eps)
            d = -size * m_hat
        else:  # sgd with momentum beta1
            m = beta1 * m + g
            m_hat, v_hat, size = m, np.full_like(x, np.nan), np.broadcast_to(lr, x.shape)
            d = -lr * m
        with np.errstate(invalid="ignore", over="ignore"):
            x = x + d
            bad = ~np.isfinite(x).all(axis=-1) | (np.abs(x) > DIVERGE).any(axis=-1)
        newly = bad & (diverged < 0)
        diverged[newly] = t
        gone = diverged >= 0
        x[gone] = np.nan
        pts.append(x.copy())
        for k, val in (("g", g), ("m_hat", m_hat), ("v_hat", v_hat), ("step_size", size),
                       ("delta", d)):
            val = np.array(val, dtype=np.float64)
            val[gone] = np.nan
            ser[k].append(val)
    return np.array(pts), {k: np.array(v) for k, v in ser.items()}, diverged


def kept_steps(steps, most=300):
    """The steps a family keeps: all of them, or `most` spread evenly, 0 and last kept."""
    if steps + 1 <= most:
        return np.arange(steps + 1, dtype=np.int32)
    return np.unique(np.round(np.linspace(0, steps, most)).astype(np.int32))


def png_rgb(rgb: np.ndarray) -> bytes:
    """A minimal PNG (8-bit RGB, no filter) of an (h, w, 3) uint8 array."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\0" + rgb[r].tobytes() for r in range(h))

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def colour_map(t: np.ndarray) -> np.ndarray:
    at = np.array([s[0] for s in STOPS])
    rgb = np.array([[int(s[1][i:i + 2], 16) for i in (1, 3, 5)] for s in STOPS], float)
    return np.stack([np.interp(t, at, rgb[:, c]) for c in range(3)], -1).astype(np.uint8)


def marching_squares(xs, ys, z, level):
    """Level-line segments (S, 4) of z (rows along ys) at `level`."""
    s = z > level

    def cross(a, b, pa, pb):  # where z = level along the edge from pa to pb
        with np.errstate(invalid="ignore", divide="ignore"):
            w = (level - a) / (b - a)
            return pa + w[..., None] * (pb - pa)

    gx, gy = np.meshgrid(xs, ys)
    p = np.stack([gx, gy], -1)
    horiz = cross(z[:, :-1], z[:, 1:], p[:, :-1], p[:, 1:])     # (ny, nx-1, 2)
    vert = cross(z[:-1], z[1:], p[:-1], p[1:])                  # (ny-1, nx, 2)
    hx, vx = s[:, :-1] != s[:, 1:], s[:-1] != s[1:]
    edges = [(hx[:-1], horiz[:-1]), (vx[:, 1:], vert[:, 1:]),   # bottom, right,
             (hx[1:], horiz[1:]), (vx[:, :-1], vert[:, :-1])]   # top, left
    hit = np.stack([e[0] for e in edges], -1)                   # (ny-1, nx-1, 4)
    pts = np.stack([e[1] for e in edges], -2)                   # (ny-1, nx-1, 4, 2)
    n = hit.sum(-1)
    segs = []
    two = n == 2
    first = np.argmax(hit, -1)
    last = 3 - np.argmax(hit[..., ::-1], -1)
    a = np.take_along_axis(pts, first[..., None, None], -2)[..., 0, :]
    b = np.take_along_axis(pts, last[..., None, None], -2)[..., 0, :]
    segs.append(np.concatenate([a[two], b[two]], -1))
    four = n == 4  # a saddle cell: any consistent pairing will do for a fixture
    segs.append(np.concatenate([pts[four][:, 0], pts[four][:, 1]], -1))
    segs.append(np.concatenate([pts[four][:, 2], pts[four][:, 3]], -1))
    return np.concatenate(segs)


def contours(view, n=80):
    (x0, x1), (y0, y1) = view
    xs, ys = np.linspace(x0, x1, n), np.linspace(y0, y1, n)
    gx, gy = np.meshgrid(xs, ys)
    z = f(np.stack([gx, gy], -1))
    lz = np.log10(z + 1e-2)
    lo, hi = lz.min(), lz.max()
    image = colour_map((lz - lo) / (hi - lo))[::-1]  # row 0 at the top
    levels = np.arange(np.ceil(lo * 4) / 4, hi, 0.25)
    lines = np.concatenate([marching_squares(xs, ys, lz, lev) for lev in levels])
    ticks = [{"at": float((np.log10(v + 1e-2) - lo) / (hi - lo)), "label": f"{v:g}"}
             for v in (0.01, 0.1, 1, 10) if lo <= np.log10(v + 1e-2) <= hi]
    dx, dy = (x1 - x0) / (n - 1) / 2, (y1 - y0) / (n - 1) / 2
    return {
        "image": "data:image/png;base64," + base64.b64encode(png_rgb(image)).decode(),
        "extent": [x0 - dx, x1 + dx, y0 - dy, y1 + dy],
        "lines": "contours/lines",
        "colorbar": {"stops": STOPS, "ticks": ticks},
    }, lines


def build(runs=4, steps=20, beta1=0.9, lr=0.4, lecture=False, start=START, predict=False):
    arrays = {}
    specs = [("Adam", "adam", dict(lr=lr, beta1=beta1)),
             ("Adam, β1 = 0", "adam", dict(lr=lr, beta1=0.0)),
             ("Momentum", "sgd", dict(lr=0.05, beta1=0.9)),
             ("Gradient descent", "sgd", dict(lr=0.62, beta1=0.0))]
    for i in range(4, runs):
        specs.append((f"Adam, η = {0.05 * i:g}", "adam", dict(lr=0.05 * i)))
    header_runs = []
    for i, (label, opt, kw) in enumerate(specs[:runs]):
        pts, ser, div = run(opt, start, steps, **kw)
        d = None if div < 0 else int(div)
        if d is not None:
            label += f" (diverged at step {d})"
        keys = ["g", "m_hat", "v_hat", "step_size", "delta"] if opt == "adam" else ["g", "delta"]
        labels = {"g": "g", "m_hat": "m̂", "v_hat": "v̂", "step_size": "η/(√v̂+ε)", "delta": "Δx"}
        arrays[f"runs/{i}/points"] = pts
        arrays[f"runs/{i}/values"] = f(pts)
        for k in keys:
            arrays[f"runs/{i}/{k}"] = ser[k]
        header_runs.append({
            "label": label, "optimizer": opt, "color": PALETTE[i % len(PALETTE)],
            "marker": MARKERS[i % len(MARKERS)], "dashed": i == 1, "same_as": None,
            "layer": 0, "width": 1.0, "steps": steps, "diverged_at": d,
            "points": f"runs/{i}/points", "values": f"runs/{i}/values",
            "series": [{"key": k, "label": labels[k], "array": f"runs/{i}/{k}"} for k in keys],
        })

    # The focused run's families: the focused Adam run at each grid value of a slider.
    focus = dict(lr=lr, beta1=beta1, beta2=0.999, eps=1e-8)
    keep = kept_steps(steps)
    families, header_sliders = {}, []
    for param, label, scale, values in SLIDERS:
        # The run's own value is one of the slider's values (added if need be).
        values = sorted(set(values) | {float(focus[param])})
        grid = np.array(values)
        pts, _, _ = run("adam", start, steps, **{**focus, param: grid})  # (steps+1, K, 2)
        arrays[f"families/{param}/values"] = grid
        arrays[f"families/{param}/steps"] = keep
        arrays[f"families/{param}/points"] = np.moveaxis(pts[keep], 0, 1)  # (K, P, 2)
        families[param] = {k: f"families/{param}/{k}" for k in ("values", "steps", "points")}
        header_sliders.append({"param": param, "label": label, "scale": scale,
                               "min": values[0], "max": values[-1], "value": float(focus[param]),
                               "family": param, "values": values})
    (a, b), (c, e) = VIEW
    x1s, x2s = np.linspace(a, b, 25), np.linspace(c, e, 13)
    gx, gy = np.meshgrid(x1s, x2s)                       # [j, i] = (x1s[i], x2s[j])
    pts, _, _ = run("adam", np.stack([gx, gy], -1), steps, **focus)  # (steps+1, N2, N1, 2)
    arrays["families/start/x1"] = x1s
    arrays["families/start/x2"] = x2s
    arrays["families/start/steps"] = keep
    arrays["families/start/points"] = np.moveaxis(pts[keep], 0, 2)  # (N2, N1, P, 2)
    families["start"] = {"x1": "families/start/x1", "x2": "families/start/x2",
                         "steps": "families/start/steps", "points": "families/start/points"}

    cont, lines = contours(VIEW)
    arrays["contours/lines"] = lines
    header = {
        "title": "D2L quadratic", "formula": "f = 0.1·x₁² + 2·x₂²", "surface": "d2l",
        "view": [list(VIEW[0]), list(VIEW[1])], "minima": [[0.0, 0.0]], "contours": cont,
        "runs": header_runs, "focus": 0, "sliders": header_sliders, "families": families,
        "start": list(start), "lecture": lecture, "predict": predict,
    }
    return pack(header, arrays)


def pack(header: dict, arrays: dict) -> bytes:
    """The blob: magic, version, header length, header, padding, 8-aligned arrays."""
    table, chunks, pos = {}, [], 0
    for name, a in arrays.items():
        a = np.asarray(a)
        a = np.ascontiguousarray(a, "<i4" if a.dtype.kind in "iu" else "<f4")
        pad = -pos % 8
        chunks.append(b"\0" * pad)
        pos += pad
        table[name] = {"offset": pos, "shape": list(a.shape),
                       "dtype": "i4" if a.dtype.kind == "i" else "f4"}
        chunks.append(a.tobytes())
        pos += a.nbytes
    head = json.dumps({"arrays": table, **header}, ensure_ascii=False).encode()
    pre = b"OPTV" + struct.pack("<II", 1, len(head)) + head
    return pre + b"\0" * (-len(pre) % 8) + b"".join(chunks)


def main():
    here = Path(__file__).parent
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--beta1", type=float, default=0.9)
    ap.add_argument("--lr", type=float, default=0.4)
    ap.add_argument("--start", type=float, nargs=2, default=START)
    ap.add_argument("--lecture", action="store_true")
    ap.add_argument("--predict", action="store_true")
    ap.add_argument("--out", type=Path, default=here / "fixtures" / "small.optv")
    args = ap.parse_args()
    blob = build(args.runs, args.steps, args.beta1, args.lr, args.lecture, tuple(args.start),
                 args.predict)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(blob)
    print(f"{args.out}: {len(blob):,} bytes")


if __name__ == "__main__":
    main()
