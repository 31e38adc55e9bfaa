"""The look optviz's figures share, made for a projector: font, run colours, the
surface's colour scale and a plotly template."""

from __future__ import annotations

import plotly.io as pio

FONT = {"family": "Inter, Helvetica Neue, Arial, sans-serif", "size": 16, "color": "#222"}

# Okabe & Ito's colour-blind safe palette (Okabe & Ito 2008, "Color Universal Design"),
# reordered for contrast on a light contour (its yellow last, as it is faint on a
# projector), with near black, brown and purple added. Simulated protanopia,
# deuteranopia and tritanopia keep every pair apart (tests/test_theme.py); where two
# runs still look alike, their end markers (MARKERS) differ.
PALETTE = (
    "#D55E00",  # vermillion
    "#0072B2",  # blue
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#222222",  # near black
    "#8C564B",  # brown
    "#7F3C8D",  # purple
    "#F0E442",  # yellow
)

# The shape of each run's current-position marker, by run as PALETTE: plotly's symbol
# names, open ("circle-open"), as the explorer's chart draws them too. Ten colours and
# six shapes: no two of the first thirty runs share both.
MARKERS = ("circle", "diamond", "triangle-up", "square", "triangle-down", "hexagon")

# The surface under the paths: low f light, high f a little darker; desaturated so
# that the paths carry the colour.
CONTOUR_COLORSCALE = (
    (0.0, "#fdfcf6"),
    (0.35, "#eceee8"),
    (0.7, "#d6dee2"),
    (1.0, "#b7c4cd"),
)

# plotly_white's look without its per-trace-type defaults, which plotly would merge
# into every redraw of a figure that uses only scatter traces.
TEMPLATE = {"layout": pio.templates["plotly_white"].layout.to_plotly_json()}
