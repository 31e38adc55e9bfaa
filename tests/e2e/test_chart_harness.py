"""The explorer chart component (ui/components/explorer/) in Chromium, outside Streamlit.

tests/js/harness.html mounts the component as Streamlit 1.67 does (a shadow root, the
blob as a Uint8Array at an odd offset) and records setStateValue calls; the page is
served from the repository root by a local http.server on 127.0.0.1. Blobs come from
tests/js/make_fixture.py (the payload document's layout, independent of optviz) and are
handed to the page through Playwright routes.

The small fixture's runs have 20 steps, so its families keep every step and a slider's
release shows the exact path at once; the ten 5,000-step runs' families keep 300 steps,
and a release there previews until the blob arrives.

The drag repaint times (input event → the frame drawn) are printed, not asserted:
`pytest -s -k chart_harness` shows them.
"""

import functools
import http.server
import importlib.util
import re
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
VIEWPORT = {"width": 1400, "height": 1000}


def _fixture_module():
    spec = importlib.util.spec_from_file_location("make_fixture", ROOT / "tests/js/make_fixture.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BETAS = _fixture_module().BETAS  # the β sliders' values: their positions


@pytest.fixture(scope="module")
def blobs():
    """Payloads by name: the small fixture with β1 = 0.9, 0.875 (one arrow key left) and
    0.5, ten 5,000-step runs, and the small one (β1 = 0.9, 0.875) with the header's
    "predict" flag."""
    mf = _fixture_module()
    return {
        "small": mf.build(),
        "beta0875": mf.build(beta1=0.875),
        "beta05": mf.build(beta1=0.5),
        "big": mf.build(runs=10, steps=5000),
        "predict": mf.build(predict=True),
        "predict0875": mf.build(beta1=0.875, predict=True),
    }


@pytest.fixture(scope="module")
def harness_url():
    handler = functools.partial(_QuietHandler, directory=str(ROOT))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/tests/js/harness.html"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def chart(page: Page, harness_url, blobs):
    """The harness page with the small blob mounted; page errors fail the test."""
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size(VIEWPORT)
    page.set_default_timeout(15_000)
    for name, blob in blobs.items():
        # A predicate, not a glob: "**/blobs/small.optv" would match the page's own URL
        # (its query names the blob).
        page.route(functools.partial(_is_path, f"/blobs/{name}.optv"),
                   functools.partial(_fulfil, blob))
    page.goto(f"{harness_url}?blob=/blobs/small.optv")
    page.wait_for_function("window.harness && window.harness.ready")
    page.wait_for_function("() => window.harness.chart().view !== undefined")
    yield page
    assert errors == []


def _is_path(path, url):
    return urlparse(url).path == path


def _fulfil(blob, route):
    route.fulfill(body=blob, content_type="application/octet-stream")


def calls(page: Page) -> list[dict]:
    return page.evaluate("() => window.harness.calls.map(c => ({name: c.name, value: c.value}))")


def state(page: Page) -> dict:
    return page.evaluate("""() => { const c = window.harness.chart();
        return {view: c.view, step: c.step, playing: c.playing, preview: c.preview,
                steps: c.steps, pending: c.pending}; }""")


def runs(page: Page) -> list[dict]:
    """The handle's runs (NaN reads as None)."""
    return page.evaluate("() => JSON.parse(JSON.stringify(window.harness.chart().runs))")


def runs_of(page: Page, blob: str) -> list[dict]:
    """The runs the chart shows for `blob`, loaded, and then the small blob back."""
    page.evaluate(f"() => window.harness.load('/blobs/{blob}.optv')")
    page.wait_for_function("() => !window.harness.chart().pending")
    found = runs(page)
    page.evaluate("() => window.harness.load('/blobs/small.optv')")
    return found


def after_timeouts(page: Page) -> None:
    """Until the timeouts queued so far have run (a commit draws its exact path in one)."""
    page.evaluate("() => new Promise(r => setTimeout(r, 0))")


CANVAS_HASH = """() => {
  const c = window.harness.shadow.querySelector('canvas.ox-fg');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let h = 0;
  for (let i = 0; i < d.length; i += 7) h = (h * 31 + d[i]) | 0;
  return h;
}"""


def next_frame(page: Page) -> None:
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def thumb_x(box: dict, position: float, last: float) -> float:
    """Roughly where a native range input's thumb sits (Chromium: a 16 px thumb)."""
    return box["x"] + 8 + (box["width"] - 16) * position / last


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(0.95 * len(values)))]


