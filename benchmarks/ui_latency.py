"""Benchmark: the explorer's UI latency against a bare Streamlit page, in Chromium.

Targets: a widget change redraws the explorer's chart in at most 1.3x the time a
bare page takes to show a slider's new value (p50 against p50), and the explorer's
first load to a drawn chart takes at most 2x the bare page's load to its text.

    .venv/bin/python benchmarks/ui_latency.py [--n 20] [--warmup 3] [--loads 5]

What runs. Four Streamlit servers, all started here from the repository root (so that
.streamlit/config.toml applies to each), headless on free 127.0.0.1 ports, and one
headless Chromium (Debian's /usr/bin/chromium, or OPTVIZ_CHROMIUM) driving them:
- the bare page, benchmarks/apps/bare_app.py: one st.slider, one st.write of its value;
- the explorer, app.py's /explorer;
- two floors, which show how much of the explorer's time no page with its content
  can avoid: benchmarks/apps/controls_app.py (the explorer's own sidebar and cached
  trajectory, a line of text instead of the chart) and benchmarks/apps/plotly_app.py
  (the bare page plus st.plotly_chart of a single three-point line).

The interaction. Slider pages: focus the slider, press ArrowRight (50 -> 51 -> ...).
Explorer and controls floor: the sidebar has number inputs, not sliders; the
interaction is ArrowDown in the Adam expander's "β1" field (0.9 -> 0.89 -> ...), which
Streamlit commits at once and which reruns the page with a new path: each press is a
new β1, so the trajectory cache never answers it (ArrowUp would hit β1's upper bound,
1, after nine presses). Done when the output differs from before: the "Value: ..."
text, or the SVG line of the first path (its `path.js-line` `d` attribute).

The timing is in-page, in the browser's own clock (performance.now()): t0 when the
key's keyup event reaches the document (capture phase), t1 in the MutationObserver
callback that first sees the new output in the DOM (the microtask after the DOM
change, before the browser paints it). Between presses the script waits for the
app to be idle (stApp's data-test-script-state "notRunning"). The pages take turns,
press for press, so that load from other processes on the machine hits all alike.
Python's clock is not used for the figures: it would add Playwright's round trips.

First load: in a fresh browser context each time (no cache, like a new visitor),
from navigation start (performance.now() = 0) to the first DOM state that shows the
output (text, or a chart with its paths drawn: plotly's `.scatterlayer` holds the path
lines), watched by a MutationObserver installed before any page script runs; the
pages again take turns. Each server's first session is loaded once beforehand and
reported apart ("cold"): it pays for imports and, for the explorer, for Streamlit's
deep-link fix-up (see ui/navigation.py).

Plotly alone: the explorer's default figure (built by optviz.plots as the page
builds it) drawn in a blank page with the plotly.js that the plotly package ships:
Plotly.newPlot + addFrames, and Plotly.react with only the paths changed, which is
what a chart that stayed mounted would pay per change.

Prints a table; exits 0 whether or not the targets are met (MISSED says which), and
also, saying SKIPPED, without a Chromium (except under CI=true, where that fails).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TARGET_CHANGE = 1.3  # explorer p50 / bare p50
TARGET_LOAD = 2.0  # explorer first load / bare first load (medians)
TIMEOUT_MS = 60_000
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'

# ---------------------------------------------------------------- in-page probes

# Outputs, as JS expressions over `s` (a state object the probe keeps): the current
# output, or null while there is none.
TEXT = """(s) => {
  const p = [...document.querySelectorAll('[data-testid="stMarkdownContainer"] p')]
    .find(p => p.textContent.startsWith('Value: '));
  return p ? p.textContent : null;
}"""
# The SVG line of the first run's path: its index among plotly's scatter traces.
LINE = """(s) => {
  const d = document.querySelector('.js-plotly-plot');
  if (!d || !d._fullData) return null;
  const i = d._fullData.findIndex(
    t => String(t.legendgroup || '').startsWith('run') && String(t.mode).includes('lines'));
  const g = i < 0 ? null : d.querySelectorAll('.scatterlayer .trace')[i];
  const line = g && g.querySelector('path.js-line');
  return line ? line.getAttribute('d') : null;
}"""


def changed(output: str) -> str:
    return f"(s) => {{ const d = ({output})(s); return d !== null && d !== s.before; }}"


def shown(output: str) -> str:
    return f"(s) => ({output})(s) !== null"


# Arm a probe: t0 at the next keyup, t1 when `cond` first holds after a DOM change.
ARM = """([cond, state]) => {
  const check = eval(cond);
  const s = Object.assign({t0: null, t1: null}, state);
  window.__probe = s;
  document.addEventListener('keyup', () => { if (s.t0 === null) s.t0 = performance.now(); },
                            {capture: true, once: true});
  const obs = new MutationObserver(() => {
    if (s.t0 !== null && s.t1 === null && check(s)) { s.t1 = performance.now(); obs.disconnect(); }
  });
  obs.observe(document.documentElement,
              {subtree: true, childList: true, attributes: true, characterData: true});
}"""
# Before any page script: t1 when `cond` first holds, from navigation start.
LOAD_PROBE = """
(() => {
  const check = %s;
  const s = {t1: null};
  window.__load = s;
  const obs = new MutationObserver(() => {
    if (s.t1 === null && check(s)) { s.t1 = performance.now(); obs.disconnect(); }
  });
  obs.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
})();
"""

# ---------------------------------------------------------------------- servers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _chromium() -> str | None:
    path = os.environ.get("OPTVIZ_CHROMIUM") or (
        "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium"))
    return path if path and Path(path).exists() else None


def start_server(script: str, stack: ExitStack) -> str:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop():
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()

    stack.callback(stop)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"streamlit run {script} exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return url
        except OSError:
            time.sleep(0.25)
    sys.exit(f"streamlit run {script} did not become healthy in 60 s")


# ------------------------------------------------------------------ measuring


@dataclass(frozen=True)
class Subject:
    """One page under test: where it is, which field gets the key press, what it outputs."""

    name: str
    script: str
    path: str  # after the server's URL
    label: str  # the field's label; "" for the page's one slider
    key: str
    output: str  # a JS expression, TEXT or LINE
    drawn: str  # what its first load waits for


BARE = Subject("bare page: slider -> text", "benchmarks/apps/bare_app.py", "", "",
               "ArrowRight", TEXT, "bare page -> text")
EXPLORER = Subject("explorer: β1 -> chart", "app.py", "/explorer", "β1", "ArrowDown", LINE,
                   "explorer -> chart drawn")
CONTROLS = Subject("floor: explorer's controls -> text", "benchmarks/apps/controls_app.py",
                   "", "β1", "ArrowDown", TEXT, "explorer's controls -> text")
PLOTLY = Subject("floor: bare page + 1-line plotly chart", "benchmarks/apps/plotly_app.py",
                 "", "", "ArrowRight", LINE, "floor: bare page + 1-line plotly chart")
SUBJECTS = (BARE, EXPLORER, CONTROLS, PLOTLY)
LOADED = (BARE, EXPLORER, PLOTLY)  # first loads: the pages with a chart, and the baseline


class Session:
    """A subject open in a tab, pressing its key and timing the redraw."""

    def __init__(self, subject: Subject, page: Page, url: str):
        self.subject, self.page, self.url = subject, page, url

    def open(self) -> None:
        self.page.goto(self.url + self.subject.path)
        self.page.wait_for_function(f"() => ({shown(self.subject.output)})({{}})")
        self.page.wait_for_selector(IDLE)
        if self.subject.label:
            self.field = self.page.locator('[data-testid="stSidebar"]').get_by_label(
                self.subject.label, exact=True)
        else:
            self.field = self.page.locator('[data-testid="stSlider"] input[type=range]')

    def press(self) -> float:
        before = self.page.evaluate(f"() => ({self.subject.output})({{}})")
        self.page.evaluate(ARM, [changed(self.subject.output), {"before": before}])
        self.field.press(self.subject.key)
        return _finish(self.page)


def _finish(page: Page) -> float:
    page.wait_for_function("() => window.__probe.t1 !== null", timeout=TIMEOUT_MS)
    page.wait_for_selector(IDLE, timeout=TIMEOUT_MS)
    t0, t1 = page.evaluate("() => [window.__probe.t0, window.__probe.t1]")
    time.sleep(0.2)  # let the page settle (late renders, the URL update)
    return t1 - t0


def first_load(browser, url: str, cond: str) -> float:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        context.add_init_script(LOAD_PROBE % cond)
        page = context.new_page()
        page.goto(url)
        page.wait_for_function("() => window.__load && window.__load.t1 !== null",
                               timeout=TIMEOUT_MS)
        t1 = page.evaluate("() => window.__load.t1")
        page.wait_for_selector(IDLE, timeout=TIMEOUT_MS)
        return t1
    finally:
        context.close()


def plotly_alone(browser, reps: int = 10) -> tuple[float, float]:
    """Medians (ms) of drawing the explorer's default figure in a blank page: newPlot with
    its frames, and react with only the paths moved."""
    import plotly

    sys.path.insert(0, str(ROOT))
    from optviz import presets, surfaces
    from optviz.plots import contours
    from optviz.plots import trajectory as trajectory_plot
    from ui.selection import CLICK_GRID

    chapter = presets.PRESETS["chapter"].settings()  # the explorer's defaults
    surface = surfaces.get_surface(chapter.surface)
    trajectories = chapter.compute()
    window = trajectory_plot.view_window(surface, trajectories)
    # As pages/explorer.py draws it.
    fig = trajectory_plot.trajectory_figure(surface, trajectories, click_grid=CLICK_GRID,
                                            grid=contours.contour_grid(surface, window))
    spec = plotly.io.to_json(fig, validate=False)
    bundle = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.set_content('<div id="g" style="width:1000px;height:700px"></div>')
        page.add_script_tag(path=str(bundle))
        return tuple(page.evaluate(DRAW, [spec, reps]))
    finally:
        page.close()


# Plotly's own timing of one figure: `spec` is the figure's JSON; the paths are the
# traces whose legendgroup starts with "run" (optviz.plots.trajectory's naming).
DRAW = """async ([spec, reps]) => {
  const fig = JSON.parse(spec), g = document.getElementById('g');
  const median = (v) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const drawn = [], reacted = [];
  for (let i = 0; i < reps; i++) {
    Plotly.purge(g);
    const t0 = performance.now();
    await Plotly.newPlot(g, fig.data, fig.layout, {});
    await Plotly.addFrames(g, fig.frames || []);
    drawn.push(performance.now() - t0);
  }
  for (let i = 0; i < reps; i++) {
    const data = g._fullData.map((t, k) => {
      const trace = fig.data[k];
      if (!String(t.legendgroup || '').startsWith('run')) return trace;
      return Object.assign({}, trace, {x: Array.from(t.x, v => v * (1 + 1e-3 * (i + 1)))});
    });
    const t0 = performance.now();
    await Plotly.react(g, data, fig.layout, {});
    reacted.push(performance.now() - t0);
  }
  return [median(drawn), median(reacted)];
}"""


def pct(values: list[float], q: float) -> float:
    """The q-th percentile, linear between closest ranks."""
    v = sorted(values)
    k = (len(v) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def verdict(ratio: float, target: float) -> str:
    return "met" if ratio <= target else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20, help="key presses measured per page")
    parser.add_argument("--warmup", type=int, default=3, help="key presses not measured")
    parser.add_argument("--loads", type=int, default=5, help="first loads measured per page")
    args = parser.parse_args()
    chromium = _chromium()
    if chromium is None:
        message = ("UI latency: SKIPPED, no Chromium (apt-get install -y chromium, or set "
                   "OPTVIZ_CHROMIUM)")
        if os.environ.get("CI") == "true":
            sys.exit(message)
        print(message)
        return

    with ExitStack() as stack:
        urls = {t: start_server(t.script, stack) + t.path for t in SUBJECTS}
        pw = stack.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        stack.callback(browser.close)

        # Each server's first session, apart: imports, caches, the deep-link fix-up.
        cold = {t: first_load(browser, urls[t], shown(t.output)) for t in LOADED}
        loads: dict[Subject, list[float]] = {t: [] for t in LOADED}
        for _ in range(args.loads):
            for t in LOADED:
                loads[t].append(first_load(browser, urls[t], shown(t.output)))

        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        stack.callback(context.close)
        sessions = [Session(t, context.new_page(), start) for t, start in
                    ((t, urls[t].removesuffix(t.path)) for t in SUBJECTS)]
        for session in sessions:
            session.page.set_default_timeout(TIMEOUT_MS)
            session.open()
        times: dict[Subject, list[float]] = {t: [] for t in SUBJECTS}
        for i in range(args.warmup + args.n):
            for session in sessions:
                session.page.bring_to_front()  # a background tab's timers are throttled
                ms = session.press()
                if i >= args.warmup:
                    times[session.subject].append(ms)
        drawn, reacted = plotly_alone(browser)

    bare = statistics.median(times[BARE])
    print(f"UI latency in headless Chromium, {os.cpu_count()} CPUs, in-page timing "
          f"(keyup -> new output in the DOM), {args.n} presses each after {args.warmup} "
          "warm-up, pages taking turns")
    print(f"  {'':44s} {'p50':>8s} {'p95':>8s} {'min':>8s} {'max':>8s} {'p50/bare':>9s}")
    for t in SUBJECTS:
        v = times[t]
        print(f"  {t.name:44s} {pct(v, 50):6.0f}ms {pct(v, 95):6.0f}ms {min(v):6.0f}ms "
              f"{max(v):6.0f}ms {pct(v, 50) / bare:8.2f}x")
    ratio = statistics.median(times[EXPLORER]) / bare
    print(f"  explorer / bare (p50): {ratio:.2f}x, target <= {TARGET_CHANGE}x: "
          f"{verdict(ratio, TARGET_CHANGE)}")
    print(f"  plotly.js alone, the explorer's figure in a blank page (median of 10): "
          f"newPlot + frames {drawn:.0f} ms, react with new paths {reacted:.0f} ms "
          f"= {reacted / bare:.2f}x the bare page's whole change")
    print()
    lb = statistics.median(loads[BARE])
    print(f"First load to drawn output (navigation start -> DOM), fresh browser context, "
          f"median of {args.loads}, pages taking turns")
    print(f"  {'':44s} {'median':>8s} {'min':>8s} {'max':>8s} {'cold':>8s} {'/bare':>7s}")
    for t in LOADED:
        v = loads[t]
        print(f"  {t.drawn:44s} {statistics.median(v):6.0f}ms "
              f"{min(v):6.0f}ms {max(v):6.0f}ms {cold[t]:6.0f}ms "
              f"{statistics.median(v) / lb:6.2f}x")
    le = statistics.median(loads[EXPLORER])
    print(f"  explorer / bare (median): {le / lb:.2f}x, target <= {TARGET_LOAD}x: "
          f"{verdict(le / lb, TARGET_LOAD)}")
    print("  (cold: each server's first session, not in the median)")


if __name__ == "__main__":
    main()
