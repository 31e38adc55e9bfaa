"""The live linear-regression page in a real browser."""

import time

import pytest
from playwright.sync_api import expect

from tests.e2e.trainer_ui import START, STOP, open_trainer, set_number, wait_idle

pytestmark = pytest.mark.e2e

CHART = "[data-testid='stPlotlyChart'] .js-plotly-plot"


def _points(page) -> int:
    return page.evaluate(
        f"() => {{ const el = document.querySelector(\"{CHART}\");"
        " return el && el.data ? el.data.reduce((n, t) => n + (t.x ? t.x.length : 0), 0) : 0 }")


def test_the_loss_curve_grows_while_training_runs_and_stop_ends_it(page, app_url):
    open_trainer(page, app_url)
    page.get_by_text("torch.optim", exact=True).click()  # the slower implementation
    wait_idle(page)
    set_number(page, "Batch size", "1")  # 1500 steps an epoch: seconds of training
    set_number(page, "Epochs", "20")
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
    open_trainer(page, app_url)
    page.get_by_label("Data set").click()
    page.get_by_role("option", name="Upload CSV").click()
    wait_idle(page)
    bad = tmp_path / "bad.csv"
    bad.write_text("speed,angle,noise\n" + "".join(f"{i},{i % 3},{i * 2}\n" for i in range(12))
                   + "fast,1,2\n")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(bad))
    wait_idle(page)
    expect(page.get_by_text("'fast' is not a number")).to_be_visible()
    expect(page.locator(START)).to_be_disabled()
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