# ------------------------------------------------------------------------ tests


def drag_slider(page: Page, label: str, to_position: float, moves: int = 40, check=None):
    """Drags a slider's thumb with the mouse towards `to_position` (an index into its
    values), calling check(k) every 8 moves while the button is still down; returns the
    repaint stats of the drag."""
    slider = page.get_by_label(label, exact=True)
    box = slider.bounding_box()
    last = float(slider.get_attribute("max"))
    y = box["y"] + box["height"] / 2
    x0 = thumb_x(box, float(slider.input_value()), last)
    x1 = thumb_x(box, to_position, last)
    page.evaluate("() => { window.harness.chart().stats.length = 0; }")
    page.mouse.move(x0, y)
    page.mouse.down()
    for k in range(1, moves + 1):
        page.mouse.move(x0 + (x1 - x0) * k / moves, y)
        if check and k % 8 == 0:
            next_frame(page)
            check(k)
    stats = page.evaluate("() => window.harness.chart().stats.filter(s => s.latency !== null)")
    page.mouse.up()
    return stats


def report(what: str, stats: list[dict]) -> None:
    lat = sorted(s["latency"] for s in stats)
    draw = [s["draw"] for s in stats]
    print(f"\n{what}: {len(lat)} repaints; input → frame drawn p50 {lat[len(lat) // 2]:.1f} ms, "
          f"p95 {p95(lat):.1f} ms; the frame's drawing alone p95 {p95(draw):.2f} ms")


def test_beta1_drag_previews_in_the_browser_and_commits_once_on_release(chart):
    page = chart
    beta1 = page.get_by_label("β1", exact=True)
    expect(beta1).to_have_attribute("aria-valuetext", "0.9")
    before = page.evaluate(CANVAS_HASH)
    hashes = set()

    def during(k):
        hashes.add(page.evaluate(CANVAS_HASH))
        preview = state(page)["preview"]
        assert preview["kind"] == "param" and preview["param"] == "beta1"
        assert calls(page) == [], "nothing may go to Python while dragging"

    # Towards β1 = 0.3, in small moves, as a hand drags.
    stats = drag_slider(page, "β1", BETAS.index(0.3), check=during)
    assert before not in hashes, "the path must change during the drag"
    assert len(hashes) >= 3, "the path must follow the drag"

    # The thumb rests on a value of the slider, the family's: committed as the header has it.
    assert calls(page) == [{"name": "commit", "value": {"param": "beta1", "value": 0.3}}]
    expect(beta1).to_have_attribute("aria-valuetext", "0.3")
    next_frame(page)
    assert len(calls(page)) == 1, "one commit per release"
    report("β1 drag, 4 runs × 20 steps", stats)


def test_keyboard_arrows_move_a_slider_and_commit_each_press(chart):
    page = chart
    beta1 = page.get_by_label("β1", exact=True)
    beta1.focus()
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowRight")
    # One value a press: β1's values step by 0.025 up to 0.975.
    assert [c["value"] for c in calls(page)] == [
        {"param": "beta1", "value": 0.875},
        {"param": "beta1", "value": 0.85},
        {"param": "beta1", "value": 0.875},
    ]
    expect(beta1).to_have_attribute("aria-valuetext", "0.875")
    lr = page.get_by_label("Learning rate", exact=True)
    lr.focus()
    page.keyboard.press("ArrowUp")
    # 10 values a decade: … 0.3, 0.4, 0.5 …
    assert calls(page)[-1]["value"] == {"param": "lr", "value": 0.5}
    expect(lr).to_have_attribute("aria-valuetext", "0.5")
    page.keyboard.press("End")
    assert calls(page)[-1]["value"] == {"param": "lr", "value": 100.0}
    expect(lr).to_have_attribute("aria-valuetext", "100")


