"""The trajectory explorer (pages/explorer.py) in a real browser.

Each test opens /explorer (deep links included) and waits for Streamlit to be idle
(`stApp`'s data-test-script-state is "notRunning") and for the chart component to have
drawn; its runs, step and view are read from its test handle (tests/e2e/explorer_ui.py).

The first test to run opens /explorer as the very first visit of a fresh server
(this module sorts first among the browser tests), the case Streamlit would serve in its
legacy pages/ mode (see the top of pages/explorer.py);
`test_page_opens_with_a_path_and_named_navigation` checks the navigation labels.

Every preset, in lecture mode at 1920 × 1080, shows every run: the screenshot has each
run's colour along its path (`test_every_run_is_seen_on_every_preset`).

Screenshots for the README (docs/explorer.png, docs/explorer-rosenbrock.png,
docs/lecture.png, docs/phone.png) are
taken on every run, into pytest's tmp_path; with OPTVIZ_SCREENSHOTS=1 they are
written to docs/ instead (so a plain test run leaves the working tree alone):

    OPTVIZ_SCREENSHOTS=1 .venv/bin/python -m pytest tests/e2e \\
        -k "screenshot or lecture or navigation"
"""

import io
import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest
from PIL import Image  # a dependency of streamlit
from playwright.sync_api import Page, expect

from optviz import presets, settings, surfaces
from tests.e2e.explorer_ui import (
    CHART_DRAWN_JS,
    CHART_JS,
    TIMEOUT_MS,
    adam_input,
    change_adam_beta1,
    expect_no_exception,
    open_explorer,
    paths,
    sidebar_input,
    wait_for_new_paths,
    wait_idle,
)
from ui.presets import url

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
STEP_JS = f"() => ({CHART_JS})().step"


def shadow(page: Page):
    """The chart component's shadow root, for locators (Playwright pierces open roots)."""
    return page.locator("[data-testid=stBidiComponentIsolated]")


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def selected_optimizers(page: Page) -> list[str]:
    tags = page.locator('[data-testid="stSidebar"] [data-testid="stMultiSelect"] span[data-tag]')
    return [tags.nth(i).get_attribute("aria-label") for i in range(tags.count())]


