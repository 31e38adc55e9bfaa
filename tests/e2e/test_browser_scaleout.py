"""Scale-out: two app processes behind nginx with deploy/nginx/optviz.conf, on 127.0.0.1.

Both replicas share one cookie secret, as in deploy/. nginx's access log names the
replica (upstream) and the route cookie of every request, websockets included (logged
when they close): the tests read it to show that each browser session stays on one
replica, and that sessions spread over both.

The browser reaches nginx as http://optviz.test:<port> (Chromium maps the name to
127.0.0.1), not as 127.0.0.1: Streamlit lets any page on 127.0.0.1 open its websocket,
so only a real host name shows that the proxy passes the Host header the websocket
check needs.
"""

import os
import re
import secrets
import time
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser import CHROMIUM_ARGS, chromium_path
from tests.e2e.explorer_ui import (
    change_adam_beta1,
    expect_no_exception,
    open_explorer,
)
from tests.e2e.servers import nginx_proxy, require_nginx, streamlit_app

pytestmark = pytest.mark.e2e

HOST = "optviz.test"
ROUTE_COOKIE = "optviz_route"
LOG_LINE = re.compile(r'"(?P<request>[^"]*)" (?P<status>\d+) upstream=(?P<upstream>.*?) '
                      r"route=(?P<route>\S+) cookie=(?P<cookie>\S+)$")


@dataclass
class Proxied:
    url: str  # nginx, as the browser reaches it
    direct_url: str  # nginx, on 127.0.0.1
    replicas: list[str]  # the upstream addresses, host:port
    access_log: Path

    def log(self) -> list[dict[str, str]]:
        lines = self.access_log.read_text().splitlines()
        return [m.groupdict() for m in map(LOG_LINE.search, lines) if m]

    def served(self, cookie: str) -> list[dict[str, str]]:
        return [e for e in self.log() if e["cookie"] == cookie]


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    if os.environ.get("OPTVIZ_BASE_URL"):
        pytest.skip("OPTVIZ_BASE_URL is set: the scale-out test starts its own two app "
                    "processes and nginx on 127.0.0.1, so it runs only without it")
    nginx = require_nginx()
    folder = tmp_path_factory.mktemp("scaleout")
    # One secret for every replica, as deploy/ sets it; made up per run, never stored.
    shared_secret = {"STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32)}
    with ExitStack() as stack:
        replicas = [
            stack.enter_context(streamlit_app(folder / f"replica{i}.log", shared_secret))
            .removeprefix("http://")
            for i in range(2)
        ]
        direct_url = stack.enter_context(nginx_proxy(nginx, folder, replicas))
        port = direct_url.rsplit(":", 1)[1]
        yield Proxied(f"http://{HOST}:{port}", direct_url, replicas, folder / "access.log")


@pytest.fixture(scope="module")
def named_host_browser(browser_type, proxied):
    """Chromium resolving optviz.test to 127.0.0.1."""
    browser = browser_type.launch(
        executable_path=chromium_path(),
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {HOST} 127.0.0.1"])
    yield browser
    browser.close()


def get(url: str, cookie: str | None = None):
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
        return response


def wait_for_log(proxied: Proxied, ready, timeout: float = 15.0) -> list[dict[str, str]]:
    """The access log once `ready(log)` holds (nginx writes a line as a request ends)."""
    deadline = time.monotonic() + timeout
    while not ready(log := proxied.log()):
        if time.monotonic() > deadline:
            raise AssertionError(f"nginx's access log never showed it:\n{log}")
        time.sleep(0.1)
    return log


def replica_of(proxied: Proxied, cookie: str) -> str:
    """The replica that serves a browser with this route cookie (asked with a request)."""
    marker = f"/_stcore/health?probe={secrets.token_hex(4)}"
    get(proxied.direct_url + marker, f"{ROUTE_COOKIE}={cookie}")
    (entry,) = [e for e in wait_for_log(proxied, lambda log: any(
        marker in e["request"] for e in log)) if marker in e["request"]]
    return entry["upstream"]


# ------------------------------------------------------------------------ tests


def test_each_new_browser_gets_its_own_route_cookie(proxied):
    first, second = (get(proxied.direct_url + "/").headers.get_all("Set-Cookie")
                     for _ in range(2))
    values = []
    for set_cookie in (first, second):
        assert set_cookie is not None and len(set_cookie) == 1, set_cookie
        match = re.fullmatch(rf"{ROUTE_COOKIE}=([0-9a-f]{{32}}); Path=/; HttpOnly; "
                             "SameSite=Lax", set_cookie[0])
        assert match, set_cookie
        values.append(match[1])
    assert values[0] != values[1]
    # A browser that has the cookie keeps it: nginx sets no other.
    again = get(proxied.direct_url + "/", f"{ROUTE_COOKIE}={values[0]}")
    assert again.headers.get_all("Set-Cookie") is None


def test_route_cookies_spread_over_both_replicas_and_stay_put(proxied):
    chosen = {f"key{i}": replica_of(proxied, f"key{i}") for i in range(12)}
    assert set(chosen.values()) == set(proxied.replicas), chosen
    # The same key, asked again, lands on the same replica.
    assert {key: replica_of(proxied, key) for key in chosen} == chosen


def test_browser_sessions_work_and_stick_to_one_replica_each(named_host_browser, proxied):
    first = named_host_browser.new_context()
    first_page = first.new_page()
    open_explorer(first_page, proxied.url)
    (cookie,) = [c["value"] for c in first.cookies() if c["name"] == ROUTE_COOKIE]
    first_replica = replica_of(proxied, cookie)
    # The second browser brings a route cookie that nginx sends to the other replica,
    # so both replicas serve a session at the same time.
    other_key, second_replica = next(
        (key, replica) for key, replica in ((f"key{i}", replica_of(proxied, f"key{i}"))
                                            for i in range(64))
        if replica != first_replica)
    second = named_host_browser.new_context()
    second.add_cookies([{"name": ROUTE_COOKIE, "value": other_key, "url": proxied.url}])
    second_page = second.new_page()
    open_explorer(second_page, proxied.url)

    for page in (first_page, second_page):
        expect_no_exception(page)
        before, after = change_adam_beta1(page, "0.5")
        expect_no_exception(page)
        assert after[0]["x"][0] == before[0]["x"][0]
        assert after[0]["x"][1:] != before[0]["x"][1:]
    first.close()
    second.close()

    # Every request either browser made with its cookie went to one replica, its
    # websocket included: a different replica for each browser.
    for key, replica in ((cookie, first_replica), (other_key, second_replica)):
        wait_for_log(proxied, lambda log, key=key: any(
            e["cookie"] == key and e["request"].startswith("GET /_stcore/stream ")
            for e in log))
        served = [e for e in proxied.served(key) if "probe=" not in e["request"]]
        assert {e["upstream"] for e in served} == {replica}, served
        streams = [e for e in served if e["request"].startswith("GET /_stcore/stream ")]
        assert all(e["status"] == "101" for e in streams), streams  # upgraded websockets
        assert len(served) > len(streams) + 2, served  # the page and its own requests
    assert {first_replica, second_replica} == set(proxied.replicas)