def test_a_release_shows_the_exact_path_at_once_and_its_readout_when_the_blob_comes(chart):
    """20 steps: the family keeps every step, and its row at the released value is the run
    Python computes for it. The chart draws it as the committed path right after the
    request goes out (the harness has no server: nothing else could draw it), the
    readout's quantities pending until the blob."""
    page = chart
    exact = runs_of(page, "beta0875")
    first = runs(page)
    assert exact[0] != first[0] and exact[1:] == first[1:]
    page.wait_for_function("() => !window.harness.chart().pending")
    beta1 = page.get_by_label("β1", exact=True)
    beta1.focus()
    next_frame(page)
    redrawn = page.evaluate("() => window.harness.chart().redrawn")
    page.keyboard.press("ArrowLeft")
    after_timeouts(page)
    assert runs(page) == exact, "the exact path, point for point, before any blob"
    assert state(page)["preview"] is None and state(page)["pending"]
    head = page.locator("#host .ox-readout-head")
    expect(head).to_have_text("β1 = 0.875 · computing…")
    cells = page.locator("#host .ox-readout td")
    assert cells.all_inner_texts()[2:] == ["…"] * 10  # g, m̂, v̂, η/(√v̂+ε), Δx: Python's
    next_frame(page)
    assert page.evaluate("() => window.harness.chart().redrawn") == redrawn + 1
    # The blob brings the same path: nothing is drawn again, the readout fills in.
    page.evaluate("() => window.harness.load('/blobs/beta0875.optv')")
    expect(head).to_have_text(re.compile(r"^Adam · step 20 · f = "))
    next_frame(page)
    assert page.evaluate("() => window.harness.chart().redrawn") == redrawn + 1
    assert runs(page) == exact and not state(page)["pending"]
    assert "…" not in cells.all_inner_texts()


def test_a_long_run_previews_its_release_until_the_blob(chart):
    """5,000 steps: the family keeps 300 of them, a preview; the committed path stays."""
    page = chart
    page.evaluate("() => window.harness.load('/blobs/big.optv')")
    page.wait_for_function("() => window.harness.chart().steps === 5000")
    first = runs(page)
    page.get_by_label("β1", exact=True).focus()
    page.keyboard.press("ArrowLeft")
    after_timeouts(page)
    s = state(page)
    assert s["preview"] == {"kind": "param", "param": "beta1", "value": 0.875} and s["pending"]
    assert runs(page) == first
    expect(page.locator("#host .ox-readout-head")).to_have_text("β1 = 0.875 · computing…")


def test_a_commit_answered_by_no_new_payload_falls_back_to_the_payload(chart):
    """Streamlit does not re-render for an unchanged blob: neither an exact path shown at
    the release nor a preview may stick."""
    page = chart
    first = runs(page)
    beta1 = page.get_by_label("β1", exact=True)
    beta1.focus()
    page.keyboard.press("ArrowLeft")
    after_timeouts(page)
    assert runs(page) != first and state(page)["pending"]
    head = page.locator("#host .ox-readout-head")
    expect(head).to_have_text("β1 = 0.875 · computing…")
    page.wait_for_function("() => !window.harness.chart().pending", timeout=10_000)
    assert runs(page) == first
    expect(beta1).to_have_attribute("aria-valuetext", "0.9")
    expect(head).to_have_text(re.compile(r"^Adam · step 20 · f = "))
    assert len(calls(page)) == 1


def test_dragging_the_start_previews_a_lattice_path_and_commits_the_drop(chart):
    page = chart
    sx, sy = page.evaluate("() => window.harness.chart().pixelOf(-5, -2)")
    tx, ty = page.evaluate("() => window.harness.chart().pixelOf(-2.345, 1.876)")
    before = page.evaluate(CANVAS_HASH)
    page.mouse.move(sx, sy)
    page.mouse.down()
    for k in range(1, 11):
        page.mouse.move(sx + (tx - sx) * k / 10, sy + (ty - sy) * k / 10)
    next_frame(page)
    assert state(page)["preview"]["kind"] == "start"
    assert page.evaluate(CANVAS_HASH) != before
    assert calls(page) == []
    page.mouse.up()
    sent = calls(page)
    assert len(sent) == 1 and sent[0]["value"]["param"] == "start"
    x, y = sent[0]["value"]["value"]
    # The exact drop point (to a pixel), rounded to the view's resolution (0.01 here).
    assert abs(x - -2.345) < 0.03 and abs(y - 1.876) < 0.03
    assert round(x, 2) == x and round(y, 2) == y


def test_a_drag_on_empty_plot_pans_and_commits_nothing(chart):
    page = chart
    view = state(page)["view"]
    cx, cy = page.evaluate("() => window.harness.chart().pixelOf(3, 2)")
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx - 100, cy + 50, steps=5)
    page.mouse.up()
    moved = state(page)["view"]
    assert moved[0][0] > view[0][0] and moved[1][0] > view[1][0]
    assert calls(page) == []


