"""The explorer's chart component inside the real app, in Chromium.

What only the browser can show: a slider dragged redraws the path with nothing sent to
the server, and its release commits once (the URL then carries the value); keyboard
arrows commit too, one slider value a press, and on the default view (20 steps) show
the new exact path before the server answers; the zoom survives a change; ten
optimizers × 5,000 steps load and play; the standalone HTML download, clicked twice,
arrives twice and plays offline.
"""

import io
import math
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from PIL import Image  # a dependency of streamlit
from playwright.sync_api import Page, expect

from optviz import families, presets, rules
from tests.e2e.explorer_ui import (
    CHART_DRAWN_JS,
    CHART_JS,
    TIMEOUT_MS,
    VIEWPORT,
    adam_input,
    expect_no_exception,
    open_explorer,
    paths,
    wait_for_new_paths,
    wait_idle,
)
from tests.e2e.test_browser_explorer import MIDPOINTS_JS, run_colour, seen_along
from ui.presets import url

pytestmark = pytest.mark.e2e


def chart(page: Page):
    """Locators inside the component's (open) shadow root."""
    return page.locator("[data-testid=stBidiComponentIsolated]")


def handle(page: Page, expression: str):
    return page.evaluate(f"() => {{ const c = ({CHART_JS})(); return {expression}; }}")


def box(page: Page, selector: str) -> dict:
    """The bounding box of the chart's first element matching `selector` (viewport px)."""
    return chart(page).locator(selector).first.bounding_box()


def inside(inner: dict, outer: dict) -> bool:
    return (inner["x"] >= outer["x"] - 0.5 and inner["y"] >= outer["y"] - 0.5
            and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
            and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5)


PROJECTOR = {"width": 1920, "height": 1080}


def open_lecture(page: Page, app_url: str, preset: str = "beta2-small",
                 viewport: dict = PROJECTOR) -> None:
    """A preset's lecture-mode link, opened in a window of `viewport`'s size, once the
    chart has laid itself out for it (after the page's fonts, at a frame)."""
    page.set_default_timeout(TIMEOUT_MS)
    page.set_viewport_size(viewport)
    page.goto(f"{app_url}/{url(presets.get(preset), lecture=True)}")
    page.wait_for_function(CHART_DRAWN_JS, timeout=TIMEOUT_MS)
    wait_idle(page)
    page.wait_for_function(CHART_DRAWN_JS, timeout=TIMEOUT_MS)
    after_a_frame(page)


def after_a_frame(page: Page) -> None:
    """Returns once the page's fonts are loaded and a frame has been drawn since: the
    chart lays itself out again in the frame after a resize."""
    page.evaluate("() => document.fonts.ready.then(() => new Promise((done) =>"
                  " requestAnimationFrame(() => requestAnimationFrame(done))))")


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def count_frames_sent_on(socket) -> list[int]:
    """A one-element list counting the frames the page sends on `socket` from now on."""
    sent = [0]
    socket.on("framesent", lambda _payload: sent.__setitem__(0, sent[0] + 1))
    return sent


def count_frames_sent(page: Page) -> list[int]:
    """A one-element list counting websocket frames the page sends from now on."""
    sent = [0]

    def on_socket(ws):
        ws.on("framesent", lambda _payload: sent.__setitem__(0, sent[0] + 1))

    page.on("websocket", on_socket)
    return sent


def test_pointing_at_f_against_steps_moves_the_charts_step(page, app_url):
    open_explorer(page, app_url)  # 20 steps, resting on the last
    canvas = chart(page).locator(".ox-fplot-canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box["width"] > 200 and box["height"] > 80
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 1, y)  # left of the frame: step 0
    page.wait_for_function(f"() => ({CHART_JS})().step === 0")
    page.mouse.move(box["x"] + box["width"] * 0.6, y)
    page.wait_for_function(f"() => {{ const s = ({CHART_JS})().step; return s > 5 && s < 20; }}")
    expect(chart(page).locator(".ox-step")).to_have_text(f"Step {handle(page, 'c.step')} / 20")
    page.mouse.move(box["x"] + box["width"] - 1, y)
    page.wait_for_function(f"() => ({CHART_JS})().step === 20")
    assert not handle(page, "c.playing")
    expect_no_exception(page)


