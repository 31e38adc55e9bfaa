"""The surface under the trajectory figure: its grid of f, levels, level lines and image."""

from __future__ import annotations

import base64
import dataclasses
import math
import struct
import zlib

import numpy as np
import pytest

from optviz.plots import contours
from optviz.surfaces import SURFACES, get_surface

# --------------------------------------------------------------- contour grid


def test_contour_grid_evaluates_f_on_the_window():
    s = get_surface("d2l")
    x1s, x2s, z, lev = contours.contour_grid(s, n=50)
    assert x1s.shape == (50,) and x2s.shape == (50,) and z.shape == (50, 50)
    assert (x1s[0], x1s[-1]) == s.window[0] and (x2s[0], x2s[-1]) == s.window[1]
    # rows along x2, columns along x1
    np.testing.assert_allclose(z[7, 3], s.f(x1s[3], x2s[7]))
    assert not lev.log and lev.offset == 0
    assert lev.start <= z.min() and lev.end >= z.max() and lev.size > 0
    assert 8 <= (lev.end - lev.start) / lev.size <= 40


def test_contour_grid_takes_a_name_and_hashable_arguments():
    by_name = contours.contour_grid("rotated", ((-1.0, 1.0), (-2.0, 2.0)), 40, 100.0)
    direct = contours.contour_grid(get_surface("rotated", 100.0), ((-1, 1), (-2, 2)), 40)
    np.testing.assert_array_equal(by_name[2], direct[2])
    hash(("rotated", ((-1.0, 1.0), (-2.0, 2.0)), 40, 100.0))  # what st.cache_data keys on
    # The condition number reaches the surface: a flatter valley.
    assert not np.allclose(by_name[2], contours.contour_grid("rotated", n=40)[2])


def test_log_levels_span_decades_and_label_the_colour_bar_in_f():
    x1s, x2s, z, lev = contours.contour_grid("rosenbrock")
    assert lev.log and lev.offset > 0 and lev.size == 0.25
    assert lev.end >= math.log10(z.max())
    assert lev.ticktext == ("0.01", "0.1", "1", "10", "100", "1000")
    # Each tick sits where the plotted value log10(f + offset) of that f is.
    for val, text in zip(lev.tickvals, lev.ticktext, strict=True):
        assert val == pytest.approx(math.log10(float(text) + lev.offset))


# ---------------------------------------------------------------- level lines


def test_level_lines_lie_on_their_levels():
    # On a plane, linear interpolation along cell edges is exact.
    plane = dataclasses.replace(
        SURFACES["booth"], f=lambda x1, x2: x1 + 2.0 * x2, window=((-1.0, 1.0), (-1.0, 1.0))
    )
    _, _, _, lev = contours.contour_grid(plane, n=30)
    x, y = lev.lines_x.astype(float), lev.lines_y.astype(float)
    assert len(x) % 3 == 0 and np.isnan(x[2::3]).all()  # segments "x0, x1, NaN"
    v = x + 2 * y
    ok = ~np.isnan(v)
    k = (v[ok] - lev.start) / lev.size
    np.testing.assert_allclose(k, np.round(k), atol=1e-4)
    # Every level strictly inside the range is drawn.
    drawn = set(np.round(k).astype(int))
    inside = {i for i in range(round((lev.end - lev.start) / lev.size) + 1)
              if -3 < lev.start + i * lev.size < 3}
    assert inside <= drawn


def test_level_lines_of_a_quadratic_are_closed_ellipses():
    _, _, _, lev = contours.contour_grid("d2l", ((-5.0, 5.0), (-5.0, 5.0)), 80)
    x, y = lev.lines_x.astype(float), lev.lines_y.astype(float)
    f = 0.1 * x * x + 2 * y * y
    ok = ~np.isnan(f)
    k = (f[ok] - lev.start) / lev.size
    # Interpolation error only: within a small fraction of a level step.
    assert np.abs(k - np.round(k)).max() < 0.15
    # Each segment end is shared with a neighbour (closed curves), except at the edges.
    ends = np.round(np.stack([x[ok], y[ok]], 1), 5)
    _, counts = np.unique(ends, axis=0, return_counts=True)
    assert (counts == 2).mean() > 0.95


def test_level_lines_are_one_path_shape_of_the_segments():
    _, _, _, lev = contours.contour_grid("d2l", ((-5.0, 5.0), (-5.0, 5.0)), 40)
    parts = lev.path.split("M")[1:]
    assert len(parts) == len(lev.lines_x) // 3  # one "Mx,yLx,y" per segment
    for part, k in zip(parts[:50], range(0, 150, 3), strict=False):
        (a, b), (c, d) = (map(float, xy.split(",")) for xy in part.split("L"))
        np.testing.assert_allclose([a, c, b, d], [lev.lines_x[k], lev.lines_x[k + 1],
                                   lev.lines_y[k], lev.lines_y[k + 1]], rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------- image


def test_surface_image_is_a_png_of_the_grid():
    x1s, x2s, z, lev = contours.contour_grid("himmelblau", n=64)
    head, b64 = lev.image.split(",", 1)
    assert head == "data:image/png;base64"
    png = base64.b64decode(b64)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = {}, 8
    while pos < len(png):
        (size,), tag = struct.unpack(">I", png[pos:pos + 4]), png[pos + 4:pos + 8]
        chunks[tag] = png[pos + 8:pos + 8 + size]
        pos += 12 + size
    w, h, depth, colour = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (w, h, depth, colour) == (64, 64, 8, 3)  # 8-bit palette
    # One palette index per node, top row = largest x2; low f is light, high f dark.
    rows = np.frombuffer(zlib.decompress(chunks[b"IDAT"]), np.uint8).reshape(64, 65)[:, 1:]
    lo, hi = np.unravel_index(z.argmin(), z.shape), np.unravel_index(z.argmax(), z.shape)
    assert rows[63 - lo[0], lo[1]] < 20 and rows[63 - hi[0], hi[1]] > 235
