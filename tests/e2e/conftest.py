"""End-to-end fixtures: a real `streamlit run` on 127.0.0.1 and Debian's Chromium.

`OPTVIZ_BASE_URL` points the tests at a running server (a container, say) instead of
starting one. Without a browser the tests skip, loudly, except under CI=true, where
a missing browser is a failure: CI installs it (.ci/run).
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser import CHROMIUM_ARGS, chromium_path

ROOT = Path(__file__).resolve().parents[2]
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"{url} did not become healthy in {timeout:.0f} s")


@contextlib.contextmanager
def serve(env_overrides: dict[str, str] | None = None, log_name: str = ".streamlit-server.log"):
    """`streamlit run app.py` on a free 127.0.0.1 port, with extra environment; yields
    (base URL, process) once healthy, and ends the process afterwards."""
    port = _free_port()
    env = dict(os.environ)
    shared = ROOT.parent / "shared" / "data"
    if "OPTVIZ_DATA_DIR" not in env and shared.is_dir():
        env["OPTVIZ_DATA_DIR"] = str(shared)  # the chapter's data, offline (never committed)
    env.update(env_overrides or {})
    log = open(ROOT / "tests" / "e2e" / log_name, "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc=proc)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def app_url():
    """The app's base URL: OPTVIZ_BASE_URL, or a server started for this session."""
    given = os.environ.get("OPTVIZ_BASE_URL")
    if given:
        wait_healthy(given.rstrip("/"))
        yield given.rstrip("/")
        return
    with serve() as (url, _):
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