@pytest.mark.parametrize("lecture", [False, True])
def test_dragging_beta1_previews_with_nothing_sent_and_release_commits(page, app_url, lecture):
    """On the page, β1's slider is under the plot; in lecture mode, over it."""
    sent = count_frames_sent(page)
    if lecture:  # the socket opens here, watched from its start
        open_lecture(page, app_url, "chapter")
    else:
        open_explorer(page, app_url)
    before = paths(page)
    slider = chart(page).get_by_label("β1", exact=True)
    box = slider.bounding_box()
    top = float(slider.get_attribute("max"))
    y = box["y"] + box["height"] / 2

    def thumb(position: float) -> float:
        return box["x"] + 8 + (box["width"] - 16) * position / top

    # The slider's positions are β1's values: the thumb goes to 0.3's.
    x0 = thumb(float(slider.input_value()))
    x1 = thumb(families.SLIDERS["beta1"].values.index(0.3))
    page.mouse.move(x0, y)
    page.mouse.down()
    frames_at_press = sent[0]
    previews = set()
    for k in range(1, 41):  # about two seconds of a hand dragging
        page.mouse.move(x0 + (x1 - x0) * k / 40, y)
        page.wait_for_timeout(50)
        preview = handle(page, "c.preview")
        if preview:
            previews.add(round(preview.get("value", 0), 4))
    assert sent[0] == frames_at_press, "a drag must send nothing to the server"
    assert len(previews) >= 3, f"the preview must follow the drag: {previews}"
    page.mouse.up()
    after = wait_for_new_paths(page, before)
    expect_no_exception(page)
    assert query(page)["adam.beta1"] == ["0.3"]
    expect(adam_input(page, "β1")).to_have_value("0.3")
    assert after[0]["x"][0] == before[0]["x"][0] and after[0]["x"][1:] != before[0]["x"][1:]


def test_keyboard_arrows_commit_and_the_zoom_survives(page, app_url):
    open_explorer(page, app_url)
    chart(page).get_by_role("button", name="Zoom in").click()
    zoomed = handle(page, "c.view")
    before = paths(page)
    chart(page).get_by_label("β1", exact=True).focus()
    page.keyboard.press("ArrowLeft")
    after = wait_for_new_paths(page, before)
    assert query(page)["adam.beta1"] == ["0.875"]  # β1's values step by 0.025 to 0.975
    assert after != before
    assert handle(page, "c.view") == zoomed  # the new blob did not reset the view


def test_a_keyboard_release_shows_the_exact_path_before_the_server_answers(page, app_url):
    """The default view's 20 steps are all in the families: the released value's path is
    drawn as the committed one while the commit is still pending, and the server's blob
    brings that very path."""
    open_explorer(page, app_url)
    before = paths(page)
    chart(page).get_by_label("β1", exact=True).focus()
    page.keyboard.press("ArrowLeft")
    # Read at once with the pending flag: the server answers within ~150 ms.
    shown, head = page.wait_for_function(
        f"(before) => {{ const c = ({CHART_JS})(); "
        "if (!c.pending || JSON.stringify(c.runs) === JSON.stringify(before)) return null; "
        "const h = document.querySelector('[data-testid=stBidiComponentIsolated]')"
        ".shadowRoot.querySelector('.ox-readout-head'); return [c.runs, h.textContent]; }",
        arg=before, timeout=TIMEOUT_MS, polling=1).json_value()
    assert shown[0]["x"] != before[0]["x"]
    assert head == "β1 = 0.875 · computing…"
    after = wait_for_new_paths(page, before)
    assert query(page)["adam.beta1"] == ["0.875"]
    assert after == shown, "the server's path is the one shown at the release"
    expect(chart(page).locator(".ox-readout-head")).not_to_contain_text("computing")


