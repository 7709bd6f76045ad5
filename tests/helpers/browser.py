"""The system Chromium (Debian `chromium`, installed by scripts/ensure_chromium.sh) for browser tests."""

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Headless, offline, no sandbox (tests run as root in containers), nothing phoning home.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="/usr/bin/chromium is missing (run scripts/ensure_chromium.sh as root to install it)"
)
