"""Malformed CSV uploads through the trainer page's uploader, in Chromium.

A handful of tests/bad_csv.py's files, each uploaded from memory into one page: the
page shows the file's one-line message (or Streamlit's own for a file over
server.maxUploadSize), never an exception, and Start stays off.
"""

import pytest
from playwright.sync_api import expect

from tests.bad_csv import BAD_CSVS, content
from tests.e2e.trainer_ui import START, open_trainer, wait_idle

pytestmark = pytest.mark.e2e

UPLOADS = ["text in a cell", "short row", "NaN", "binary junk", "Latin-1", "header only",
           "huge cell", "too many rows"]


def _upload_page(page, app_url):
    open_trainer(page, app_url)
    page.get_by_label("Data set").click()
    page.get_by_role("option", name="Upload CSV").click()
    wait_idle(page)
    return page.locator("[data-testid='stFileUploaderDropzoneInput']")


def _upload(page, dropzone, name: str, raw: bytes):
    dropzone.set_input_files({"name": f"{name}.csv", "mimeType": "text/csv", "buffer": raw})
    wait_idle(page)


def test_each_malformed_upload_shows_its_message(page, app_url):
    dropzone = _upload_page(page, app_url)
    missing = []
    for name in UPLOADS:
        _upload(page, dropzone, name, content(name))
        expected = BAD_CSVS[name][1]
        alert = page.locator("[data-testid='stAlertContentError']", has_text=expected)
        try:
            expect(alert).to_be_visible(timeout=15_000)
        except AssertionError:
            missing.append(name)
            continue
        assert f"{name}.csv: " in alert.inner_text()
        expect(page.locator("[data-testid='stException']")).to_have_count(0)
        expect(page.locator(START)).to_be_disabled()
    assert not missing, f"no message shown for {missing}"
    assert "Traceback" not in page.locator("body").inner_text()


def test_an_upload_over_the_size_cap_is_refused_with_streamlits_message(page, app_url):
    dropzone = _upload_page(page, app_url)
    _upload(page, dropzone, "over the size limit", content("over the size limit"))
    expect(page.get_by_text("File must be 20.0MB or smaller.")).to_be_visible()
    expect(page.get_by_text("Upload a CSV file in the sidebar")).to_be_visible()
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    expect(page.locator(START)).to_be_disabled()