def test_ten_optimizers_by_5000_steps_load_and_play(page, app_url):
    titles = "&".join(f"opt={r.title.replace(' ', '+')}" for r in rules.RULES.values())
    open_explorer(page, app_url, f"?steps=5000&{titles}")
    expect_no_exception(page)
    drawn = paths(page)
    assert len(drawn) == 10 and all(len(p["x"]) == 5001 for p in drawn)
    chart(page).get_by_role("button", name="Play").click()
    page.wait_for_function(f"() => ({CHART_JS})().step < 5000", timeout=TIMEOUT_MS)
    first = handle(page, "c.step")
    page.wait_for_function(f"(s) => ({CHART_JS})().step > s", arg=first, timeout=TIMEOUT_MS)


def test_html_download_twice_and_it_plays_offline(page, app_url, tmp_path, browser):
    open_explorer(page, app_url, "?tab=Downloads")
    wait_idle(page)
    button = page.get_by_role("button", name="Figure (standalone HTML")
    files = []
    for _ in range(2):  # in quick succession: both must arrive
        with page.expect_download(timeout=TIMEOUT_MS) as download:
            button.click()
        files.append(Path(download.value.path()))
    assert len(files) == 2 and all(f.stat().st_size > 50_000 for f in files)
    assert files[0].read_bytes() == files[1].read_bytes()

    offline = browser.new_context(offline=True)
    try:
        viewer = offline.new_page()
        errors = []
        viewer.on("pageerror", lambda e: errors.append(str(e)))
        target = tmp_path / "optviz.html"
        target.write_bytes(files[0].read_bytes())
        viewer.goto(target.as_uri())
        host = "#chart"
        viewer.wait_for_function(
            f"() => {{ const r = document.querySelector('{host}').shadowRoot.querySelector('.ox');"
            " return r && r.__explorer && r.__explorer.runs && r.__explorer.runs.length; }",
            timeout=TIMEOUT_MS)
        step = (f"() => document.querySelector('{host}').shadowRoot"
                ".querySelector('.ox').__explorer.step")
        assert viewer.evaluate(step) == 20
        viewer.locator(host).get_by_role("button", name="Play").click()
        viewer.wait_for_function(f"() => ({step})() < 20", timeout=TIMEOUT_MS)
        viewer.wait_for_function(f"() => ({step})() === 20", timeout=TIMEOUT_MS)  # played
        viewer.locator(host).get_by_label("Step", exact=True).fill("7")  # scrubbed
        viewer.wait_for_function(f"() => ({step})() === 7", timeout=TIMEOUT_MS)
        assert errors == []
    finally:
        offline.close()


def test_the_state_inspector_follows_the_charts_step(page, app_url):
    open_explorer(page, app_url, "?tab=State%20inspector")
    inspector = page.locator('[data-testid="stTabs"] [data-testid="stSlider"] '
                             '[data-testid="stSliderThumbValue"]')  # not the noise slider
    expect(inspector).to_have_text("1")
    back = chart(page).get_by_role("button", name="Step back")
    back.click()
    back.click()  # the chart rests on step 18, then tells the page once
    expect(inspector).to_have_text("18", timeout=TIMEOUT_MS)
    expect_no_exception(page)


def test_lecture_mode_link_keeps_what_was_changed_and_leads_back(page, app_url):
    open_explorer(page, app_url)
    before = paths(page)
    chart(page).get_by_label("β1", exact=True).focus()
    page.keyboard.press("ArrowLeft")  # 0.9 -> 0.875, committed: the URL now says so
    wait_for_new_paths(page, before)
    page.wait_for_function("() => location.search.includes('adam.beta1=0.875')")
    chart(page).get_by_role("link", name="Lecture mode", exact=True).click()
    page.wait_for_url("**lecture=1**")
    page.wait_for_function(f"() => ({CHART_JS})() && ({CHART_JS})().steps > 0",
                           timeout=TIMEOUT_MS)
    assert query(page)["adam.beta1"] == ["0.875"]
    expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()  # the projector view
    expect(chart(page).get_by_label("β1", exact=True)).to_have_attribute(
        "aria-valuetext", "0.875")
    chart(page).get_by_role("link", name="Leave lecture mode").click()
    page.wait_for_function("() => !location.search.includes('lecture')")
    page.wait_for_function(f"() => ({CHART_JS})() && ({CHART_JS})().steps > 0",
                           timeout=TIMEOUT_MS)
    assert query(page)["adam.beta1"] == ["0.875"]
    expect(adam_input(page, "β1")).to_have_value("0.875")
    expect_no_exception(page)


