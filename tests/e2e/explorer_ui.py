"""Driving the trajectory explorer in a browser: open it, read its plotted paths, and
set its inputs. Shared by the explorer and scale-out browser tests.

The page is idle when `stApp`'s data-test-script-state is "notRunning"; the chart's
runs are read from its test handle (`__explorer.runs`: name, dashed, x, y).
"""

from playwright.sync_api import Page, expect

TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1400, "height": 1000}

# The chart component's test handle (ui/components/explorer/explorer.js: `__explorer` on
# its root, inside the component's shadow root).
CHART_JS = """() => {
  const host = document.querySelector('[data-testid=stBidiComponentIsolated]');
  const root = host && host.shadowRoot && host.shadowRoot.querySelector('.ox');
  return root ? root.__explorer : null;
}"""
PATHS_JS = f"() => {{ const c = ({CHART_JS})(); return c ? c.runs : null; }}"
CHART_DRAWN_JS = (f"() => {{ const c = ({CHART_JS})(); "
                  "return !!(c && c.runs && c.runs.length && c.runs[0].x.length); }")


def wait_idle(page: Page) -> None:
    """Wait until the script run is over (Streamlit's own state flag)."""
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]',
                           timeout=TIMEOUT_MS)


def open_explorer(page: Page, app_url: str, query: str = "") -> None:
    page.set_default_timeout(TIMEOUT_MS)
    page.set_viewport_size(VIEWPORT)
    page.goto(f"{app_url}/explorer{query}")
    page.wait_for_function(CHART_DRAWN_JS, timeout=TIMEOUT_MS)
    wait_idle(page)
    # A rerun (the deep-link fix-up, say) may draw the chart a second time.
    page.wait_for_function(CHART_DRAWN_JS, timeout=TIMEOUT_MS)


def paths(page: Page) -> list[dict]:
    return page.evaluate(PATHS_JS)


def wait_for_new_paths(page: Page, before: list[dict]) -> list[dict]:
    """Wait until the chart's paths differ from `before` and no commit of the chart's
    awaits its blob (a slider's release may show the new path before the server has
    answered), then for the run to end."""
    page.wait_for_function(
        f"(before) => {{ const c = ({CHART_JS})(); const now = c ? c.runs : null; "
        "return now !== null && !c.pending && JSON.stringify(now) !== JSON.stringify(before); }",
        arg=before, timeout=TIMEOUT_MS)
    wait_idle(page)
    return paths(page)


def expect_no_exception(page: Page) -> None:
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def sidebar_input(page: Page, label: str):
    return page.locator('[data-testid="stSidebar"]').get_by_label(label, exact=True)


def adam_input(page: Page, label: str):
    """Adam's field `label`, under the chart (Adam is the focused run in these tests)."""
    field = page.locator('[data-testid="stMain"] [data-testid="stNumberInput"]').filter(
        has=page.get_by_text(label, exact=True))
    return field.locator("input")


def change_adam_beta1(page: Page, value: str) -> tuple[list[dict], list[dict]]:
    """Type a new β1 into Adam's field (from the default 0.9); the paths before and after
    the page redrew them."""
    before = paths(page)
    beta1 = adam_input(page, "β1")
    expect(beta1).to_have_value("0.9")
    beta1.fill(value)
    beta1.press("Enter")
    return before, wait_for_new_paths(page, before)
