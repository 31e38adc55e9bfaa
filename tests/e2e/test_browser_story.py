"""Adam's story, deeper (issue 13) in a real browser: a typed function, gradient noise,
the basin map and f against the steps."""

import pytest
from playwright.sync_api import expect

from optviz import presets
from tests.e2e.explorer_ui import (
    CHART_JS,
    expect_no_exception,
    open_explorer,
    paths,
    wait_for_new_paths,
    wait_idle,
)
from tests.e2e.test_browser_explorer import screenshot
from ui.presets import url

pytestmark = pytest.mark.e2e


def shadow(page):
    return page.locator("[data-testid=stBidiComponentIsolated]")


def test_a_typed_function_draws_its_contours_and_path(page, app_url):
    open_explorer(page, app_url)
    sidebar = page.locator('[data-testid="stSidebar"]')
    before = paths(page)
    sidebar.get_by_role("combobox", name="Function").click()
    page.get_by_role("option", name="Your function…").click()
    after = wait_for_new_paths(page, before)
    expect(shadow(page).locator(".ox-title")).to_contain_text("Your function")
    expect(shadow(page).locator(".ox-formula")).to_have_text("f = x₁² + 10·sin(x₂)")
    assert (after[0]["x"][0], after[0]["y"][0]) == (-2.5, -2.5)
    field = sidebar.get_by_label("f(x1, x2) =", exact=True).and_(
        sidebar.get_by_role("textbox"))
    field.fill("(x1 - 1)**2 + 3*(x2 + 1)**2")
    field.press("Enter")
    bowl = wait_for_new_paths(page, after)
    expect(shadow(page).locator(".ox-formula")).to_have_text("f = (x₁ - 1)² + 3·(x₂ + 1)²")
    # Adam heads for the bowl's bottom at (1, -1).
    end = (bowl[0]["x"][-1], bowl[0]["y"][-1])
    assert abs(end[0] - 1) + abs(end[1] + 1) < abs(-2.5 - 1) + abs(-2.5 + 1)
    page.wait_for_function("() => new URLSearchParams(location.search).get('f') === "
                           "'(x1 - 1)**2 + 3*(x2 + 1)**2'")  # the link carries it
    # The chart's sliders drag and commit on it as on any function.
    shadow(page).get_by_label("β1", exact=True).focus()
    page.keyboard.press("ArrowLeft")
    dragged = wait_for_new_paths(page, bowl)
    assert dragged[0]["x"] != bowl[0]["x"]
    page.wait_for_function("() => location.search.includes('adam.beta1=0.875')")
    # Text the grammar refuses: one line, nothing run, the page still alive.
    field.fill("__import__('os').system('id')")
    field.press("Enter")
    error = page.locator('[data-testid="stAlertContentError"]')
    expect(error).to_contain_text("Your function: character")
    expect_no_exception(page)


def test_the_noise_slider_changes_the_path_and_the_readout_shows_the_noisy_gradient(
        page, app_url):
    open_explorer(page, app_url)
    exact = paths(page)
    page.locator('[data-testid="stSidebar"]').get_by_role("slider").first.focus()  # σ
    for _ in range(8):  # 0 -> 0.01 -> ... -> 0.5
        page.keyboard.press("ArrowRight")
    noisy = wait_for_new_paths(page, exact)
    assert noisy[0]["x"][0] == exact[0]["x"][0] and noisy[0]["x"] != exact[0]["x"]
    page.wait_for_function("() => location.search.includes('noise=')")
    expect(shadow(page).locator(".ox-readout")).to_contain_text("g̃")
    expect_no_exception(page)


def test_the_basin_map_colours_the_starts_and_says_so(page, app_url):
    open_explorer(page, app_url, "?surface=Himmelblau&basins=true")
    note = shadow(page).locator(".ox-basins-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("4 minima")
    page.wait_for_function(f"() => ({CHART_JS})().steps > 0")
    wait_idle(page)
    expect_no_exception(page)


@pytest.mark.parametrize(("name", "query", "viewport"), [
    ("noise.png", "?" + url(presets.get("noise-beta1"), lecture=True).split("?", 1)[1],
     {"width": 1920, "height": 1080}),
    ("function.png", "?surface=Your+function…&basins=true&steps=40&opt=Adam&opt=Momentum"
     "&f=x1**2+%2B+10*sin(x2)", {"width": 1400, "height": 1000}),
    ("predict.png", "?" + url(presets.get("chapter"), lecture=True).split("?", 1)[1]
     + "&predict=1", {"width": 1920, "height": 1080}),
])
def test_screenshots_of_the_story(page, app_url, tmp_path, name, query, viewport):
    """For the README (see tests/e2e/test_browser_explorer.py on OPTVIZ_SCREENSHOTS)."""
    page.set_viewport_size(viewport)
    open_explorer(page, app_url, query)
    page.set_viewport_size(viewport)
    page.wait_for_timeout(300)
    expect_no_exception(page)
    screenshot(page, name, tmp_path)


def test_a_link_opens_the_chart_on_predict_then_play(page, app_url):
    open_explorer(page, app_url, "?predict=1&steps=10")
    page.wait_for_function(f"() => ({CHART_JS})().exercise && !({CHART_JS})().revealed")
    expect(shadow(page).get_by_role("button", name="Reveal")).to_be_visible()
    expect_no_exception(page)


def test_the_weight_space_view_draws_and_plays_the_airfoil_run(page, app_url):
    page.set_default_timeout(60_000)
    page.goto(f"{app_url}/weights")
    page.wait_for_function(f"() => {{ const c = ({CHART_JS})(); return c && c.steps > 0; }}",
                           timeout=120_000)
    runs = paths(page)
    assert [r["name"] for r in runs][0] == "Adam, from scratch"
    assert runs[1]["name"].startswith("Adam, torch.optim") and runs[1]["dashed"]
    assert len(runs[0]["x"]) == 301 and (runs[0]["x"][0], runs[0]["y"][0]) == (0, 0)
    expect(shadow(page).locator(".ox-readout")).to_contain_text("a (towards θ*)")
    shadow(page).get_by_role("button", name="Play").click()
    page.wait_for_function(f"() => ({CHART_JS})().playing || ({CHART_JS})().step < 300")
    page.wait_for_function(f"() => ({CHART_JS})().step === 300", timeout=30_000)
    expect(page.get_by_text("Final loss: 0.246")).to_be_visible()
    expect_no_exception(page)


def test_screenshot_of_the_weight_space_view(page, app_url, tmp_path):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.set_default_timeout(60_000)
    page.goto(f"{app_url}/weights?lecture=1")
    page.wait_for_function(f"() => {{ const c = ({CHART_JS})(); return c && c.steps > 0; }}",
                           timeout=120_000)
    wait_idle(page)
    page.wait_for_timeout(300)
    screenshot(page, "weights.png", tmp_path)