def test_a_lecturers_keys_play_step_and_change_the_speed(page, app_url):
    open_explorer(page, app_url)
    page.locator("h1").first.click()  # focus on the page, not on a control
    page.keyboard.press("ArrowLeft")
    assert handle(page, "c.step") == 19 and not handle(page, "c.playing")
    page.keyboard.press("]")
    expect(chart(page).get_by_label("Speed")).to_have_value("2")
    page.keyboard.press(" ")  # plays from 19 to the end, then stops
    page.wait_for_function(f"() => ({CHART_JS})().step === 20", timeout=TIMEOUT_MS)
    page.keyboard.press(" ")  # plays again from the start
    page.wait_for_function(f"() => ({CHART_JS})().playing", timeout=TIMEOUT_MS)
    page.keyboard.press(" ")
    page.wait_for_function(f"() => !({CHART_JS})().playing", timeout=TIMEOUT_MS)
    # On a focused slider the arrows are the slider's: β1 moves, the step does not.
    step = handle(page, "c.step")
    chart(page).get_by_label("β1", exact=True).focus()
    page.keyboard.press("ArrowLeft")
    expect(chart(page).get_by_label("β1", exact=True)).to_have_attribute("aria-valuetext",
                                                                          "0.875")
    assert handle(page, "c.step") == step


def test_full_screen_gives_the_plot_the_screen_with_the_sliders_over_it(page, app_url):
    open_explorer(page, app_url)
    page.set_viewport_size(PROJECTOR)  # a smaller window keeps the sliders under the plot
    size = page.viewport_size
    page.wait_for_function("(width) => document.querySelector("
                           "'[data-testid=stBidiComponentIsolated]').getBoundingClientRect()"
                           ".width > width", arg=VIEWPORT["width"])
    after_a_frame(page)
    plot = chart(page).locator(".ox-plot")
    beta1 = chart(page).get_by_label("β1", exact=True)
    before = plot.bounding_box()["height"]
    assert beta1.bounding_box()["y"] >= plot.bounding_box()["y"] + before  # under the plot
    chart(page).get_by_role("button", name="Full screen").click()
    exit_button = chart(page).get_by_role("button", name="Exit full screen")
    expect(exit_button).to_be_visible()
    expect(chart(page).locator(".ox.full.overlay")).to_have_count(1)
    page.wait_for_function(  # the next frame lays the plot out again
        "(before) => document.querySelector('[data-testid=stBidiComponentIsolated]')"
        ".shadowRoot.querySelector('.ox-plot').getBoundingClientRect().height > before",
        arg=before)
    full = plot.bounding_box()["height"]
    assert full > 0.5 * size["height"], (before, full, size)
    expect(beta1).to_be_visible()
    assert inside(beta1.bounding_box(), plot.bounding_box())
    page.keyboard.press("f")  # the sliders go, the player stays; the plot keeps its size
    expect(beta1).to_be_hidden()
    expect(chart(page).get_by_role("button", name="Play")).to_be_visible()
    expect(chart(page).get_by_role("button", name="Show controls")).to_be_visible()
    assert plot.bounding_box()["height"] == pytest.approx(full, abs=1)
    page.keyboard.press("f")
    expect(beta1).to_be_visible()
    exit_button.click()
    expect(chart(page).get_by_role("button", name="Full screen")).to_be_visible()
    expect(chart(page).locator(".ox.overlay")).to_have_count(0)  # under the plot again
    page.wait_for_function(
        "(before) => Math.abs(document.querySelector('[data-testid=stBidiComponentIsolated]')"
        ".shadowRoot.querySelector('.ox-plot').getBoundingClientRect().height - before) <= 2",
        arg=before)
    assert beta1.bounding_box()["y"] >= plot.bounding_box()["y"] + before
    expect_no_exception(page)