def screenshot(page: Page, name: str, tmp_path: Path) -> None:
    """The viewport as a PNG, reduced to 256 colours (a third of the bytes)."""
    folder = ROOT / "docs" if os.environ.get("OPTVIZ_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(exist_ok=True)
    # Over the empty header (lecture mode: the margin above the title): no hover label,
    # no sidebar button, no heading anchor.
    page.mouse.move(min(800, page.viewport_size["width"] - 10), 5)
    png = page.screenshot(animations="disabled")
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(256, method=Image.Quantize.MAXCOVERAGE, dither=Image.Dither.NONE).save(
        folder / name, optimize=True)
    assert 10_000 < (folder / name).stat().st_size < 300_000


# ------------------------------------------------------------------------ tests


def test_page_opens_with_a_path_and_named_navigation(page, app_url, tmp_path):
    open_explorer(page, app_url)
    expect_no_exception(page)
    found = paths(page)
    assert len(found) >= 1 and len(found[0]["x"]) > 1
    # A deep link as the first visit must not fall back to Streamlit's pages/ mode,
    # whose navigation would read "app", "explorer", "home".
    nav = page.locator('[data-testid="stSidebarNav"] a')
    expect(nav.filter(has_text="Trajectory explorer")).to_have_count(1)
    # Each link reads "<icon name>\n\n<label>": the label is its last line.
    labels = [text.strip().splitlines()[-1].strip() for text in nav.all_inner_texts()]
    assert labels[:2] == ["Adam, explained", "Trajectory explorer"], labels
    assert not {"app", "explorer", "home"} & {label.lower() for label in labels}, labels
    screenshot(page, "explorer.png", tmp_path)


def test_changing_beta1_redraws_the_path_and_updates_the_url(page, app_url):
    open_explorer(page, app_url)
    before, after = change_adam_beta1(page, "0.5")
    expect_no_exception(page)
    assert len(after) == len(before) == 1
    assert after[0]["x"][0] == before[0]["x"][0] and after[0]["y"][0] == before[0]["y"][0]
    assert after[0]["x"][1:] != before[0]["x"][1:]
    assert query(page).get("adam.beta1") == ["0.5"], page.url


def test_play_moves_the_current_position(page, app_url):
    open_explorer(page, app_url)
    # Before Play, the chart shows the whole run: the current step is the last.
    assert page.evaluate(STEP_JS) == 20
    shadow(page).get_by_role("button", name="Play").click()
    # Play restarts from step 0, then the step keeps growing.
    page.wait_for_function(f"() => ({STEP_JS})() < 20")
    first = page.evaluate(STEP_JS)
    page.wait_for_function(f"(first) => ({STEP_JS})() > first", arg=first)


def test_shared_link_restores_the_settings(page, app_url):
    open_explorer(page, app_url,
                  "?surface=Rosenbrock&steps=40&adam.beta1=0.5&opt=Adam&opt=SGD")
    expect_no_exception(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_role("combobox", name="Function")).to_have_value("Rosenbrock")
    expect(sidebar_input(page, "Steps")).to_have_value("40")
    expect(adam_input(page, "β1")).to_have_value("0.5")
    # Rosenbrock's own start point, since the link gives none.
    expect(sidebar_input(page, "Start x1")).to_have_value("-1.5")
    expect(sidebar_input(page, "Start x2")).to_have_value("2")
    assert selected_optimizers(page) == ["Adam", "SGD"]
    found = paths(page)
    assert len(found) == 2
    assert found[0]["name"].startswith("Adam") and found[1]["name"].startswith("SGD")
    assert (found[0]["x"][0], found[0]["y"][0]) == (-1.5, 2.0)
    expect(shadow(page).locator(".ox-title")).to_contain_text("Rosenbrock")


def test_two_adam_runs_at_different_beta2_are_drawn_and_linked(page, app_url):
    open_explorer(page, app_url, "?" + url(presets.get("beta2-small"), lecture=False)
                  .split("?", 1)[1])
    assert selected_optimizers(page) == ["Adam", "Adam 2"]
    noisy, smooth = paths(page)
    assert (noisy["name"], smooth["name"]) == ("Adam, β2 = 0.5", "Adam, β2 = 0.999")
    assert noisy["color"] != smooth["color"] and noisy["x"] != smooth["x"]
    # The second run's own field, in its expander: its value goes into the link.
    page.locator('[data-testid="stSidebar"] [data-testid="stExpander"]').filter(
        has_text="Adam 2").locator("summary").click()
    beta2 = page.locator('[data-testid="stSidebar"]').get_by_label("β2", exact=True)
    beta2.fill("0.99")
    beta2.press("Enter")
    changed = wait_for_new_paths(page, [noisy, smooth])
    assert [p["name"] for p in changed] == ["Adam, β2 = 0.5", "Adam, β2 = 0.99"]
    page.wait_for_function("() => location.search.includes('adam-2.beta2=0.99')")
    link = page.url
    page.goto("about:blank")
    page.goto(link)  # the link reopens both runs as they were
    page.wait_for_function(CHART_DRAWN_JS, timeout=TIMEOUT_MS)
    wait_idle(page)
    assert [(p["name"], p["x"]) for p in paths(page)] == [(p["name"], p["x"]) for p in changed]
    expect_no_exception(page)


def test_a_new_function_brings_its_defaults_and_reset_restores_them(page, app_url):
    open_explorer(page, app_url, "?steps=50&adam.lr=0.05")
    sidebar = page.locator('[data-testid="stSidebar"]')
    before = paths(page)
    sidebar.get_by_role("combobox", name="Function").click()
    page.get_by_role("option", name="Rosenbrock", exact=True).click()
    found = wait_for_new_paths(page, before)
    expect_no_exception(page)
    rosenbrock = surfaces.SURFACES["rosenbrock"]

    def at_defaults() -> None:
        expect(sidebar_input(page, "Steps")).to_have_value(str(rosenbrock.steps))
        expect(sidebar_input(page, "Start x1")).to_have_value("-1.5")
        expect(adam_input(page, "Learning rate")).to_have_value(f"{rosenbrock.lr['adam']:g}")
        # At their defaults the fields leave the link: it names the function alone.
        page.wait_for_function("() => new URLSearchParams(location.search).size === 1")
        assert query(page) == {"surface": ["Rosenbrock"]}

    at_defaults()
    assert len(found[0]["x"]) == rosenbrock.steps + 1 and found[0]["x"][0] == -1.5
    steps = sidebar_input(page, "Steps")
    steps.fill("30")
    steps.press("Enter")
    shorter = wait_for_new_paths(page, found)
    assert len(shorter[0]["x"]) == 31 and query(page)["steps"] == ["30"]
    sidebar.get_by_role("button", name="Reset to this function's defaults").click()
    assert wait_for_new_paths(page, shorter) == found
    at_defaults()


def test_bad_link_warns_once_and_still_draws(page, app_url):
    open_explorer(page, app_url, "?adam.beta1=1.5")
    expect_no_exception(page)
    warnings = page.locator('[data-testid="stAlertContentWarning"]')
    expect(warnings).to_have_count(1)
    text = warnings.inner_text()
    assert "β1" in text and "1.5" in text, text
    expect(page.locator('[data-testid="stAlertContentError"]')).to_have_count(0)
    # The chart is drawn with the default β1 = 0.9: the default run's path.
    (expected,) = settings.TrajectorySettings().compute()
    (drawn,) = paths(page)
    # The chart receives float32 (docs/explorer-payload.md).
    assert drawn["x"] == pytest.approx(expected.points[:, 0].tolist(), rel=1e-6, abs=1e-6)
    assert drawn["y"] == pytest.approx(expected.points[:, 1].tolist(), rel=1e-6, abs=1e-6)


def test_dragging_the_start_moves_it(page, app_url):
    open_explorer(page, app_url)
    before = paths(page)
    target = (-2.0, -2.3)  # D2L quadratic: far from the start (-5, -2) and the path
    start = page.evaluate(f"() => ({CHART_JS})().pixelOf(-5, -2)")
    end = page.evaluate(f"([x, y]) => ({CHART_JS})().pixelOf(x, y)", list(target))
    page.mouse.move(*start)
    page.mouse.down()
    for k in range(1, 21):  # as a hand drags
        page.mouse.move(start[0] + (end[0] - start[0]) * k / 20,
                        start[1] + (end[1] - start[1]) * k / 20)
    page.mouse.up()
    after = wait_for_new_paths(page, before)
    expect_no_exception(page)
    x1 = float(sidebar_input(page, "Start x1").input_value())
    x2 = float(sidebar_input(page, "Start x2").input_value())
    # Dropped where it was let go, rounded to the view's pixel size.
    assert x1 == pytest.approx(target[0], abs=0.1) and x2 == pytest.approx(target[1], abs=0.1)
    assert (after[0]["x"][0], after[0]["y"][0]) == pytest.approx((x1, x2))
    params = query(page)
    assert float(params["x1"][0]) == pytest.approx(x1) and float(params["x2"][0]) == \
        pytest.approx(x2)


def test_screenshot_rosenbrock(page, app_url, tmp_path):
    open_explorer(page, app_url,
                  "?surface=Rosenbrock&steps=500&opt=Adam&opt=Momentum&opt=SGD"
                  "&adam.lr=0.1&momentum.lr=0.001&momentum.momentum=0.9&sgd.lr=0.001")
    expect_no_exception(page)
    expect(page.locator('[data-testid="stAlertContentWarning"]')).to_have_count(0)
    found = paths(page)
    assert [p["name"].split(" (")[0] for p in found] == ["Adam", "Momentum", "SGD"]
    assert all(len(p["x"]) == 501 for p in found)
    screenshot(page, "explorer-rosenbrock.png", tmp_path)


def test_lecture_preset_shows_the_chart_alone_and_still_plays(page, app_url, tmp_path):
    preset = presets.get("lr-too-large")
    page.set_viewport_size({"width": 1600, "height": 1200})
    open_explorer(page, app_url, "?" + url(preset, lecture=True).split("?", 1)[1])
    page.set_viewport_size({"width": 1600, "height": 1200})
    expect_no_exception(page)
    expect(page.get_by_role("heading", name=preset.title)).to_be_visible()
    expect(page.get_by_text(preset.lesson)).to_be_visible()
    expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()
    expect(page.locator('[data-testid="stTabs"]')).to_have_count(0)
    expect(page.get_by_text("diverged at step").first).to_be_visible()
    expect(shadow(page).locator(".ox.lecture")).to_have_count(1)
    # The animation still plays.
    end = page.evaluate(STEP_JS)
    shadow(page).get_by_role("button", name="Play").click()
    page.wait_for_function(f"(end) => ({STEP_JS})() !== end", arg=end)
    # Leaving lecture mode keeps the preset's settings and brings the controls back.
    page.get_by_text("Leave lecture mode").click()
    expect(page.locator('[data-testid="stSidebar"]')).to_be_visible()
    assert "lecture" not in query(page) and query(page)["sgd.lr"] == ["1.0"]
    expect(sidebar_input(page, "Steps")).to_have_value("20")


def test_a_change_in_lecture_mode_says_the_lesson_no_longer_fits_and_r_or_a_link_go_back(
        page, app_url):
    page.set_viewport_size({"width": 1920, "height": 1080})
    preset = presets.get("beta2-small")
    open_explorer(page, app_url, "?" + url(preset, lecture=True).split("?", 1)[1])
    page.set_viewport_size({"width": 1920, "height": 1080})
    lesson = paths(page)
    note = page.locator('[data-testid="stAlertContentInfo"]')
    expect(note).to_have_count(0)

    def change_beta2() -> None:
        beta2 = shadow(page).get_by_label("β2", exact=True)
        beta2.focus()
        page.keyboard.press("ArrowRight")  # Adam's β2: 0.5 -> 0.525, committed
        wait_for_new_paths(page, lesson)
        expect(note).to_contain_text("Adam's β2: 0.525, the lesson's 0.5")
        expect(note).to_be_in_viewport()

    def back_at_the_lesson() -> None:
        page.wait_for_function("() => !location.search.includes('0.525')")
        page.wait_for_function(CHART_DRAWN_JS, timeout=TIMEOUT_MS)
        wait_idle(page)
        expect(note).to_have_count(0)
        assert query(page)["lecture"] == ["1"]
        assert [(p["name"], p["x"]) for p in paths(page)] == [(p["name"], p["x"])
                                                              for p in lesson]

    change_beta2()
    page.locator("h1").first.click()  # the focus off the slider: R is the lecturer's
    page.keyboard.press("r")
    back_at_the_lesson()
    change_beta2()
    page.get_by_role("link", name="Back to the lesson's settings").click()
    back_at_the_lesson()
    expect_no_exception(page)


@pytest.mark.parametrize(("name", "viewport"), [
    ("lecture.png", {"width": 1920, "height": 1080}),
    ("phone.png", {"width": 390, "height": 844})])
def test_screenshots_of_the_beta2_lesson_in_lecture_mode(page, app_url, tmp_path, name,
                                                         viewport):
    page.set_viewport_size(viewport)
    open_explorer(page, app_url, "?" + url(presets.get("beta2-small"), lecture=True)
                  .split("?", 1)[1])
    page.set_viewport_size(viewport)
    page.wait_for_timeout(300)  # the resize's redraw
    assert [p["name"] for p in paths(page)] == ["Adam, β2 = 0.5", "Adam, β2 = 0.999"]
    expect_no_exception(page)
    screenshot(page, name, tmp_path)


def run_colour(run: dict) -> tuple[int, int, int]:
    """The colour a run is drawn in: a dashed (reference) run's mixed with white by 35 %,
    as the chart's `fade`."""
    rgb = [int(run["color"][k:k + 2], 16) for k in (1, 3, 5)]
    return tuple(round(c * 0.65 + 255 * 0.35) if run["dashed"] else c for c in rgb)


def seen_along(image: Image.Image, pixels: list, colour: tuple[int, int, int]) -> float:
    """The share of `pixels` (the midpoints of a run's steps, in the viewport) with the
    run's colour within 3 px: how much of the run can be seen."""
    rgb = np.asarray(image.convert("RGB"), dtype=float)
    near = ((rgb - colour) ** 2).sum(axis=2) <= 60 ** 2  # within 60 of it in RGB
    found = [near[max(0, round(y) - 3):round(y) + 4, max(0, round(x) - 3):round(x) + 4].any()
             for x, y in pixels]
    return float(np.mean(found)) if found else 1.0


MIDPOINTS_JS = f"""() => {{
  const c = ({CHART_JS})();
  const [[x0, x1], [y0, y1]] = c.view;
  return c.runs.map((r) => {{
    const out = [];
    for (let k = 0; k + 1 < r.x.length; k++) {{
      const x = (r.x[k] + r.x[k + 1]) / 2, y = (r.y[k] + r.y[k + 1]) / 2;
      const inside = x > x0 + 0.03 * (x1 - x0) && x < x1 - 0.03 * (x1 - x0)
        && y > y0 + 0.03 * (y1 - y0) && y < y1 - 0.03 * (y1 - y0);
      if (Number.isFinite(x) && Number.isFinite(y) && inside) out.push(c.pixelOf(x, y));
    }}
    return out;
  }});
}}"""


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_every_run_is_seen_on_every_preset(page, app_url, tmp_path, name):
    """In lecture mode on a 1080p projector, each run's colour shows along most of its
    path: none is hidden under another (ε large: momentum repeats Adam's path, drawn
    narrower on it; Rosenbrock: all three follow the valley floor)."""
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_explorer(page, app_url, "?" + url(presets.get(name), lecture=True).split("?", 1)[1])
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.wait_for_timeout(300)  # the resize's redraw
    expect_no_exception(page)
    page.mouse.move(1900, 5)
    image = Image.open(io.BytesIO(page.screenshot(animations="disabled")))
    image.save(tmp_path / f"{name}.png")
    runs = paths(page)
    midpoints = page.evaluate(MIDPOINTS_JS)
    seen = {r["name"]: seen_along(image, m, run_colour(r)) for r, m in zip(runs, midpoints,
                                                                            strict=True)}
    assert all(v >= 0.6 for v in seen.values()), seen
    legend = shadow(page).locator(".ox-legend")
    if name == "eps-large":
        assert [r["sameAs"] for r in runs] == [None, 0, None]
        expect(legend).to_contain_text(re.compile(r"Momentum\s*\(same path as Adam\)"))
    else:
        expect(legend).not_to_contain_text("same path")
