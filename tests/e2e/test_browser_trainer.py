"""The live linear-regression page in a real browser."""

import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

CHART = "[data-testid='stPlotlyChart'] .js-plotly-plot"
# The page's own buttons: Streamlit's header has a "Stop" of its own while a script runs.
START = "button[kind='primary']:has-text('Start')"
STOP = "button[kind='secondary']:has-text('Stop')"


def _idle(page):
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stStatusWidget\"] button')", timeout=30_000)


def _open(page, app_url):
    page.set_default_timeout(30_000)
    page.goto(f"{app_url}/trainer")
    # The first visit to a fresh server imports torch (seconds on a busy or cold machine).
    expect(page.get_by_role("heading", name="Linear regression, live")).to_be_visible(
        timeout=30_000)
    _idle(page)


def _set_number(page, label: str, value: str):
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Enter")
    _idle(page)


def _points(page) -> int:
    return page.evaluate(
        f"() => {{ const el = document.querySelector(\"{CHART}\");"
        " return el && el.data ? el.data.reduce((n, t) => n + (t.x ? t.x.length : 0), 0) : 0 }")


def test_the_loss_curve_grows_while_training_runs_and_stop_ends_it(page, app_url):
    _open(page, app_url)
    page.get_by_text("torch.optim", exact=True).click()  # the slower implementation
    _idle(page)
    _set_number(page, "Batch size", "1")  # 1500 steps an epoch: seconds of training
    _set_number(page, "Epochs", "20")
    page.locator(START).click()
    seen, deadline = [], time.monotonic() + 60  # left early once it has grown
    while time.monotonic() < deadline and len(set(seen)) < 4:
        seen.append(_points(page))
        time.sleep(0.2)
    growth = sorted(set(n for n in seen if n))
    assert len(growth) >= 3, f"chart did not update three times while running: {seen}"
    page.locator(STOP).click()
    expect(page.get_by_text("stopped early")).to_be_visible()
    expect(page.locator(START)).to_be_enabled()
    stopped_at = _points(page)
    time.sleep(1.5)
    assert _points(page) == stopped_at  # nothing runs any more
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def test_a_bad_csv_upload_shows_its_message(page, app_url, tmp_path):
    _open(page, app_url)
    page.get_by_label("Data set").click()
    page.get_by_role("option", name="Upload CSV").click()
    _idle(page)
    bad = tmp_path / "bad.csv"
    bad.write_text("speed,angle,noise\n" + "".join(f"{i},{i % 3},{i * 2}\n" for i in range(12))
                   + "fast,1,2\n")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(bad))
    _idle(page)
    expect(page.get_by_text("'fast' is not a number")).to_be_visible()
    expect(page.locator(START)).to_be_disabled()
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