def test_lecture_mode_fits_title_lesson_chart_and_player_in_a_1080p_window(page, app_url):
    preset = presets.get("beta2-small")
    open_lecture(page, app_url, preset.name)
    window = page.viewport_size
    plot, player = box(page, ".ox-plot"), box(page, ".ox-player")
    assert plot["width"] * plot["height"] >= 0.4 * window["width"] * window["height"], plot
    assert plot["y"] + plot["height"] <= player["y"]
    assert player["y"] + player["height"] <= window["height"], player  # no scrolling
    for part in (page.get_by_role("heading", name=preset.title), page.get_by_text(preset.lesson),
                 chart(page).locator(".ox-title"), chart(page).locator(".ox-legend")):
        expect(part).to_be_in_viewport(ratio=1)
    # The chart's heading and its legend share a line.
    title, legend = box(page, ".ox-title"), box(page, ".ox-legend")
    assert legend["y"] < title["y"] + title["height"]
    assert title["y"] < legend["y"] + legend["height"]
    assert page.evaluate("() => scrollY") == 0
    expect_no_exception(page)


@pytest.mark.parametrize("viewport", [{"width": 1024, "height": 768},
                                      {"width": 768, "height": 1024}])
def test_on_a_tablet_in_lecture_mode_the_plot_and_player_fit(page, app_url, viewport):
    open_lecture(page, app_url, "rosenbrock", viewport)
    plot, player = box(page, ".ox-plot"), box(page, ".ox-player")
    assert plot["height"] >= 300 and plot["width"] >= 0.8 * viewport["width"], plot
    assert plot["y"] + plot["height"] <= player["y"]
    assert player["y"] + player["height"] <= viewport["height"], player
    # The sliders are over the plot only where they leave most of it in view.
    sliders = box(page, ".ox-sliders")
    over = inside(sliders, plot)
    assert over or sliders["y"] >= player["y"] + player["height"], (sliders, plot)
    assert (chart(page).locator(".ox.overlay").count() == 1) == over
    expect_no_exception(page)


def test_lecture_mode_puts_the_sliders_over_the_plot_clear_of_the_start(page, app_url):
    open_lecture(page, app_url, "beta2-small")
    plot, panel = box(page, ".ox-plot"), box(page, ".ox-sliders")
    assert inside(panel, plot), (panel, plot)
    for label in ("Learning rate", "β1", "β2", "ε"):
        assert inside(chart(page).get_by_label(label, exact=True).bounding_box(), panel), label
    start = paths(page)[0]
    sx, sy = handle(page, f"c.pixelOf({start['x'][0]}, {start['y'][0]})")
    assert not inside({"x": sx, "y": sy, "width": 0, "height": 0}, panel)
    # Its sliders work as under the plot: an arrow key commits one value.
    before = paths(page)
    chart(page).get_by_label("β1", exact=True).focus()
    page.keyboard.press("ArrowLeft")
    after = wait_for_new_paths(page, before)
    assert query(page)["adam.beta1"] == ["0.875"]
    assert after[0]["x"][1:] != before[0]["x"][1:]
    expect(chart(page).get_by_label("β1", exact=True)).to_have_attribute("aria-valuetext",
                                                                          "0.875")
    expect_no_exception(page)


