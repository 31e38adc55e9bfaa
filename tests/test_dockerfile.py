"""The Dockerfile's contract, read statically (no docker needed).

CI builds and runs the image for real (.ci/run, ../shared/tools/docker-smoke); these
checks say which promise broke when that build fails, and hold on machines without docker.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return pairs


def ignored(path: str) -> bool:
    """Whether .dockerignore keeps `path` out of the build context (last match wins)."""
    verdict = False
    for pattern in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = pattern.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        regex = re.escape(pattern.lstrip("!").strip("/"))
        regex = regex.replace(r"\*\*/", "(.*/)?").replace(r"\*\*", ".*").replace(r"\*", "[^/]*")
        regex = regex.replace(r"\?", "[^/]").replace(r"\[", "[").replace(r"\]", "]")
        parts = path.split("/")
        # A pattern that matches a folder keeps everything in it out.
        if any(re.fullmatch(regex, "/".join(parts[:i])) for i in range(1, len(parts) + 1)):
            verdict = not negated
    return verdict


def test_pip_reads_the_offline_build_arguments_in_the_stage_that_installs():
    seen = set()
    for word, rest in instructions():
        if word == "FROM":
            seen = set()  # an ARG before FROM does not reach the stage's RUNs
        elif word == "ARG":
            seen.add(rest.split("=")[0])
        elif word == "RUN" and "pip install" in rest:
            assert {"PIP_NO_INDEX", "PIP_FIND_LINKS"} <= seen
            return
    pytest.fail("the Dockerfile installs nothing with pip")


def test_the_app_runs_as_an_unprivileged_user_on_port_8501():
    steps = instructions()
    users = [rest for word, rest in steps if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert ("EXPOSE", "8501") in steps
    cmd = [rest for word, rest in steps if word == "CMD"][-1]
    assert "streamlit" in cmd and "port" not in cmd  # STREAMLIT_SERVER_PORT decides


def test_the_healthcheck_asks_streamlit_on_the_configured_port():
    checks = [rest for word, rest in instructions() if word == "HEALTHCHECK"]
    assert len(checks) == 1
    assert "/_stcore/health" in checks[0] and "STREAMLIT_SERVER_PORT" in checks[0]
    assert "curl" not in checks[0] and "wget" not in checks[0]  # not in python:3.11-slim


def test_the_build_context_holds_what_the_dockerfile_copies_and_no_venv_or_data():
    for word, rest in instructions():
        if word == "COPY":
            for source in rest.split()[:-1]:
                if not source.startswith("--"):
                    assert (ROOT / source).exists(), source
                    assert not ignored(source.rstrip("/")), source
    for kept_out in (".venv/bin/python", ".git/HEAD", "airfoil_self_noise.dat",
                     "tests/e2e/my.dat", "optviz/__pycache__/data.cpython-311.pyc",
                     ".pytest_cache/README.md", "test-results/trace.zip"):
        assert ignored(kept_out), kept_out
    assert not ignored("docker/data/airfoil_self_noise.dat")  # the one file a build may bake


def test_the_image_installs_optviz_as_a_package_and_keeps_only_the_app_in_its_folder():
    runs = [rest for word, rest in instructions() if word == "RUN"]
    assert any("pip install" in r and "/tmp/src" in r and "--no-build-isolation" in r
               for r in runs)  # the venv's setuptools builds it offline
    copies = [rest.split() for word, rest in instructions() if word == "COPY"]
    into_app = {c[-1] for c in copies if not c[-1].startswith("/")}
    assert into_app == {"./.streamlit", "./", "./pages"}  # no second copy of optviz or ui
    assert ["optviz", "/tmp/src/optviz"] in copies and ["ui", "/tmp/src/ui"] in copies
