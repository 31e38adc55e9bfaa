"""The explorer's chart: a Streamlit component that draws what optviz computed.

The component's JavaScript and CSS (`ui/components/explorer/`) decode one packed blob
(`optviz.explorer_payload`, see docs/explorer-payload.md) and draw, animate, zoom and
preview slider drags in the browser; only a released gesture comes back, as the
state value `commit`. Mounted with one key, the same element is updated in place on
every rerun, so the zoom and the animation step survive a change.

The files are passed inline (~80 kB, resent inside the element's message on every
rerun) because Streamlit 1.67 cannot serve them as files from `ui/`: a file-backed
`js`/`css` must sit under the `asset_dir` of a `[tool.streamlit.component]` manifest,
and that directory is resolved against the root of the importable package named like
the distribution, here `optviz` (streamlit/components/v2/manifest_scanner.py,
`_process_single_package` and `_resolve_package_root`: `importlib.util.find_spec`
of the normalized distribution name), and must stay inside it (`resolve_asset_root`:
`..` is rejected, symlinks are resolved and checked). That holds for the editable and
the wheel install alike, so the files would have to move into the library package,
which keeps no browser code. (A wheel also ships no pyproject.toml unless it is
declared as package data.)
"""

from __future__ import annotations

import base64
import html
import json
import math
from collections.abc import Callable
from functools import cache
from pathlib import Path

import streamlit as st

from optviz import rules
from ui import links

ASSETS = Path(__file__).parent / "components" / "explorer"
NAME = "optviz_explorer"


@cache
def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def _component():
    # Registered on every run: cheap, and a fresh runtime (a test's) has its own registry.
    return st.components.v2.component(NAME, js=_asset("explorer.js"), css=_asset("explorer.css"))


def explorer_chart(blob: bytes, key: str, on_commit: Callable[[], None],
                   on_step: Callable[[], None]):
    """Mount (or update in place) the chart with `blob`. `on_commit` runs when the
    visitor releases a slider or the start marker (`st.session_state[key].commit`),
    `on_step` when the animation comes to rest on a step (`...[key].step`)."""
    return _component()(key=key, data=blob, default={"commit": None, "step": None},
                        on_commit_change=on_commit, on_step_change=on_step)


def message_limit() -> int:
    """The most bytes the server sends in one message (`server.maxMessageSize`, MB)."""
    return int(st.get_option("server.maxMessageSize")) * 1_000_000


def fits_in_a_message(blob: bytes) -> bool:
    """Whether the chart's blob leaves room in one message (a tenth kept for the rest of
    the page): beyond it Streamlit would show its own raw MessageSizeError."""
    return len(blob) <= 0.9 * message_limit()


def too_large_message(blob: bytes) -> str:
    return (f"This view needs {len(blob) / 1e6:.1f} MB of data, more than this server sends "
            f"to a page at once ({message_limit() / 1e6:.0f} MB): choose fewer steps or "
            "fewer optimizers.")


def commit_updates(commit, run: str) -> dict[str, float]:
    """The widget values (session-state keys → values) a commit from the chart sets:
    {"param": "beta1", "value": 0.95} sets the β1 field of the focused run (key `run`),
    {"param": "start", "value": [x1, x2]} the start fields. Anything else sets nothing;
    the fields' own checks judge the values, as if typed."""
    if not isinstance(commit, dict):
        return {}
    param, value = commit.get("param"), commit.get("value")
    numbers = value if param == "start" else [value]
    if not (isinstance(numbers, list | tuple) and len(numbers) == (2 if param == "start" else 1)
            and all(isinstance(v, int | float) and not isinstance(v, bool)
                    and math.isfinite(v) for v in numbers)):
        return {}
    if param == "start":
        return {links.X1: float(numbers[0]), links.X2: float(numbers[1])}
    if param in rules.RULES[links.run_optimizer(run)].tunable and param in rules.BOUNDS:
        return {links.hyper_key(run, param): float(numbers[0])}
    return {}


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="icon" href="data:,">
<style>body {{ margin: 0; padding: 1.5rem 2rem; font-family: sans-serif; }}</style>
</head><body><div id="chart"></div>
<script type="module">
// The same chart as in optviz's explorer, with its data inlined: no server, no network.
const host = document.getElementById("chart").attachShadow({{mode: "open"}});
const style = document.createElement("style");
style.textContent = {css};
host.append(style);
const code = new Blob([{js}], {{type: "text/javascript"}});
const render = (await import(URL.createObjectURL(code))).default;
const data = Uint8Array.from(atob("{blob}"), (c) => c.charCodeAt(0));
render({{parentElement: host, data, key: "chart", name: "chart", standalone: true,
         setStateValue() {{}}, setTriggerValue() {{}}}});
</script></body></html>
"""


def standalone_html(blob: bytes, title: str) -> str:
    """A page that opens, plays and scrubs the chart offline: its script, style and
    payload inlined (sliders and the start marker preview; nothing commits)."""
    return _PAGE.format(title=html.escape(title), css=_js_string(_asset("explorer.css")),
                        js=_js_string(_asset("explorer.js")),
                        blob=base64.b64encode(blob).decode("ascii"))


def _js_string(text: str) -> str:
    """`text` as a JavaScript string literal that cannot end the <script> holding it."""
    return json.dumps(text).replace("</", "<\\/")
