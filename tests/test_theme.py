"""The runs' colours and marker shapes (optviz/plots/theme.py): Okabe & Ito's palette,
told apart by people with any of the three kinds of colour blindness, seen on the
contour's background, and a shape per run where colours are not enough."""

import itertools

import numpy as np
import pytest

from optviz.plots.theme import CONTOUR_COLORSCALE, MARKERS, PALETTE

OKABE_ITO = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}

# Machado, Oliveira & Fernandes (2009), severity 1, on linear RGB.
DICHROMACY = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                   [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                     [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                   [0.004733, 0.691367, 0.303900]],
}


def linear(colour: str) -> np.ndarray:
    c = np.array([int(colour[k:k + 2], 16) / 255 for k in (1, 3, 5)])
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of linear sRGB."""
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ rgb / [0.95047, 1.0, 1.08883]
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def contrast(a: str, b: str) -> float:
    """WCAG's contrast ratio (1 to 21)."""
    la, lb = (float(np.dot([0.2126, 0.7152, 0.0722], linear(c))) for c in (a, b))
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def test_the_palette_is_okabe_ito_with_darker_extras_and_all_distinct():
    assert set(PALETTE) >= OKABE_ITO and len(set(PALETTE)) == len(PALETTE) == 10
    assert PALETTE[-1] == "#F0E442"  # the yellow, faint on a projector, last


@pytest.mark.parametrize("vision", ["normal", *DICHROMACY])
def test_every_pair_of_run_colours_stays_apart_under_colour_blindness(vision):
    m = np.array(DICHROMACY.get(vision, np.eye(3)))
    seen = [lab(np.clip(m @ linear(c), 0, 1)) for c in PALETTE]
    # ΔE (CIE76): ~2 is a just-noticeable difference; 12 is plainly another colour. The
    # six first (more runs than any preset draws) are further apart still.
    for (i, a), (j, b) in itertools.combinations(enumerate(seen), 2):
        assert np.linalg.norm(a - b) >= (15 if j < 6 else 12), (vision, PALETTE[i], PALETTE[j])


def test_the_first_runs_stand_out_on_the_contours_lightest_colour():
    background = CONTOUR_COLORSCALE[0][1]
    # 3:1 is WCAG's bar for graphics; the paths also get a white casing on the chart.
    assert all(contrast(c, background) >= 3 for c in PALETTE[:3])


def test_colour_and_marker_together_tell_thirty_runs_apart():
    assert len(set(MARKERS)) == len(MARKERS) >= 4
    pairs = {(PALETTE[i % len(PALETTE)], MARKERS[i % len(MARKERS)]) for i in range(30)}
    assert len(pairs) == 30
    assert MARKERS[0] == "circle"  # one run: the ring it always had
