"""Driving the trainer page in a browser: open it, wait for it, set its fields.
Shared by the trainer, bad-upload and session browser tests."""

from playwright.sync_api import Page, expect

TIMEOUT_MS = 30_000
# The page's own buttons: Streamlit's header has a "Stop" of its own while a script runs.
START = "button[kind='primary']:has-text('Start')"
STOP = "button[kind='secondary']:has-text('Stop')"


def wait_idle(page: Page) -> None:
    """Wait until no script runs (Streamlit's status widget has no Stop button)."""
    page.wait_for_function(
        "!document.querySelector('[data-testid=\"stStatusWidget\"] button')",
        timeout=TIMEOUT_MS)


def open_trainer(page: Page, app_url: str) -> None:
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(f"{app_url}/trainer")
    # The first visit to a fresh server imports torch (seconds on a busy or cold machine).
    expect(page.get_by_role("heading", name="Linear regression, live")).to_be_visible()
    wait_idle(page)


def set_number(page: Page, label: str, value: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Enter")
    wait_idle(page)
