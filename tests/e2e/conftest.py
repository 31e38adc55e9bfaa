"""End-to-end fixtures: a real `streamlit run` on 127.0.0.1 and Debian's Chromium.

`OPTVIZ_BASE_URL` points the tests at a running server (a container, say) instead of
starting one. Without a browser the tests skip, loudly, except under CI=true, where
a missing browser is a failure: CI installs it (.ci/run).
"""

import os

import pytest
from playwright.sync_api import expect

from tests.browser import CHROMIUM_ARGS, chromium_path
from tests.e2e.servers import ROOT, streamlit_app, wait_healthy

# Playwright's assertions wait 5 s by default: too short for a rerun on a busy 2-core CI
# machine. A passing assertion returns as soon as it holds, so a long bound costs nothing.
expect.set_options(timeout=30_000)


@pytest.fixture(scope="session")
def app_url():
    """The app's base URL: OPTVIZ_BASE_URL, or a server started for this session."""
    given = os.environ.get("OPTVIZ_BASE_URL")
    if given:
        wait_healthy(given.rstrip("/"))
        yield given.rstrip("/")
        return
    with streamlit_app(ROOT / "tests" / "e2e" / ".streamlit-server.log") as url:
        yield url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, pointed at the system Chromium."""
    return {**browser_type_launch_args, "executable_path": chromium_path(),
            "args": CHROMIUM_ARGS}


@pytest.fixture
def app_page(page, app_url):
    """A Playwright page with generous timeouts (Streamlit reruns over a websocket)."""
    page.set_default_timeout(30_000)
    page.goto(app_url)
    return page