def test_play_advances_the_step(chart):
    page = chart
    assert state(page)["step"] == 20  # the first look: whole paths
    scrubber = page.get_by_label("Step", exact=True)
    page.get_by_role("button", name="Play").click()
    page.wait_for_timeout(600)
    s = state(page)
    assert s["playing"] and 0 < s["step"] < 20
    assert 0 < int(scrubber.input_value()) < 20
    page.get_by_role("button", name="Pause").click()
    paused = state(page)["step"]
    page.wait_for_timeout(300)
    assert state(page)["step"] == paused
    page.get_by_role("button", name="Step forward").click()
    assert state(page)["step"] == int(paused) + 1
    # A whole run takes about 4 s at 1×.
    page.get_by_role("button", name="Play").click()
    page.wait_for_function("() => !window.harness.chart().playing", timeout=6_000)
    assert state(page)["step"] == 20


def test_ten_runs_of_5000_steps_load_and_play(chart):
    page = chart
    page.evaluate("() => window.harness.load('/blobs/big.optv')")
    page.wait_for_function("() => window.harness.chart().steps === 5000")
    expect(page.locator("#host .ox-legend li")).to_have_count(10)
    page.wait_for_function("() => window.harness.chart().loads.at(-1).frame !== null")
    load = page.evaluate("() => window.harness.chart().loads.at(-1)")
    print(f"\n10 runs × 5,000 steps, a {load['bytes'] / 1e6:.1f} MB blob: renderer call "
          f"{load['apply']:.1f} ms, first frame {load['frame']:.1f} ms")
    page.evaluate("() => { window.harness.chart().stats.length = 0; }")
    page.get_by_role("button", name="Play").click()
    page.wait_for_timeout(1_000)
    s = state(page)
    assert s["playing"] and 500 < s["step"] < 5000
    draws = page.evaluate("() => window.harness.chart().stats.map(s => s.draw)")
    print(f"\n10 runs × 5,000 steps playing: {len(draws)} frames in 1 s, "
          f"draw p95 {p95(draws):.2f} ms")
    assert len(draws) > 20
    page.get_by_role("button", name="Pause").click()
    report("β1 drag, 10 runs × 5,000 steps", drag_slider(page, "β1", BETAS.index(0.5)))
    # One commit (the drag's release); the pause also told the step it rests on.
    assert [c["name"] for c in calls(page)].count("commit") == 1


@pytest.mark.parametrize("blob", ["big", "small"])
def test_a_commit_goes_out_before_the_chart_draws(chart, blob):
    """Streamlit sends the rerun request from a setTimeout(0) that setStateValue queues
    (the harness notes when it ran), and Chromium runs the frame due after a key press
    ahead of timers: the chart draws its preview (ten runs of 5,000 steps), or the exact
    path (20 steps), only after that timeout, so that drawing never holds the request
    back."""
    page = chart
    page.evaluate(f"() => window.harness.load('/blobs/{blob}.optv')")
    page.wait_for_function("(n) => window.harness.chart().steps === n",
                           arg=5000 if blob == "big" else 20)
    page.get_by_label("β1", exact=True).focus()
    next_frame(page)
    before = page.evaluate(CANVAS_HASH)
    page.evaluate("() => { window.harness.chart().stats.length = 0; }")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("""() => { const c = window.harness.calls[0];
        return c && c.flushed !== null && window.harness.chart().stats.length > 0; }""")
    call = page.evaluate("() => window.harness.calls[0]")
    frames = page.evaluate("() => window.harness.chart().stats.map(s => s.at)")
    assert call["value"] == {"param": "beta1", "value": 0.875}
    assert all(at > call["flushed"] for at in frames), (call, frames)
    preview = state(page)["preview"]
    assert preview["value"] == 0.875 if blob == "big" else preview is None
    assert page.evaluate(CANVAS_HASH) != before


