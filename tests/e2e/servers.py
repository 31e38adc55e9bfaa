"""Local servers for the end-to-end tests, all on 127.0.0.1: `streamlit run app.py`, and
nginx in front of several of them with deploy/nginx/optviz.conf."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tools.processes import stop

ROOT = Path(__file__).resolve().parents[2]
NGINX_SITE = ROOT / "deploy" / "nginx" / "optviz.conf"


def free_port() -> int:
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


@contextmanager
def streamlit_app(log_path: Path, extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """`streamlit run app.py` on a free 127.0.0.1 port; yields its URL once healthy."""
    port = free_port()
    env = {**os.environ, **(extra_env or {})}
    shared = ROOT.parent / "shared" / "data"
    if "OPTVIZ_DATA_DIR" not in env and shared.is_dir():
        env["OPTVIZ_DATA_DIR"] = str(shared)  # the chapter's data, offline (never committed)
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, proc=proc)
            yield url
        finally:
            stop(proc)


def nginx_path() -> str | None:
    """nginx on PATH, or Debian's /usr/sbin/nginx (not on a normal user's PATH)."""
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def require_nginx() -> str:
    """nginx's path; without it a loud skip, or a failure under CI=true (CI installs it)."""
    found = nginx_path()
    if found:
        return found
    reason = ("NO NGINX: the scale-out tests put nginx in front of the app "
              "(apt-get install -y nginx)")
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true and {reason}")
    pytest.skip(f"{reason}: SKIPPED, not passed")


def render_site(upstreams: list[str], port: int, access_log: Path) -> str:
    """deploy/nginx/optviz.conf with these replicas (host:port), listening on 127.0.0.1."""
    text = NGINX_SITE.read_text()
    replacements = {
        "    server app:8501 max_fails=2 fail_timeout=10s;\n":
            "".join(f"    server {u} max_fails=2 fail_timeout=10s;\n" for u in upstreams),
        "    listen 80;\n": f"    listen 127.0.0.1:{port};\n",
        "access_log /var/log/nginx/access.log ": f"access_log {access_log} ",
    }
    for old, new in replacements.items():
        if text.count(old) != 1:
            raise ValueError(f"{NGINX_SITE} no longer has exactly one {old.strip()!r}")
        text = text.replace(old, new)
    return text


def write_nginx_conf(folder: Path, upstreams: list[str], port: int) -> Path:
    """A complete nginx.conf in `folder` (pid, logs, temp files there) around the site."""
    (folder / "optviz.conf").write_text(render_site(upstreams, port, folder / "access.log"))
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # As root, workers would switch to `nobody`, who cannot enter pytest's 0700 folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(
        f"daemon off;\n{user}worker_processes 1;\npid {folder / 'nginx.pid'};\n"
        "events { worker_connections 256; }\n"
        f"http {{\n{temp}\n    include {folder / 'optviz.conf'};\n}}\n")
    return conf


def nginx_command(nginx: str, folder: Path, conf: Path) -> list[str]:
    return [nginx, "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")]


@contextmanager
def nginx_proxy(nginx: str, folder: Path, upstreams: list[str]) -> Iterator[str]:
    """nginx on a free 127.0.0.1 port in front of `upstreams`; yields its URL once it
    answers. Its access log is folder/access.log."""
    port = free_port()
    conf = write_nginx_conf(folder, upstreams, port)
    proc = subprocess.Popen(nginx_command(nginx, folder, conf),
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                errors = (folder / "error.log").read_text(errors="replace")
                raise RuntimeError(f"nginx exited with code {proc.returncode}:\n{errors}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not listen on {url} in 20 s") from None
                time.sleep(0.1)
        yield url
    finally:
        stop(proc)