def test_f_and_the_hide_controls_button_hide_and_show_the_sliders_over_the_plot(page,
                                                                                 app_url):
    open_lecture(page, app_url, "beta2-small")
    beta1 = chart(page).get_by_label("β1", exact=True)
    expect(beta1).to_be_visible()
    page.locator("h1").first.click()  # focus on the page, not on a control
    page.keyboard.press("f")
    expect(beta1).to_be_hidden()
    show = chart(page).get_by_role("button", name="Show controls")
    expect(show).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("F")
    expect(beta1).to_be_visible()
    hide = chart(page).get_by_role("button", name="Hide controls")
    expect(hide).to_have_attribute("aria-expanded", "true")
    hide.click()
    expect(beta1).to_be_hidden()
    expect(chart(page).get_by_role("button", name="Play")).to_be_visible()  # the player stays
    show.click()
    expect(beta1).to_be_visible()
    beta1.focus()  # on a slider, F is still the chart's (its arrows are the slider's)
    page.keyboard.press("f")
    expect(beta1).to_be_hidden()
    expect_no_exception(page)


def test_a_lecturers_keys_work_in_lecture_mode(page, app_url):
    open_lecture(page, app_url, "beta2-small")
    end = handle(page, "c.steps")
    assert handle(page, "c.step") == end
    page.locator("h1").first.click()
    page.keyboard.press("ArrowLeft")
    assert handle(page, "c.step") == end - 1 and not handle(page, "c.playing")
    page.keyboard.press("ArrowRight")
    assert handle(page, "c.step") == end
    speed = chart(page).get_by_label("Speed")
    page.keyboard.press("[")
    expect(speed).to_have_value("0.5")
    page.keyboard.press("]")
    page.keyboard.press("]")
    expect(speed).to_have_value("2")
    page.keyboard.press(" ")  # at the end: plays again from the start
    page.wait_for_function(f"() => ({CHART_JS})().playing", timeout=TIMEOUT_MS)
    page.keyboard.press(" ")
    page.wait_for_function(f"() => !({CHART_JS})().playing", timeout=TIMEOUT_MS)
    assert handle(page, "c.step") < end
    expect_no_exception(page)


def test_r_sends_the_server_one_distinct_reset_commit_a_press(page, app_url):
    """Streamlit runs a state value's callback only when the value changed: two presses
    of R must send two different values. R is Streamlit's own key too (rerun the page):
    the chart's takes it, so a press sends the commit alone."""
    def as_bytes(payload) -> bytes:
        return payload if isinstance(payload, bytes) else payload.encode()

    def is_reset(payload) -> bool:
        return b'"param":"reset"' in as_bytes(payload)

    with page.expect_websocket() as socket:
        open_lecture(page, app_url, "beta2-small")
    before = paths(page)
    page.locator("h1").first.click()  # focus on the page, not on a control
    frames = count_frames_sent_on(socket.value)
    sent = []
    for key in ("r", "R"):
        before_press = frames[0]
        with socket.value.expect_event("framesent", predicate=is_reset) as frame:
            page.keyboard.press(key)
        sent.append(as_bytes(frame.value))
        # Streamlit's rerun would have gone first, at the keydown; the commit waits for a
        # timeout (setStateValue).
        assert frames[0] - before_press == 1, key
        wait_idle(page)
    assert sent[0] != sent[1]
    assert not handle(page, "c.pending")  # not a slider's commit: nothing awaits a blob
    assert paths(page) == before
    expect_no_exception(page)


@pytest.mark.parametrize("lecture", [False, True])
def test_on_a_phone_the_charts_parts_stack_without_overlapping(page, app_url, lecture):
    page.set_viewport_size({"width": 390, "height": 844})
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{app_url}/explorer?preset=rosenbrock" + ("&lecture=1" if lecture else ""))
    page.wait_for_function(f"() => ({CHART_JS})() && ({CHART_JS})().steps > 0",
                           timeout=TIMEOUT_MS)
    parts = [".ox-title", ".ox-legend", ".ox-plot", ".ox-colorbar", ".ox-player",
             ".ox-sliders", ".ox-readout"]
    boxes = {p: chart(page).locator(p).first.bounding_box() for p in parts}
    for p, box in boxes.items():
        assert box is not None and box["width"] > 0, p
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 0.5, (p, box)
    # Top to bottom, each part below the one before: nothing drawn over anything.
    for above, below in zip(parts, parts[1:], strict=False):
        a, b = boxes[above], boxes[below]
        assert a["y"] + a["height"] <= b["y"] + 0.5, (above, a, below, b)
    assert boxes[".ox-plot"]["width"] >= 300 and boxes[".ox-plot"]["height"] >= 200
    expect_no_exception(page)


