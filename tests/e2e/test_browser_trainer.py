"""The live linear-regression page in a real browser."""

import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.servers import free_port, streamlit_app
from tests.e2e.trainer_ui import START, STOP, open_trainer, set_number, wait_idle

pytestmark = pytest.mark.e2e

CHART = "[data-testid='stPlotlyChart'] .js-plotly-plot"
SHOTS = Path("/tmp/trainer-shots")


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


def _wait_for_runs_table(page) -> None:
    expect(page.get_by_text("final loss", exact=True)).to_be_visible(timeout=60_000)


def _shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=False)


def test_a_paced_run_shows_a_growing_curve(page, app_url):
    open_trainer(page, app_url)
    page.get_by_text("About 5 s per run", exact=True).click()
    wait_idle(page)
    page.locator(START).click()
    # The run is computed in about a second; the chart reveals it over ~5 s.
    page.wait_for_function(f"() => {{ const el = document.querySelector(\"{CHART}\");"
                           " return el && el.data && el.data.length && el.data[0].x.length }")
    first = _points(page)
    time.sleep(1.5)
    second = _points(page)
    assert 0 < first < second, (first, second)
    _wait_for_runs_table(page)  # bounded: the run ends, shown whole
    assert _points(page) > second
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


@pytest.mark.parametrize("size", [(1400, 1000), (390, 844)])
def test_screenshots_of_a_paced_run(page, app_url, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_trainer(page, app_url)
    page.get_by_text("About 20 s per run", exact=True).click()
    wait_idle(page)
    page.locator(START).click()
    expect(page.get_by_text("Showing the run at about 20 s")).to_be_visible()
    page.wait_for_function(f"() => {{ const el = document.querySelector(\"{CHART}\");"
                           " return el && el.data && el.data[0].x.length > 8 }")
    _shoot(page, f"trainer-paced-{size[0]}x{size[1]}.png")
    page.locator(STOP).click()
    expect(page.get_by_text("stopped early").first).to_be_visible()


def test_an_upload_shows_its_preview(page, app_url, tmp_path):
    page.set_viewport_size({"width": 1400, "height": 1000})
    open_trainer(page, app_url)
    page.get_by_label("Data set").click()
    page.get_by_role("option", name="Upload CSV").click()
    wait_idle(page)
    good = tmp_path / "wind tunnel.csv"
    good.write_text("speed,angle,noise\n"
                    + "".join(f"{i},{i % 3},{2 * i + i % 5}\n" for i in range(40)))
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(good))
    wait_idle(page)
    expect(page.get_by_text("Your data: wind tunnel.csv")).to_be_visible()
    expect(page.get_by_text("40 rows", exact=True)).to_be_visible()
    expect(page.get_by_text("standardized").first).to_be_visible()
    expect(page.locator("[data-testid='stDataFrame']")).to_be_visible()
    expect(page.locator(START)).to_be_enabled()
    main = page.locator("[data-testid='stMain']")
    assert "airfoil" not in main.inner_text().lower()
    _shoot(page, "trainer-upload-1400x1000.png")
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_text("Your data: wind tunnel.csv").scroll_into_view_if_needed()
    _shoot(page, "trainer-upload-390x844.png")
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


@pytest.fixture(scope="module")
def offline_url(tmp_path_factory):
    """A server with no airfoil file (OPTVIZ_DATA_DIR an empty folder) that cannot
    download it: every URL goes through a proxy on a port where nothing listens."""
    empty = tmp_path_factory.mktemp("no-data")
    dead = f"http://127.0.0.1:{free_port()}"
    env = {"OPTVIZ_DATA_DIR": str(empty), "http_proxy": dead, "https_proxy": dead,
           "HTTP_PROXY": dead, "HTTPS_PROXY": dead, "no_proxy": "", "NO_PROXY": ""}
    with streamlit_app(empty / "server.log", env) as url:
        yield url, empty


def test_the_no_data_state_offers_the_synthetic_set(page, offline_url):
    url, empty = offline_url
    open_trainer(page, url)
    warning = page.locator("[data-testid='stAlert']").filter(has_text="OPTVIZ_DATA_DIR")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("airfoil_self_noise.dat")
    expect(warning).to_contain_text(str(empty))
    expect(page.locator(START)).to_be_disabled()
    page.get_by_role("button", name="Use the synthetic set").click()
    wait_idle(page)
    expect(page.get_by_text("Linear regression on a synthetic set")).to_be_visible()
    expect(page.locator(START)).to_be_enabled()
    expect(warning).to_have_count(0)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
