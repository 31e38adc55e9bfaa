"""Benchmark: the explorer's UI latency against a bare Streamlit page, in Chromium.

Targets: a widget change redraws the explorer's chart in at most 1.3x the time a
bare page takes to show a slider's new value (p50 against p50), and the explorer's
first load to a drawn chart takes at most 2x the bare page's load to its text.

    .venv/bin/python benchmarks/ui_latency.py [--n 20] [--warmup 3] [--loads 5]

What runs. `streamlit run app.py` and `streamlit run benchmarks/apps/bare_app.py` (one
st.slider, one st.write of its value), both started here, from the repository root so
that .streamlit/config.toml applies to both, headless on free 127.0.0.1 ports; one
headless Chromium (Debian's /usr/bin/chromium, or OPTVIZ_CHROMIUM) drives both.

The interaction. Bare page: focus the slider, press ArrowRight (50 -> 51 -> ...);
done when the text "Value: <new value>" is in the DOM. Explorer: the sidebar has
number inputs, not sliders; the interaction is ArrowDown in the Adam expander's "β1"
field (0.9 -> 0.89 -> ...), which Streamlit commits at once and which reruns the
page with a new path: each press is a new β1, so the trajectory cache never
answers it (ArrowUp would hit β1's upper bound, 1, after nine presses). Done when
the SVG line of Adam's path (its `path.js-line` `d` attribute) differs from before.

The timing is in-page, in the browser's own clock (performance.now()): t0 when the
key's keyup event reaches the document (capture phase), t1 in the MutationObserver
callback that first sees the new output in the DOM (the microtask after the DOM
change, before the browser paints it). Between presses the script waits for the
app to be idle (stApp's data-test-script-state "notRunning"). The two pages take
turns, press for press, so that load from other processes on the machine hits both
alike. Python's clock is not used for the figures: it would add Playwright's
round trips.

First load: in a fresh browser context each time (no cache, like a new visitor),
from navigation start (performance.now() = 0) to the first DOM state that shows the
bare page's "Value: 50" / the explorer's chart with its paths drawn (plotly's
`.scatterlayer` holds the path lines), watched by a MutationObserver installed before
any page script runs; the pages again take turns. Each server's first session is
loaded once beforehand and reported apart ("cold"): it pays for imports and, for the
explorer, for Streamlit's deep-link fix-up (see pages/explorer.py).

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

# Conditions, as JS expressions over `s` (a state object the probe keeps).
BARE_TEXT = """(s) => [...document.querySelectorAll('[data-testid="stMarkdownContainer"] p')]
  .some(p => p.textContent === s.want)"""
# The SVG line of the first run's path: its index among plotly's scatter traces.
EXPLORER_LINE = """(s) => {
  const d = document.querySelector('.js-plotly-plot');
  if (!d || !d._fullData) return null;
  const i = d._fullData.findIndex(
    t => String(t.legendgroup || '').startsWith('run') && String(t.mode).includes('lines'));
  const g = i < 0 ? null : d.querySelectorAll('.scatterlayer .trace')[i];
  const line = g && g.querySelector('path.js-line');
  return line ? line.getAttribute('d') : null;
}"""
EXPLORER_CHANGED = f"(s) => {{ const d = ({EXPLORER_LINE})(s); return !!d && d !== s.before; }}"
EXPLORER_DRAWN = f"(s) => !!({EXPLORER_LINE})(s)"

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


class Bare:
    name = "bare page: slider ArrowRight -> text"

    def __init__(self, page: Page, url: str):
        self.page, self.url, self.value = page, url, 50

    def open(self) -> None:
        self.page.goto(self.url)
        self.page.get_by_text("Value: 50", exact=True).wait_for()
        self.page.wait_for_selector(IDLE)
        self.key = self.page.locator('[data-testid="stSlider"] input[type=range]')

    def press(self) -> float:
        self.value += 1
        self.page.evaluate(ARM, [BARE_TEXT, {"want": f"Value: {self.value}"}])
        self.key.press("ArrowRight")
        return _finish(self.page)


class Explorer:
    name = "explorer: β1 ArrowDown -> chart"

    def __init__(self, page: Page, url: str):
        self.page, self.url = page, url

    def open(self) -> None:
        self.page.goto(f"{self.url}/explorer")
        self.page.wait_for_function(f"() => ({EXPLORER_DRAWN})({{}})")
        self.page.wait_for_selector(IDLE)
        self.key = self.page.locator('[data-testid="stSidebar"]').get_by_label("β1", exact=True)

    def press(self) -> float:
        before = self.page.evaluate(f"() => ({EXPLORER_LINE})({{}})")
        self.page.evaluate(ARM, [EXPLORER_CHANGED, {"before": before}])
        self.key.press("ArrowDown")
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
        explorer_url = start_server("app.py", stack)
        bare_url = start_server("benchmarks/apps/bare_app.py", stack)
        pw = stack.enter_context(sync_playwright())
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        stack.callback(browser.close)

        # Each server's first session, apart: imports, caches, the deep-link fix-up.
        cold = {"bare": first_load(browser, bare_url, BARE_TEXT.replace("s.want", "'Value: 50'")),
                "explorer": first_load(browser, f"{explorer_url}/explorer", EXPLORER_DRAWN)}

        loads: dict[str, list[float]] = {"bare": [], "explorer": []}
        for _ in range(args.loads):
            loads["bare"].append(
                first_load(browser, bare_url, BARE_TEXT.replace("s.want", "'Value: 50'")))
            loads["explorer"].append(
                first_load(browser, f"{explorer_url}/explorer", EXPLORER_DRAWN))

        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        stack.callback(context.close)
        pages = [Bare(context.new_page(), bare_url), Explorer(context.new_page(), explorer_url)]
        for p in pages:
            p.page.set_default_timeout(TIMEOUT_MS)
            p.open()
            p.page.bring_to_front()
        times: dict[str, list[float]] = {p.name: [] for p in pages}
        for i in range(args.warmup + args.n):
            for p in pages:
                p.page.bring_to_front()  # a background tab's timers are throttled
                ms = p.press()
                if i >= args.warmup:
                    times[p.name].append(ms)

    bare, explorer = (times[p.name] for p in pages)
    ratio = statistics.median(explorer) / statistics.median(bare)
    print(f"UI latency in headless Chromium, {os.cpu_count()} CPUs, in-page timing "
          f"(keyup -> new output in the DOM), {args.n} presses each after {args.warmup} "
          "warm-up, pages taking turns")
    print(f"  {'':40s} {'p50':>8s} {'p95':>8s} {'min':>8s} {'max':>8s}")
    for p in pages:
        v = times[p.name]
        print(f"  {p.name:40s} {pct(v, 50):6.0f}ms {pct(v, 95):6.0f}ms "
              f"{min(v):6.0f}ms {max(v):6.0f}ms")
    print(f"  {'ratio explorer / bare (p50)':40s} {ratio:7.2f}x   target <= "
          f"{TARGET_CHANGE}x: {verdict(ratio, TARGET_CHANGE)}")
    print()
    lb, le = statistics.median(loads["bare"]), statistics.median(loads["explorer"])
    print(f"First load to drawn output (navigation start -> DOM), fresh browser context, "
          f"median of {args.loads}, pages taking turns")
    print(f"  {'':40s} {'median':>8s} {'min':>8s} {'max':>8s} {'cold':>8s}")
    for key, label in (("bare", "bare page -> 'Value: 50'"),
                       ("explorer", "explorer /explorer -> chart drawn")):
        v = loads[key]
        print(f"  {label:40s} {statistics.median(v):6.0f}ms {min(v):6.0f}ms {max(v):6.0f}ms "
              f"{cold[key]:6.0f}ms")
    print(f"  {'ratio explorer / bare (median)':40s} {le / lb:7.2f}x   target <= "
          f"{TARGET_LOAD}x: {verdict(le / lb, TARGET_LOAD)}")
    print("  (cold: each server's first session, not in the median)")


if __name__ == "__main__":
    main()