# ------------------------------------------------------------- predict, then play

PHONE = {"width": 390, "height": 844}



def seen_per_run(page: Page) -> dict[str, float]:
    """How much of each run's path shows in a screenshot (see seen_along)."""
    after_a_frame(page)
    page.mouse.move(2, 2)  # no hover effects over the plot
    image = Image.open(io.BytesIO(page.screenshot(animations="disabled")))
    midpoints = page.evaluate(MIDPOINTS_JS)
    return {r["name"]: seen_along(image, m, run_colour(r))
            for r, m in zip(paths(page), midpoints, strict=True) if m}


def data_pixel(page: Page) -> tuple[float, float]:
    """One screen pixel of the plot in data units, along x1 and x2."""
    (x0, x1), (y0, y1) = handle(page, "c.view")
    ax, ay = handle(page, f"c.pixelOf({x0}, {y0})")
    bx, by = handle(page, f"c.pixelOf({x1}, {y1})")
    return (x1 - x0) / abs(bx - ax), (y1 - y0) / abs(by - ay)


def a_point_off_the_panel(page: Page) -> tuple[float, float]:
    """A data point in the plot, clear of the slider panel over it (lecture mode) and
    of the start square: 40 % across, 60 % up the view, or a step further in."""
    (x0, x1), (y0, y1) = handle(page, "c.view")
    panel = box(page, ".ox-sliders")
    start = paths(page)[0]
    sx, sy = handle(page, f"c.pixelOf({start['x'][0]}, {start['y'][0]})")
    for fx, fy in ((0.4, 0.6), (0.6, 0.4), (0.4, 0.4), (0.6, 0.6)):
        x, y = x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)
        px, py = handle(page, f"c.pixelOf({x}, {y})")
        on_panel = panel and inside({"x": px, "y": py, "width": 0, "height": 0}, panel)
        if not on_panel and math.hypot(px - sx, py - sy) > 40:
            return x, y
    raise AssertionError("no free point to click")


