"""Shared fixtures: the chapter's airfoil data from ../shared/data (never committed).

Tests that need it, or a browser (marked e2e), skip loudly without it, except under
CI=true, where they fail.
"""

import os
from pathlib import Path

import pytest

# Engine "auto" would start numba compiling in the background when it falls back to the
# NumPy loop, and a later call would then take the compiled loop, at a moment that
# depends on timing. Off here; tests/test_background_compile.py turns it on itself.
os.environ.setdefault("OPTVIZ_BACKGROUND_COMPILE", "0")

from optviz import data  # noqa: E402
from tests.browser import chromium_path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("OPTVIZ_SHARED_DATA") or ROOT.parent / "shared" / "data")


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """The folder holding the real airfoil file."""
    if not (SHARED_DATA / data.AIRFOIL_FILE).is_file():
        reason = (f"NO DATA: {SHARED_DATA / data.AIRFOIL_FILE} is missing; tests of the "
                  "chapter's results need the real airfoil data (set OPTVIZ_SHARED_DATA)")
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(f"{reason}: SKIPPED, not passed")
    return SHARED_DATA


@pytest.fixture(scope="session")
def airfoil(shared_data_dir) -> data.Dataset:
    """The chapter's data set, loaded by the real loader with the shared file as cache."""
    return data.load_airfoil(cache_dir=shared_data_dir, urls=())


def pytest_collection_modifyitems(config, items):
    if chromium_path() or not any("e2e" in item.keywords for item in items):
        return
    reason = ("NO BROWSER: Chromium not found; the end-to-end tests need Debian's chromium "
              "(apt-get install -y chromium, or set OPTVIZ_CHROMIUM)")
    if os.environ.get("CI") == "true":
        raise pytest.UsageError(f"CI=true and {reason}")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=f"{reason}: SKIPPED, not passed"))
    config.issue_config_time_warning(pytest.PytestWarning(reason), stacklevel=2)
