"""Where the tests find Debian's Chromium, and how they launch it."""

import os
import shutil
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str | None:
    """OPTVIZ_CHROMIUM if set, else Debian's /usr/bin/chromium, else chromium on PATH."""
    if "OPTVIZ_CHROMIUM" in os.environ:
        candidate = os.environ["OPTVIZ_CHROMIUM"]
        return candidate if Path(candidate).exists() else None
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
