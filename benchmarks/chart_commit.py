"""Benchmark: the chart component's own share of a commit, outside Streamlit.

    .venv/bin/python benchmarks/chart_commit.py [--n 10]

tests/js/harness.html mounts ui/components/explorer/ in headless Chromium (the flags the
browser tests use), served from the repository root on 127.0.0.1, with blobs from
tests/js/make_fixture.py: the small fixture (4 runs x 20 steps) and ten runs x 5,000
steps. Each round, with the chart's β1 slider focused:

- key: one arrow key press (alternately left and right: 0.9 -> 0.875 -> 0.9), timed
  from the keydown event's timeStamp (the page's clock) to its dispatch (a capture
  listener on the document: the browser's queueing), from there to the chart's
  setStateValue call (the range input's default action, the chart's `input` and
  `change` handlers), to the setTimeout(0) the harness queues in setStateValue as
  Streamlit's widget manager does before it sends the rerun request ("request"), and to
  the end of the chart's animation frame that drew the preview ("preview drawn", from the
  chart's `stats`, with that frame's own drawing time);
- blob: then the blob Python would answer with (the same runs, the focused one computed
  at the new β1) handed to the renderer: the renderer call itself ("apply": decode,
  model, DOM) and the chart's next animation frame ("first frame": from a frame callback
  queued before the call to one queued after it, i.e. the chart's frame callback alone).

Prints medians (and the max) per figure; no targets.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import importlib.util
import statistics
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser import CHROMIUM_ARGS, chromium_path  # noqa: E402

VIEWPORT = {"width": 1400, "height": 1000}

PRESS = """async (key) => {
  const h = window.harness;
  const idle = () => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  await idle();
  h.chart().stats.length = 0;
  const n = h.calls.length;
  let ts = null;
  let seen = null;
  document.addEventListener('keydown', (e) => { ts = e.timeStamp; seen = performance.now(); },
                            {capture: true, once: true});
  window.__key = () => [ts, seen];
  window.__n = n;
}"""

AFTER_PRESS = """async () => {
  const h = window.harness;
  const [ts, seen] = window.__key();
  for (let i = 0; i < 200; i++) {
    const c = h.calls[window.__n];
    const s = h.chart().stats.find(s => s.latency !== null);
    if (c && c.flushed !== null && s) {
      const drawn = ts + s.latency;  // the input event comes in the keydown's task
      return {dispatch: seen - ts, js: c.at - seen, request: c.flushed - ts, preview: drawn - ts,
              previewDraw: s.draw, drawnBeforeRequest: drawn < c.flushed ? 1 : 0};
    }
    await new Promise(r => setTimeout(r, 10));
  }
  throw new Error('no commit or no preview frame');
}"""

APPLY = """async (name) => {
  const h = window.harness;
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const data = h.offset(window.__blobs[name]);
  let pre = null;
  requestAnimationFrame(() => { pre = performance.now(); });
  const t0 = performance.now();
  h.show(data);
  const t1 = performance.now();
  const t2 = await new Promise(r => requestAnimationFrame(() => r(performance.now())));
  return {apply: t1 - t0, firstFrame: t2 - pre};
}"""

LOAD_BLOBS = """async (names) => {
  window.__blobs = {};
  for (const n of names) {
    const r = await fetch(`/blobs/${n}.optv`);
    window.__blobs[n] = new Uint8Array(await r.arrayBuffer());
  }
}"""


def fixtures() -> dict[str, bytes]:
    spec = importlib.util.spec_from_file_location("make_fixture", ROOT / "tests/js/make_fixture.py")
    mf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mf)
    return {
        "small-0.9": mf.build(), "small-0.875": mf.build(beta1=0.875),
        "big-0.9": mf.build(runs=10, steps=5000),
        "big-0.875": mf.build(runs=10, steps=5000, beta1=0.875),
    }


def _is_path(path, url):
    return urlparse(url).path == path


def _fulfil(blob, route, request=None):
    route.fulfill(body=blob, content_type="application/octet-stream")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10, help="key presses (and blobs) per size")
    args = ap.parse_args()
    exe = chromium_path()
    if not exe:
        print("SKIPPED: no Chromium")
        return
    blobs = fixtures()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(ROOT)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
            for size in ("small", "big"):
                page = browser.new_page(viewport=VIEWPORT)
                for name, blob in blobs.items():
                    page.route(functools.partial(_is_path, f"/blobs/{name}.optv"),
                               functools.partial(_fulfil, blob))
                page.goto(f"{base}/tests/js/harness.html?blob=/blobs/{size}-0.9.optv")
                page.wait_for_function("window.harness && window.harness.ready")
                page.evaluate(LOAD_BLOBS, [f"{size}-0.9", f"{size}-0.875"])
                page.get_by_label("β1", exact=True).focus()
                rows = []
                for i in range(args.n + 1):
                    left = i % 2 == 0
                    page.evaluate(PRESS, None)
                    page.keyboard.press("ArrowLeft" if left else "ArrowRight")
                    row = page.evaluate(AFTER_PRESS)
                    row.update(page.evaluate(APPLY, f"{size}-{'0.875' if left else '0.9'}"))
                    if i:  # the first round warms up
                        rows.append(row)
                print(f"\n{size} ({len(blobs[size + '-0.9']) / 1e6:.2f} MB blob), "
                      f"{args.n} presses, ms: median (max)")
                for key, what in [("dispatch", "key -> keydown dispatched"),
                                  ("js", "keydown dispatched -> setStateValue"),
                                  ("request", "key -> request (setTimeout 0)"),
                                  ("preview", "key -> preview drawn"),
                                  ("previewDraw", "  that frame's drawing"),
                                  ("drawnBeforeRequest", "preview drawn before request (count)"),
                                  ("apply", "blob: renderer call (decode, model, DOM)"),
                                  ("firstFrame", "blob: first frame")]:
                    v = [r[key] for r in rows]
                    if key == "drawnBeforeRequest":
                        print(f"  {what:<42} {sum(v)} of {len(v)}")
                    else:
                        print(f"  {what:<42} {statistics.median(v):8.2f} ({max(v):.2f})")
                page.close()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    main()
