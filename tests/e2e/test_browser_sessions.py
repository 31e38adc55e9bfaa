"""Sessions that end abruptly: a page closed or killed mid-training frees its job slot
within seconds, and clients that drop their connection mid-rerun leave the server serving.

The slot test needs a server of its own (one job slot; a 30-second heartbeat, so only
the closed connection can free the slot in time), so it skips under OPTVIZ_BASE_URL. The
observable is a second visitor: while the first one trains, the second waits in line;
once the first page is gone, the second one's run starts.
"""

import base64
import contextlib
import os
import re
import signal
import socket
import struct
import subprocess
import time
import urllib.request
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect
from streamlit.proto.BackMsg_pb2 import BackMsg

from tests.browser import CHROMIUM_ARGS, chromium_path
from tests.e2e.servers import ROOT, streamlit_app
from tests.e2e.trainer_ui import START, STOP, set_number, wait_idle

pytestmark = pytest.mark.e2e

HEARTBEAT_S = 30
DISCONNECT_GRACE_S = 2  # ui.jobs' default
FREED_WITHIN_S = 15  # a behavioural bound (grace + a poll + start-up), not a benchmark
WAITING = "Waiting for a free slot"
TRAINING = re.compile(r"Training… (epoch [\d.]+ of \d+, )?\d+ log points so far")
SLOW_MS = 30_000  # for page loads and first runs, on a busy machine


@pytest.fixture(scope="module")
def one_slot_url():
    if os.environ.get("OPTVIZ_BASE_URL"):
        pytest.skip("needs a server of its own (OPTVIZ_MAX_JOBS=1, OPTVIZ_JOB_HEARTBEAT_S=30); "
                    "OPTVIZ_BASE_URL points at one whose limits this test cannot set")
    env = {"OPTVIZ_MAX_JOBS": "1", "OPTVIZ_JOB_HEARTBEAT_S": str(HEARTBEAT_S),
           "OPTVIZ_MAX_EPOCHS": "20000"}  # a run far longer than the test
    with streamlit_app(ROOT / "tests" / "e2e" / ".streamlit-server-sessions.log", env) as url:
        yield url


def _start_long_training(page, url: str):
    """Open the trainer and start a run of minutes: from scratch, batch size 1, 20000 epochs.

    (torch.optim's Python-level steps would starve the server's event loop on a busy
    machine and slow every page; optviz's own engine keeps the timing about the slot.)"""
    page.set_default_timeout(SLOW_MS)
    page.goto(f"{url}/trainer")
    heading = page.get_by_role("heading", name="Linear regression, live")
    expect(heading).to_be_visible(timeout=SLOW_MS)
    wait_idle(page)
    page.get_by_text("From scratch (optviz)", exact=True).click()
    wait_idle(page)
    set_number(page, "Batch size", "1")
    set_number(page, "Epochs", "20000")
    page.locator(START).click()


