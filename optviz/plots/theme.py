"""The look optviz's figures share, made for a projector: font, run colours, the
surface's colour scale and a plotly template."""

from __future__ import annotations

import plotly.io as pio

FONT = {"family": "Inter, Helvetica Neue, Arial, sans-serif", "size": 16, "color": "#222"}

# Okabe & Ito's colour-blind safe palette, reordered for contrast on a light contour
# (its yellow last, as it is faint on a projector), then a few darker extras.
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