@pytest.mark.parametrize("where", ["page", "lecture", "phone"])
def test_predict_hides_the_paths_a_click_guesses_and_reveal_measures_the_guess(page, app_url,
                                                                               where):
    if where == "lecture":
        open_lecture(page, app_url, "chapter")
    else:
        open_explorer(page, app_url)
        if where == "phone":
            page.set_viewport_size(PHONE)
            after_a_frame(page)
    plot = chart(page).locator(".ox-plot")
    prompt = chart(page).locator(".ox-prompt")
    plot.scroll_into_view_if_needed()
    assert min(seen_per_run(page).values()) >= 0.6  # the paths show to begin with

    chart(page).get_by_role("button", name="Predict").click()
    expect(chart(page).get_by_role("button", name="Predict")).to_have_attribute(
        "aria-pressed", "true")
    run = paths(page)[handle(page, "c.exerciseRun")]
    steps = len(run["x"]) - 1
    expect(prompt).to_have_text(re.compile(
        rf"Where will {re.escape(run['name'])} be after {steps} steps\? Click the plot\."))
    for part in (".ox-readout", ".ox-fplot"):  # they would give the answer away
        expect(chart(page).locator(part)).to_be_hidden()
    plot.scroll_into_view_if_needed()
    hidden = seen_per_run(page)
    assert max(hidden.values()) <= 0.1, hidden
    assert handle(page, "c.exercise") and handle(page, "c.guess") is None
    # The prompt stands above the plot, never over it.
    assert box(page, ".ox-prompt")["y"] + box(page, ".ox-prompt")["height"] <= box(
        page, ".ox-plot")["y"] + 0.5
    if where == "lecture":  # the player still fits the projector's window
        player = box(page, ".ox-player")
        assert player["y"] + player["height"] <= PROJECTOR["height"]
        assert inside(box(page, ".ox-sliders"), box(page, ".ox-plot"))  # the panel stays

    # A drag pans and places nothing.
    view = handle(page, "c.view")
    gx, gy = a_point_off_the_panel(page)
    px, py = handle(page, f"c.pixelOf({gx}, {gy})")
    page.mouse.move(px, py)
    page.mouse.down()
    page.mouse.move(px - 40, py - 20, steps=4)
    page.mouse.up()
    assert handle(page, "c.view") != view
    assert handle(page, "c.guess") is None
    # A click places the guess at the data point under it.
    gx, gy = a_point_off_the_panel(page)
    page.mouse.click(*handle(page, f"c.pixelOf({gx}, {gy})"))
    guess = handle(page, "c.guess")
    dx, dy = data_pixel(page)
    assert guess[0] == pytest.approx(gx, abs=dx) and guess[1] == pytest.approx(gy, abs=dy)
    expect(prompt).to_contain_text("Click again to move your guess.")

    prompt.get_by_role("button", name="Reveal").click()
    page.wait_for_function(f"() => ({CHART_JS})().answered", timeout=TIMEOUT_MS)
    assert handle(page, "c.step") == steps
    true = math.hypot(guess[0] - run["x"][-1], guess[1] - run["y"][-1])
    assert handle(page, "c.guessDistance") == pytest.approx(true, rel=1e-9)
    expect(prompt).to_contain_text("Your guess was")
    shown = re.fullmatch(r"Your guess was (\S+) from (.+)'s point at step (\d+)\.\s*Ask again",
                         prompt.inner_text().replace("\n", " ").strip())
    assert shown, prompt.inner_text()
    assert float(shown[1]) == pytest.approx(true, rel=5e-3)  # three significant digits
    assert (shown[2], int(shown[3])) == (run["name"], steps)
    expect(chart(page).locator(".ox-readout")).to_be_visible()
    plot.scroll_into_view_if_needed()
    revealed = seen_per_run(page)
    assert min(revealed.values()) >= 0.6, revealed

    # Predict again leaves the exercise: everything as before.
    chart(page).get_by_role("button", name="Predict").click()
    expect(prompt).to_be_hidden()
    assert not handle(page, "c.exercise") and handle(page, "c.guess") is None
    expect(chart(page).locator(".ox-fplot")).to_be_visible()
    expect_no_exception(page)


def test_p_switches_the_exercise_and_a_changed_setting_asks_afresh(page, app_url):
    open_explorer(page, app_url)
    page.locator("h1").first.click()  # focus on the page, not on a control
    page.keyboard.press("p")
    assert handle(page, "c.exercise")
    gx, gy = a_point_off_the_panel(page)
    page.mouse.click(*handle(page, f"c.pixelOf({gx}, {gy})"))
    assert handle(page, "c.guess") is not None
    # A changed setting keeps the exercise on, asking about the new run, the guess gone.
    before = paths(page)
    chart(page).get_by_label("β1", exact=True).focus()
    page.keyboard.press("ArrowLeft")
    wait_for_new_paths(page, before)
    page.wait_for_function(f"() => ({CHART_JS})().guess === null", timeout=TIMEOUT_MS)
    assert handle(page, "c.exercise") and not handle(page, "c.revealed")
    expect(chart(page).locator(".ox-readout")).to_be_hidden()
    # Space (Play) reveals; without a guess the prompt says where the run ended.
    page.locator("h1").first.click()
    page.keyboard.press(" ")
    page.wait_for_function(f"() => ({CHART_JS})().answered", timeout=TIMEOUT_MS)
    assert handle(page, "c.guessDistance") is None
    expect(chart(page).locator(".ox-prompt")).to_contain_text("at step 20: (")
    page.keyboard.press("P")
    assert not handle(page, "c.exercise")
    expect(chart(page).locator(".ox-prompt")).to_be_hidden()
    expect(chart(page).locator(".ox-readout")).to_be_visible()
    expect_no_exception(page)