def test_a_preview_and_a_new_blob_redraw_only_the_focused_run(chart):
    """The trail keeps the runs before and after the focused one apart: a preview, an
    exact path shown at a release and a blob in which only the focused run changed draw
    no other run again, and the picture from kept layers is the one drawn from scratch."""
    page = chart
    next_frame(page)
    first = page.evaluate(CANVAS_HASH)
    redrawn = "() => window.harness.chart().redrawn"
    r0 = page.evaluate(redrawn)
    beta1 = page.get_by_label("β1", exact=True)

    def during(k):
        assert state(page)["preview"]["param"] == "beta1"
        assert page.evaluate(redrawn) == r0, "a preview redraws no committed run"

    drag_slider(page, "β1", BETAS.index(0.5), check=during)
    after_timeouts(page)
    next_frame(page)
    assert state(page)["preview"] is None  # the exact path, committed
    assert page.evaluate(redrawn) == r0 + 1, "the focused run alone, along its exact path"
    page.evaluate("() => window.harness.load('/blobs/beta05.optv')")
    expect(beta1).to_have_attribute("aria-valuetext", "0.5")
    next_frame(page)
    assert page.evaluate(redrawn) == r0 + 1, "the blob's run is the path drawn"
    page.evaluate("() => window.harness.load('/blobs/small.optv')")
    expect(beta1).to_have_attribute("aria-valuetext", "0.9")
    next_frame(page)
    assert page.evaluate(redrawn) == r0 + 2, "only the focused run changed"
    assert page.evaluate(CANVAS_HASH) == first


def test_a_paused_step_is_told_once_and_playing_tells_nothing(chart):
    page = chart
    page.get_by_role("button", name="Step back").click()
    page.get_by_role("button", name="Step back").click()
    page.wait_for_timeout(800)  # the step settles (400 ms) once, after the second press
    assert calls(page) == [{"name": "step", "value": 18}]
    page.get_by_role("button", name="Play").click()  # plays on from 18 to the end, 20
    page.wait_for_function("() => !window.harness.chart().playing")
    page.wait_for_timeout(800)
    # Only where it came to rest: no step passed on the way (19) was told.
    assert calls(page) == [{"name": "step", "value": 18}, {"name": "step", "value": 20}]


def test_zoom_and_step_survive_a_new_payload(chart):
    page = chart
    home = state(page)["view"]
    plot = page.locator("#host .ox-plot")
    cx, cy = page.evaluate("() => window.harness.chart().pixelOf(0, 0)")
    # A plain wheel scrolls the page; it never zooms.
    page.mouse.move(cx, cy)
    page.mouse.wheel(0, -300)
    assert state(page)["view"] == home
    page.keyboard.down("Control")
    page.mouse.wheel(0, -300)
    page.keyboard.up("Control")
    zoomed = state(page)["view"]
    assert zoomed[0][1] - zoomed[0][0] < home[0][1] - home[0][0]
    page.get_by_label("Step", exact=True).fill("7")
    readout = page.locator("#host .ox-readout").inner_text()

    host = page.locator("#host").bounding_box()
    page.evaluate("() => window.harness.load('/blobs/beta05.optv')")
    page.wait_for_function(
        "(r) => window.harness.shadow.querySelector('.ox-readout').innerText !== r", arg=readout)
    s = state(page)
    assert s["view"] == zoomed and s["step"] == 7
    assert page.locator("#host").bounding_box() == host, "no layout jump on new data"
    expect(page.get_by_label("β1", exact=True)).to_have_attribute("aria-valuetext", "0.5")
    plot.dblclick()
    assert state(page)["view"] == home


def test_the_predict_flag_opens_the_exercise_when_a_blob_first_sets_it(chart):
    page = chart
    exercise = "() => window.harness.chart().exercise"
    prompt = page.locator("#host .ox-prompt")
    assert not page.evaluate(exercise)  # the small blob has no flag
    expect(prompt).to_be_hidden()
    page.evaluate("() => window.harness.load('/blobs/predict.optv')")
    assert page.evaluate(exercise)
    expect(prompt).to_contain_text("Where will Adam be after 20 steps?")
    expect(page.locator("#host .ox-readout")).to_be_hidden()
    page.locator("#host").get_by_role("button", name="Predict").click()  # the user leaves it
    assert not page.evaluate(exercise)
    # A later blob keeping the flag (another setting) does not force it back on...
    page.evaluate("() => window.harness.load('/blobs/predict0875.optv')")
    expect(page.get_by_label("β1", exact=True)).to_have_attribute("aria-valuetext", "0.875")
    assert not page.evaluate(exercise)
    expect(prompt).to_be_hidden()
    # ...but a blob setting it again after one without it does.
    page.evaluate("() => window.harness.load('/blobs/small.optv')")
    page.evaluate("() => window.harness.load('/blobs/predict.optv')")
    assert page.evaluate(exercise)
    expect(prompt).to_be_visible()