@pytest.fixture
def killable_browser(playwright, tmp_path):
    """A Chromium of our own, driven over CDP, so the test can SIGKILL its process group."""
    proc = subprocess.Popen(
        [chromium_path(), "--headless=new", "--remote-debugging-port=0",
         f"--user-data-dir={tmp_path / 'profile'}", *CHROMIUM_ARGS, "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        endpoint = None
        for line in proc.stderr:  # Chromium names its DevTools endpoint on stderr
            if match := re.search(r"DevTools listening on (ws://\S+)", line):
                endpoint = match.group(1)
                break
        assert endpoint, "Chromium did not report a DevTools endpoint"
        browser = playwright.chromium.connect_over_cdp(endpoint)
        yield browser, proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _close_page(first, _browser_proc):
    first.close()


def _close_context(first, _browser_proc):
    first.context.close()


def _kill_browser(_first, browser_proc):
    os.killpg(browser_proc.pid, signal.SIGKILL)  # no goodbye: the sockets just close
    browser_proc.wait(timeout=10)


@pytest.mark.parametrize("leave", [_close_page, _close_context, _kill_browser],
                         ids=["page closed", "context closed", "browser killed"])
def test_a_page_that_goes_away_mid_training_frees_its_job_slot(
        one_slot_url, browser, request, leave):
    browser_proc = None
    if leave is _kill_browser:  # a Chromium of its own, to kill
        own_browser, browser_proc = request.getfixturevalue("killable_browser")
        first_context = own_browser.new_context()
    else:
        first_context = browser.new_context()
    second_context = browser.new_context()
    try:
        first = first_context.new_page()
        _start_long_training(first, one_slot_url)
        expect(first.get_by_text(TRAINING)).to_be_visible(timeout=SLOW_MS)

        second = second_context.new_page()
        _start_long_training(second, one_slot_url)
        expect(second.get_by_text(WAITING)).to_be_visible(timeout=SLOW_MS)
        # While the first page is open, it keeps its slot, well past the grace.
        time.sleep(2 * DISCONNECT_GRACE_S + 1)
        expect(second.get_by_text(WAITING)).to_be_visible()
        expect(first.get_by_text(TRAINING)).to_be_visible()

        left_at = time.monotonic()
        leave(first, browser_proc)
        expect(second.get_by_text(TRAINING)).to_be_visible(timeout=FREED_WITHIN_S * 1000)
        print(f"slot freed {time.monotonic() - left_at:.1f} s after the first page went "
              f"({leave.__name__})")

        second.locator(STOP).click()  # free the slot for the next case
        expect(second.locator(START)).to_be_enabled(timeout=SLOW_MS)
        expect(second.locator("[data-testid='stException']")).to_have_count(0)
    finally:  # a failed case must not leave its jobs holding the slot for the next one
        for context in (first_context, second_context):
            with contextlib.suppress(Exception):  # already closed, or its browser killed
                context.close()


def _open_stream(host: str, port: int) -> socket.socket:
    """A websocket to Streamlit's /_stcore/stream, opened by hand so it can be dropped
    at the TCP level."""
    sock = socket.create_connection((host, port), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET /_stcore/stream HTTP/1.1\r\nHost: {host}:{port}\r\n"
                  "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                  f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                  "Sec-WebSocket-Protocol: streamlit\r\n\r\n").encode())
    reply = b""
    while b"\r\n\r\n" not in reply:
        chunk = sock.recv(4096)
        assert chunk, f"the server closed the handshake: {reply!r}"
        reply += chunk
    assert reply.startswith(b"HTTP/1.1 101"), reply.split(b"\r\n")[0]
    return sock


def _send_binary_frame(sock: socket.socket, payload: bytes):
    """One masked binary websocket frame, as a browser sends it (RFC 6455)."""
    mask = os.urandom(4)
    n = len(payload)
    length = (bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n))
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    sock.sendall(bytes([0x82]) + length + mask + masked)


def _rerun_request(page_name: str) -> bytes:
    msg = BackMsg()
    msg.rerun_script.query_string = ""
    msg.rerun_script.page_name = page_name
    return msg.SerializeToString()


def _drop(sock: socket.socket):
    """Close the TCP connection with a reset: no websocket close frame, no FIN handshake."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_the_server_survives_clients_that_vanish_mid_rerun(app_url, page):
    host = urlparse(app_url)
    if host.hostname not in ("127.0.0.1", "localhost"):
        pytest.skip(f"drops raw connections only on this machine; {app_url} is not 127.0.0.1")
    deadline = time.monotonic() + 60
    for i in range(20):
        assert time.monotonic() < deadline, f"only {i} of 20 clients in 60 s"
        sock = _open_stream(host.hostname, host.port)
        # Half ask for the explorer, half for the trainer; some drop at once, the others
        # once the run has begun answering.
        _send_binary_frame(sock, _rerun_request("explorer" if i % 2 else "trainer"))
        if i % 4 >= 2:
            assert sock.recv(1), "the server sent nothing back"
        _drop(sock)

    with urllib.request.urlopen(f"{app_url}/_stcore/health", timeout=5) as r:
        assert r.status == 200 and r.read() == b"ok"
    page.set_default_timeout(SLOW_MS)
    page.goto(f"{app_url}/explorer")
    heading = page.get_by_role("heading", name="Trajectory explorer")
    expect(heading).to_be_visible(timeout=SLOW_MS)
    chart = page.locator("[data-testid=stBidiComponentIsolated] .ox")
    expect(chart).to_be_visible(timeout=SLOW_MS)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
