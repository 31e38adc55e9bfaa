"""Loss curves as the chapter plots them."""

from optviz.plots.loss import CHAPTER_Y_RANGE, Curve, loss_figure


def test_one_line_per_curve_with_the_live_end_marked():
    done = Curve("Adam, from scratch", [0, 0.5, 1], [0.5, 0.3, 0.25])
    live = Curve("Adam, torch.optim", [0, 0.5], [0.5, 0.31], live=True, dashed=True)
    fig = loss_figure([done, live])
    lines = [t for t in fig.data if t.mode == "lines"]
    assert [t.name for t in lines] == ["Adam, from scratch", "Adam, torch.optim"]
    assert lines[0].line.dash == "solid" and lines[1].line.dash == "dash"
    (marker,) = [t for t in fig.data if t.mode == "markers"]
    assert list(marker.x) == [0.5] and list(marker.y) == [0.31]
    assert fig.layout.xaxis.title.text == "epoch" and fig.layout.yaxis.type == "log"


def test_the_chapters_view_shows_loss_from_0_22_to_0_35():
    fig = loss_figure([Curve("run", [0, 1, 2], [0.4, 0.25, 0.245])], chapter_view=True)
    assert tuple(fig.layout.yaxis.range) == CHAPTER_Y_RANGE == (0.22, 0.35)
    assert fig.layout.yaxis.type != "log"
