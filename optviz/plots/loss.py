"""Loss curves of training runs, as the chapter plots them (loss against epoch)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

from optviz.plots.theme import FONT, PALETTE

# The chapter's plots of the airfoil runs: loss from 0.22 to 0.35 over the epochs.
CHAPTER_Y_RANGE = (0.22, 0.35)


@dataclass(frozen=True)
class Curve:
    """One logged run: the loss over the whole set at `epochs` (examples / n)."""

    label: str
    epochs: Sequence[float]
    losses: Sequence[float]
    live: bool = False  # still running: drawn thicker, with its last point marked
    dashed: bool = False  # e.g. torch.optim's run drawn over the from-scratch one


def loss_figure(curves: Sequence[Curve], chapter_view: bool = False,
                height: int = 460) -> go.Figure:
    """Loss against epoch for every curve; `chapter_view` sets the chapter's y range."""
    fig = go.Figure()
    for i, c in enumerate(curves):
        colour = PALETTE[i % len(PALETTE)]
        fig.add_scatter(
            x=list(c.epochs), y=list(c.losses), name=c.label, mode="lines",
            line={"color": colour, "width": 4 if c.live else 2.5,
                  "dash": "dash" if c.dashed else "solid"},
            hovertemplate="epoch %{x:.2f}<br>loss %{y:.4f}<extra>" + c.label + "</extra>")
        if c.live and len(c.epochs):
            fig.add_scatter(x=[c.epochs[-1]], y=[c.losses[-1]], mode="markers",
                            marker={"color": colour, "size": 12}, showlegend=False,
                            hoverinfo="skip")
    fig.update_layout(
        height=height, font=FONT, margin={"l": 70, "r": 20, "t": 30, "b": 60},
        xaxis_title="epoch", yaxis_title="loss (mean squared error / 2)",
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0},
        plot_bgcolor="white", uirevision="loss",
    )
    fig.update_xaxes(showgrid=True, gridcolor="#e5e7eb", zeroline=False)
    fig.update_yaxes(showgrid=True, gridcolor="#e5e7eb", zeroline=False)
    if chapter_view:
        fig.update_yaxes(range=list(CHAPTER_Y_RANGE))
    else:
        fig.update_yaxes(type="log")
    return fig
