"""The hyperparameter sweep in a real browser: a clicked cell's links, the moving bar."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from optviz.sweep_axes import DEFAULT_AXES, axis_values, format_value
from tests.e2e.explorer_ui import CHART_DRAWN_JS, expect_no_exception, wait_idle

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 30_000
PLOT = "[data-testid='stPlotlyChart'] .js-plotly-plot"
BAR = "[data-testid='stProgress'] [role='progressbar']"
START = "button[kind='primary']:has-text('Start sweep')"
NX, NY = 4, 3  # lr × β1, the default ranges


def _open_sweep(page: Page, app_url: str, query: str) -> None:
    page.set_default_timeout(TIMEOUT_MS)
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.goto(f"{app_url}/sweep?{query}")
    expect(page.get_by_role("heading", name="Hyperparameter sweep")).to_be_visible()
    wait_idle(page)


def _click_cell(page: Page, ix: int, iy: int) -> None:
    """Click cell (ix, iy) of the map: columns left to right, rows bottom to top (both
    default axes are log scales of evenly spaced values, so the cells are equal)."""
    box = page.locator(f"{PLOT} .nsewdrag").first.bounding_box()
    x = box["x"] + box["width"] * (ix + 0.5) / NX
    y = box["y"] + box["height"] * (1 - (iy + 0.5) / NY)
    page.mouse.move(x, y)
    page.mouse.click(x, y)


def _swept_and_clicked(page, app_url, ix: int, iy: int) -> tuple[float, float, str]:
    """Run the default lr × β1 sweep, click cell (ix, iy): its lr, β1 and name."""
    _open_sweep(page, app_url, f"lr_n={NX}&beta1_n={NY}")
    page.locator(START).click()
    expect(page.get_by_text("Best setting")).to_be_visible()
    wait_idle(page)
    expect(page.get_by_text("Click a cell to open its setting")).to_be_visible()
    lo, hi, _, spacing = DEFAULT_AXES["lr"]
    lr = axis_values("lr", lo, hi, NX, spacing)[ix]
    lo, hi, _, spacing = DEFAULT_AXES["beta1"]
    beta1 = axis_values("beta1", lo, hi, NY, spacing)[iy]
    _click_cell(page, ix, iy)
    return lr, beta1, f"lr = {format_value(lr)}, β1 = {format_value(beta1)}"


def test_clicking_a_sweep_cell_opens_the_explorer_with_that_setting(page, app_url):
    lr, beta1, name = _swept_and_clicked(page, app_url, 2, 1)
    link = page.get_by_role("link", name=f"Open {name} in the explorer")
    expect(link).to_be_visible()
    wait_idle(page)
    trainer_link = page.get_by_role("link", name=f"Open {name} in the trainer")
    expect(trainer_link).to_be_visible()

    query = parse_qs(urlsplit(link.get_attribute("href")).query)
    assert query["opt"] == ["Adam"]
    assert float(query["adam.lr"][0]) == pytest.approx(lr, rel=1e-12)
    assert float(query["adam.beta1"][0]) == pytest.approx(beta1, rel=1e-12)

    with page.context.expect_page() as opened:
        link.click()
    explorer = opened.value
    explorer.set_default_timeout(TIMEOUT_MS)
    explorer.wait_for_function(CHART_DRAWN_JS, timeout=TIMEOUT_MS)
    wait_idle(explorer)
    main = explorer.locator("[data-testid='stMain']")
    for label, expected in (("Learning rate", lr), ("β1", beta1), ("β2", 0.999),
                            ("ε", 1e-6)):
        field = main.locator("[data-testid='stNumberInput']").filter(
            has=explorer.get_by_text(label, exact=True)).locator("input")
        assert float(field.input_value()) == pytest.approx(expected, rel=1e-5), label
    expect(explorer.get_by_text("Ignored, the default is used")).to_have_count(0)
    expect_no_exception(explorer)
    expect_no_exception(page)


def test_clicking_a_sweep_cell_opens_the_trainer_with_that_setting(page, app_url):
    lr, beta1, name = _swept_and_clicked(page, app_url, 1, 2)
    link = page.get_by_role("link", name=f"Open {name} in the trainer")
    expect(link).to_be_visible()
    wait_idle(page)
    with page.context.expect_page() as opened:
        link.click()
    trainer = opened.value
    trainer.set_default_timeout(TIMEOUT_MS)
    expect(trainer.get_by_role("heading", name="Linear regression, live")).to_be_visible()
    wait_idle(trainer)
    sidebar = trainer.locator('[data-testid="stSidebar"]')
    for label, expected in (("Learning rate", lr), ("β1", beta1), ("Batch size", 10),
                            ("Epochs", 2)):
        field = sidebar.get_by_label(label, exact=True).and_(sidebar.get_by_role("spinbutton"))
        # The browser may draw a field before it takes the link's value: wait for it.
        deadline = time.monotonic() + 15
        while float(field.input_value()) != pytest.approx(expected, rel=1e-5) \
                and time.monotonic() < deadline:
            time.sleep(0.2)
        assert float(field.input_value()) == pytest.approx(expected, rel=1e-5), (label,
                                                                                 trainer.url)
    expect(trainer.get_by_text("Ignored, the default is used")).to_have_count(0)
    expect(trainer.locator('[data-testid="stException"]')).to_have_count(0)


def test_the_progress_bar_moves_while_a_sweep_runs(page, app_url):
    # 10,000 settings × 10 epochs: seconds of training even on a fast machine.
    _open_sweep(page, app_url, "lr_n=100&beta1_n=100&sweep_epochs=10")
    page.locator(START).click()
    seen: list[int] = []
    deadline = time.monotonic() + 90  # left as soon as the bar has moved twice
    while time.monotonic() < deadline and len({v for v in seen if 0 < v < 100}) < 2:
        value = page.evaluate(f"() => {{ const e = document.querySelector(\"{BAR}\");"
                              " return e ? Number(e.getAttribute('aria-valuenow')) : null }")
        if value is not None:
            seen.append(value)
        if page.get_by_text("Best setting").count():
            break
        time.sleep(0.2)
    moving = sorted({v for v in seen if 0 < v < 100})
    assert len(moving) >= 2, f"the bar did not move twice while the sweep ran: {seen}"
    assert seen == sorted(seen), f"the bar went back: {seen}"
    page.locator("button[kind='secondary']:has-text('Stop')").click()
    expect(page.get_by_text("Stopped after")).to_be_visible()
    expect_no_exception(page)
